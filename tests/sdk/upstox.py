"""Upstox's official Python SDK (upstox-python-sdk), unchanged but for its host, against
brokersim: browser login (the authorization dialog), token exchange, profile, funds v3 and v2,
a reused code refused, logout, and the logged-out token refused. Exits non-zero on the first
difference. Run by scripts/sdk.sh, which passes brokersim's JSON line in $BROKERSIM_JSON."""

import http.client
import json
import os
import sys
import urllib.parse

import upstox_client
from upstox_client.rest import ApiException

sim = json.loads(os.environ["BROKERSIM_JSON"])["upstox"]
account = sim["accounts"][0]


def check(what, got, want):
    if got != want:
        sys.exit(f"upstox SDK: {what}: got {got!r}, want {want!r}")
    print(f"ok  {what}: {got!r}")


def browse(url):
    """What a browser does with the authorization dialog: GET it, follow nothing, read the
    address it redirects to."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    connection.request("GET", f"{parts.path}?{parts.query}")
    reply = connection.getresponse()
    check("the dialog redirects", reply.status, 302)
    return reply.getheader("Location")


def error_code(error):
    body = json.loads(error.body)
    return body["errors"][0]["errorCode"], body["errors"][0]["error_code"]


configuration = upstox_client.Configuration()
configuration.host = sim["base_url"]
login = upstox_client.LoginApi(upstox_client.ApiClient(configuration))

query = urllib.parse.urlencode(
    {
        "response_type": "code",
        "client_id": account["api_key"],
        "redirect_uri": account["redirect_uri"],
        "state": "sdk-state-42",
    }
)
landed = urllib.parse.urlsplit(browse(f"{sim['oauth_url']}?{query}"))
params = dict(urllib.parse.parse_qsl(landed.query))
check("the redirect URI", f"{landed.scheme}://{landed.netloc}{landed.path}", account["redirect_uri"])
check("the state comes back", params["state"], "sdk-state-42")

exchange = dict(
    code=params["code"],
    client_id=account["api_key"],
    client_secret=account["api_secret"],
    redirect_uri=account["redirect_uri"],
    grant_type="authorization_code",
)
token = login.token("2.0", **exchange)
check("token user_id", token.user_id, account["user_id"])
check("token broker", token.broker, "UPSTOX")
if not token.access_token or not token.extended_token:
    sys.exit("upstox SDK: the token reply has no access_token or extended_token")
print("ok  access_token and extended_token issued")

try:
    login.token("2.0", **exchange)
    sys.exit("upstox SDK: a used code was accepted")
except ApiException as e:
    check("a used code: HTTP status", e.status, 400)
    check("a used code: error codes", error_code(e), ("UDAPI100057", "UDAPI100057"))

configuration.access_token = token.access_token
client = upstox_client.ApiClient(configuration)
user = upstox_client.UserApi(client)

profile = user.get_profile("2.0")
check("profile status", profile.status, "success")
check("profile user_id", profile.data.user_id, account["user_id"])
check("profile user_name", profile.data.user_name, "Demo Upstox Trader")
check("profile exchanges", profile.data.exchanges, ["NSE", "NFO", "BSE", "CDS", "BFO", "BCD"])
check("profile products", profile.data.products, ["D", "CO", "I"])

funds = user.get_user_fund_margin_v3()
check("funds v3 status", funds.status, "success")
available = funds.data.available_to_trade
check("funds v3 total", available.total, 5379.03)
check("funds v3 cash available", available.cash_available_to_trade.total, 5117.34)
check("funds v3 added today", available.cash_available_to_trade.cash.added_today, 110.0)
check("funds v3 withdrawn today", available.cash_available_to_trade.cash.withdrawn_today, -130.0)
check("funds v3 pledge margin", available.pledge_available_to_trade.margin_from_pledge.total, 263.49)
check("funds v3 pledge margin used", available.pledge_available_to_trade.margin_used.total, 1.8)

funds_v2 = user.get_user_fund_margin("2.0")
check("funds v2 status", funds_v2.status, "success")
check("funds v2 equity available", funds_v2.data["equity"].available_margin, 15507.46)
check("funds v2 equity used", funds_v2.data["equity"].used_margin, 0.8)
check("funds v2 equity payin", funds_v2.data["equity"].payin_amount, 200.0)
equity_only = user.get_user_fund_margin("2.0", segment="SEC")
check("funds v2 segment SEC", sorted(equity_only.data), ["equity"])

out = upstox_client.LoginApi(client).logout("2.0")
check("logout status", out.status, "success")
check("logout data", out.data, True)

try:
    user.get_profile("2.0")
    sys.exit("upstox SDK: the logged-out token still reads the profile")
except ApiException as e:
    check("after logout: HTTP status", e.status, 401)
    check("after logout: error codes", error_code(e), ("UDAPI100050", "UDAPI100050"))

print("upstox: the official SDK agrees with brokersim")
