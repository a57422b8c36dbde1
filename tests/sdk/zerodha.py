"""Zerodha's official Python SDK (kiteconnect), unchanged but for its root
URL, against brokersim: the browser login (brokersim's login page plays
Kite's), the request-token exchange, profile, margins and logout. Exits
non-zero on the first difference from brokersim's demo account."""

import http.client
import json
import os
import sys
import urllib.parse

from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_errors


def check(what, got, want):
    if got != want:
        sys.exit(f"zerodha: {what}: got {got!r}, want {want!r}")
    print(f"ok   {what}: {got!r}")


def browse(url):
    """GETs a login page as a browser would and returns where it redirects."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=7)
    connection.request("GET", f"{parts.path}?{parts.query}")
    reply = connection.getresponse()
    if reply.status != 302:
        sys.exit(f"zerodha: the login page answered {reply.status}, not a redirect")
    return reply.getheader("Location")


def main():
    sim = json.loads(os.environ["BROKERSIM_JSON"])["zerodha"]
    account = sim["accounts"][0]
    kite = KiteConnect(api_key=account["api_key"], root=sim["base_url"])

    # The SDK's login URL points at kite.zerodha.com; brokersim's page takes
    # the same query (api_key and v=3).
    sdk_login = urllib.parse.urlsplit(kite.login_url())
    check("the SDK's login page", f"{sdk_login.scheme}://{sdk_login.netloc}{sdk_login.path}",
          "https://kite.zerodha.com/connect/login")
    redirect = browse(f"{sim['login_url']}?{sdk_login.query}")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect).query))
    check("the redirect's status", query.get("status"), "success")
    request_token = query["request_token"]

    session = kite.generate_session(request_token, api_secret=account["api_secret"])
    check("generate_session user_id", session["user_id"], account["user_id"])
    check("generate_session sets the access token",
          bool(session["access_token"]) and kite.access_token == session["access_token"], True)
    check("login_time parsed by the SDK", type(session["login_time"]).__name__, "datetime")
    check("refresh_token of an ordinary app", session["refresh_token"], "")

    try:
        kite.generate_session(request_token, api_secret=account["api_secret"])
        sys.exit("zerodha: a used request token was accepted again")
    except kite_errors.TokenException as e:
        check("a used request token", (str(e), e.code), ("Token is invalid or has expired.", 403))

    profile = kite.profile()
    check("profile user_id", profile["user_id"], account["user_id"])
    check("profile user_name", profile["user_name"], "Kite Demo")
    check("profile email", profile["email"], "kite.demo@example.com")
    check("profile avatar_url", profile["avatar_url"], None)

    margins = kite.margins()
    check("margins equity cash", margins["equity"]["available"]["cash"], 245431.6)
    check("margins equity net", margins["equity"]["net"], 99725.05000000002)
    check("margins equity debits", margins["equity"]["utilised"]["debits"], 145706.55)
    check("margins equity m2m_realised", margins["equity"]["utilised"]["m2m_realised"], 761.7)
    check("margins commodity cash", margins["commodity"]["available"]["cash"], 97297.5)
    check("margins('equity')", kite.margins("equity"), margins["equity"])
    check("margins('commodity')", kite.margins("commodity"), margins["commodity"])

    check("invalidate_access_token", kite.invalidate_access_token(), True)
    try:
        kite.profile()
        sys.exit("zerodha: the access token still worked after logout")
    except kite_errors.TokenException as e:
        check("profile after logout", (str(e), e.code),
              ("Incorrect `api_key` or `access_token`.", 403))
    print("zerodha: the official SDK agrees with brokersim")


if __name__ == "__main__":
    main()
