"""Fyers' official Python SDK (fyers-apiv3) against brokersim.

The SDK is used unchanged but for its root URL (`fyersModel.Config.API`): it
builds the login URL, a plain HTTP client plays the browser on brokersim's
login page, the SDK exchanges the auth code (appIdHash), reads the profile and
funds, and logs out. Every value must match brokersim's demo account. Run by
scripts/sdk.sh, which passes brokersim's JSON line in $BROKERSIM_JSON.
"""

import json
import os
import shutil
import sys
import tempfile
import urllib.parse

import requests
from fyers_apiv3 import fyersModel

line = json.loads(os.environ["BROKERSIM_JSON"])
fyers = line["fyers"]
account = fyers["accounts"][0]
fyersModel.Config.API = fyers["base_url"]  # the one change: the root URL

checks = 0


def check(what, got, want):
    global checks
    if got != want:
        print(f"FAIL {what}: got {got!r}, want {want!r}")
        sys.exit(1)
    checks += 1
    print(f"ok   {what}: {got!r}")


def browse(url):
    """What the user's browser does on the login page: follow to the redirect."""
    reply = requests.get(url, allow_redirects=False, timeout=10)
    check("login page answers with a redirect", reply.status_code, 302)
    location = reply.headers["Location"]
    check("redirect goes to the app's redirect_uri", location.split("?")[0], account["redirect_uri"])
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def session_model(secret):
    return fyersModel.SessionModel(
        client_id=account["app_id"],
        redirect_uri=account["redirect_uri"],
        response_type="code",
        state="sdk-state-42",
        secret_key=secret,
        grant_type="authorization_code",
    )


session = session_model(account["app_secret"])
url = session.generate_authcode()
check("login URL", url.split("?")[0], fyers["login_url"])
redirect = browse(url)
check("redirect s", redirect.get("s"), "ok")
check("redirect code (a status, not the grant)", redirect.get("code"), "200")
check("redirect state", redirect.get("state"), "sdk-state-42")
auth_code = redirect["auth_code"]

session.set_token(auth_code)
token = session.generate_token()
check("validate-authcode s", token.get("s"), "ok")
check("validate-authcode code", token.get("code"), 200)
access_token = token["access_token"]
check("a refresh token came too", isinstance(token.get("refresh_token"), str), True)

again = session.generate_token()
check("a used auth code is refused", (again.get("s"), again.get("code")), ("error", -17))

wrong = session_model("not-the-secret")
wrong.set_token(browse(wrong.generate_authcode())["auth_code"])
refused = wrong.generate_token()
check("a wrong app secret is refused (appIdHash)", (refused.get("s"), refused.get("code")), ("error", -371))

logs = tempfile.mkdtemp(prefix="fyers-sdk-logs-")
model = fyersModel.FyersModel(client_id=account["app_id"], token=access_token, log_path=logs)

profile = model.get_profile()
check("profile s", profile.get("s"), "ok")
data = profile["data"]
check("profile fy_id", data.get("fy_id"), account["fy_id"])
check("profile name", data.get("name"), "DEMO FYERS TRADER")
check("profile email_id (masked)", data.get("email_id"), "dxxxxxxx@example.com")
check("profile mobile_number (masked)", data.get("mobile_number"), "98xxxxxx10")

funds = model.funds()
check("funds s", funds.get("s"), "ok")
rows = {row["title"]: row for row in funds["fund_limit"]}
check("funds rows", len(rows), 10)
check("Clear Balance equityAmount", rows["Clear Balance"]["equityAmount"], 21940.250000000004)
check("Clear Balance commodityAmount", rows["Clear Balance"]["commodityAmount"], 749.5)
check("Available Balance equityAmount", rows["Available Balance"]["equityAmount"], 26940.250000000004)
check("Utilized Amount equityAmount", rows["Utilized Amount"]["equityAmount"], 3210.2)
check("Realized Profit and Loss", rows["Realized Profit and Loss"]["equityAmount"], -120.35)
check("Collaterals", rows["Collaterals"]["equityAmount"], 5000)
check("Fund Transfer", rows["Fund Transfer"]["equityAmount"], 1500.5)

out = model.logout()
check("logout s", out.get("s"), "ok")
check("logout message", out.get("message"), "you are successfully logged out")
after = model.get_profile()
check("the token is revoked after logout", (after.get("s"), after.get("code")), ("error", -17))

shutil.rmtree(logs, ignore_errors=True)
print(f"fyers: {checks} checks passed")
