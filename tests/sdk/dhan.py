"""Dhan's official Python SDK (PyPI `dhanhq`) against brokersim.

The SDK is used unchanged but for its base URLs (the class attributes
`DhanLogin.AUTH_BASE_URL`, `DhanLogin.API_BASE_URL` and
`DhanHTTP.API_BASE_URL`): PIN + TOTP token, profile, fund limits, RenewToken
(the old token dies), and the consent login (generate-consent, the consent
page a browser would follow, consumeApp-consent). Dhan has no logout
endpoint, and the SDK no logout call. Run by scripts/sdk.sh, which passes
brokersim's JSON line in $BROKERSIM_JSON.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import sys
import time
from urllib.parse import parse_qs, urlparse

# generate_login_session opens a browser with the consent page: make that a
# no-op here (brokersim's page is followed below, as a browser would).
os.environ["BROWSER"] = "true"

import requests  # noqa: E402  (the SDK's own HTTP client)
from dhanhq import DhanContext, DhanHTTP, DhanLogin, dhanhq  # noqa: E402

SIM = json.loads(os.environ["BROKERSIM_JSON"])
DHAN = SIM["dhan"]
ACCOUNT = DHAN["accounts"][0]
# What DhanAccount::demo() serves (brokersim's docs): the fund limit sample.
FUNDS = {
    "availabelBalance": 98440.0,
    "sodLimit": 113642,
    "collateralAmount": 0.0,
    "receiveableAmount": 0.0,
    "utilizedAmount": 15202.0,
    "blockedPayoutAmount": 0.0,
    "withdrawableBalance": 98310.0,
}

DhanLogin.AUTH_BASE_URL = DHAN["auth_url"]
DhanLogin.API_BASE_URL = DHAN["base_url"]
DhanHTTP.API_BASE_URL = DHAN["base_url"]

checks = 0


def check(what, condition, detail=""):
    global checks
    if not condition:
        print(f"FAIL {what}: {detail}")
        sys.exit(1)
    checks += 1
    print(f"ok   {what}")


def totp(secret_base32):
    """RFC 6238: six digits, 30-second steps, HMAC-SHA1."""
    key = base64.b32decode(secret_base32.upper() + "=" * (-len(secret_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


def funds(token):
    return dhanhq(DhanContext(ACCOUNT["client_id"], token)).get_fund_limits()


login = DhanLogin(ACCOUNT["client_id"])

# PIN + TOTP (generateAccessToken, the secrets in the query string).
reply = login.generate_token(ACCOUNT["pin"], totp(ACCOUNT["totp_secret"]))
token = reply.get("accessToken", "")
check("generate_token gives an access token", token.count(".") == 2, reply)
check("the token is the demo client's", reply.get("dhanClientId") == ACCOUNT["client_id"], reply)
check("expiryTime is IST text", len(reply.get("expiryTime", "")) >= 19, reply)

# The profile (DhanLogin.user_profile: access-token and dhanClientId headers).
profile = login.user_profile(token)
check("user_profile names the client", profile.get("dhanClientId") == ACCOUNT["client_id"], profile)
check("user_profile has the segments", "Equity" in profile.get("activeSegment", ""), profile)
check("user_profile has tokenValidity", "/" in profile.get("tokenValidity", ""), profile)

# Fund limits (DhanHTTP: access-token, client-id, Content-type, Accept).
answer = funds(token)
check("get_fund_limits succeeds", answer["status"] == "success", answer)
data = answer["data"]
for field, value in FUNDS.items():
    check(f"fund limit {field} = {value}", data.get(field) == value, data)
check("fund limit names the client", data.get("dhanClientId") == ACCOUNT["client_id"], data)

# RenewToken: a new token; the old one is refused from now on.
renewed = login.renew_token(token)
fresh = renewed.get("accessToken", "")
check("renew_token gives a new token", fresh and fresh != token, renewed)
check("the renewed token reads funds", funds(fresh)["status"] == "success")
stale = funds(token)
check(
    "the old token is refused with DH-901",
    stale["status"] == "failure" and stale["remarks"].get("error_code") == "DH-901",
    stale,
)

# The consent login: generate-consent, the consent page, consumeApp-consent.
consent_id = login.generate_login_session(ACCOUNT["app_id"], ACCOUNT["app_secret"])
check("generate_login_session gives a consentAppId", len(consent_id or "") == 36, consent_id)
page = requests.get(
    f"{DhanLogin.AUTH_BASE_URL}/login/consentApp-login",
    params={"consentAppId": consent_id},
    allow_redirects=False,
    timeout=10,
)
check("the consent page redirects", page.status_code == 302, page.status_code)
location = page.headers["Location"]
check("to the app's redirect URL", location.startswith(ACCOUNT["redirect_url"]), location)
token_id = parse_qs(urlparse(location).query)["tokenId"][0]
consumed = login.consume_token_id(token_id, ACCOUNT["app_id"], ACCOUNT["app_secret"])
check("consume_token_id gives an access token", consumed.get("accessToken", "").count(".") == 2, consumed)
check("with the client's name", bool(consumed.get("dhanClientName")), consumed)
check("the consent token reads funds", funds(consumed["accessToken"])["status"] == "success")
try:
    login.consume_token_id(token_id, ACCOUNT["app_id"], ACCOUNT["app_secret"])
    check("a tokenId is single use", False, "consumed twice")
except Exception:  # the SDK raises a bare Exception for any refusal
    check("a tokenId is single use", True)

print(f"dhan: {checks} checks passed")
