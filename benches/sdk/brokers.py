"""Every broker family compare.py measures, each in one class: how its
official SDK logs in, reads funds and logs out against brokersim (and what it
took to point it there), brokerlink's config and credentials for the same
demo account, and its funds request as fixed bytes for the floor.

A broker's `grant()` is the user's browser step (an OAuth code from
brokersim's login page), run before the clock starts; both clients log in
with a fresh one. Each SDK is imported when its broker is made, inside the
temporary directory compare.py runs in.
"""

import collections
import inspect
import json
import os
import sys
import textwrap
import types
import urllib.parse

from simulator import browse, totp

#: The OAuth `state` the browser step sends; brokersim hands it back.
STATE = "brokerlink-bench"


def check(ok, what, reply):
    if not ok:
        raise RuntimeError("%s failed: %r" % (what, reply))


def base_path(url):
    """The path part of a base URL, without its trailing slash."""
    return urllib.parse.urlsplit(url).path.rstrip("/")


#: How a broker's brokerlink config and credentials come from brokersim's
#: startup line: `broker`, the demo account's `account` keys as they are, the
#: config keys in `urls` (config key: startup line key), and the credentials
#: key for the browser's `grant` (None: the account's PIN and TOTP secret).
Keys = collections.namedtuple("Keys", "broker account urls grant")
BASE_URL = {"base_url": "base_url"}


class Broker:
    """One family: `label` names its rows, `sdk` is the PyPI distribution,
    `patched` says whether the SDK's code had to change, `notes` what it took,
    `keys` how brokerlink is configured (Keys).
    A subclass sets `self.urls` (its part of brokersim's startup line) and
    `self.account` (the demo account)."""

    label = ""
    sdk = ""
    patched = False
    notes = ""
    keys = None

    def grant(self):
        """The browser step, untimed; None for a login without one."""
        return None

    def config(self):
        config = {"broker": self.keys.broker}
        config.update((key, self.account[key]) for key in self.keys.account)
        config.update((key, self.urls[name]) for key, name in self.keys.urls.items())
        return config

    def credentials(self, grant):
        if self.keys.grant is None:
            return {"pin": self.account["pin"], "totp_secret": self.account["totp_secret"]}
        return {self.keys.grant: grant}

    def funds_request(self, state):
        """brokerlink's funds request for an exported `state`: method,
        path, header lines, body."""
        raise NotImplementedError


# ---- Angel One -------------------------------------------------------------


class AngelOne(Broker):
    label = "Angel One"
    sdk = "smartapi-python"
    keys = Keys("angelone", ("api_key", "client_code"), BASE_URL, None)
    notes = """
smartapi-python (Angel One), `from SmartApi import SmartConnect`:

- The address needs no patch: `SmartConnect(api_key=…, root="http://127.0.0.1:PORT", timeout=30)`.
- Its metadata does not declare `logzero`, which `SmartApi/smartConnect.py` imports:
  `pip install smartapi-python` alone gives an SDK that fails at import. requirements.txt adds it.
- At import the class body calls `requests.get('https://api.ipify.org')` (no timeout) for the
  public IP, then overwrites the result with a hard-coded `106.193.147.98` anyway. compare.py
  refuses every non-loopback name resolution, so that call fails at once and nothing leaves
  the machine.
- Each `SmartConnect(...)` writes `logs/<date>/app.log` into the current directory:
  compare.py runs in a temporary directory.
- TOTP: `pyotp` 2.x refuses brokersim's 80-bit demo secret `JBSWY3DPEHPK3PXP` ("Secrets must
  be at least 112 bits"); compare.py computes the RFC 6238 code with `hmac`.
- Not patched, and it shapes the figures: every call goes through `requests.request(...)`, a
  new TCP connection per call (the `pool` argument builds a `requests.Session` that `_request`
  never uses), and `generateSession` also reads the profile.
"""

    def __init__(self, sim):
        from SmartApi import SmartConnect

        self.connect = SmartConnect
        self.urls, self.account = sim.family("angelone")

    def sdk_login(self, grant):
        api = self.connect(api_key=self.account["api_key"], root=self.urls["base_url"], timeout=30)
        # Logs in, then reads the profile (generateSession always does).
        reply = api.generateSession(self.account["client_code"], self.account["pin"],
                                    totp(self.account["totp_secret"]))
        check(reply.get("status") is True, "smartapi login", reply)
        return api

    def sdk_funds(self, api):
        reply = api.rmsLimit()
        check(reply.get("status") is True and reply.get("data"), "smartapi rmsLimit", reply)

    def sdk_logout(self, api):
        reply = api.terminateSession(self.account["client_code"])
        check(reply.get("status") is True, "smartapi logout", reply)

    def funds_request(self, state):
        headers = ["Content-Type: application/json", "Accept: application/json",
                   "X-UserType: USER", "X-SourceID: WEB", "X-ClientLocalIP: 127.0.0.1",
                   "X-ClientPublicIP: 127.0.0.1", "X-MACAddress: 00:00:00:00:00:00",
                   "X-PrivateKey: " + self.account["api_key"],
                   "Authorization: Bearer " + state["access_token"]]
        return "GET", "/rest/secure/angelbroking/user/v1/getRMS", headers, ""


# ---- Noren -----------------------------------------------------------------

#: norenrestapioauth's getAccessToken indexes reply fields that Zebu's
#: GenAcsTok reply does not have (Zebu sends "uid" and no "susertoken"; the
#: SDK was written against Kambala's reply). The two lookups made tolerant:
ZEBU_PATCH = [
    ("usrid = resDict['USERID']", "usrid = resDict.get('USERID') or resDict['uid']"),
    ("resDict['susertoken']", "resDict.get('susertoken')"),
]


def zebu_patched(norenapi_class):
    """A subclass of NorenApi whose getAccessToken is the installed source
    with ZEBU_PATCH applied, and nothing else changed."""
    source = textwrap.dedent(inspect.getsource(norenapi_class.getAccessToken))
    for old, new in ZEBU_PATCH:
        if source.count(old) != 1:
            raise RuntimeError("the Zebu patch no longer applies: %r not found once" % old)
        source = source.replace(old, new)
    # Compiled inside a class named NorenApi, so that self.__x is mangled to
    # the same _NorenApi__x attributes the rest of the SDK uses.
    namespace = dict(sys.modules[norenapi_class.__module__].__dict__)
    exec(compile("class NorenApi:\n" + textwrap.indent(source, "    "), "<zebu patch>", "exec"), namespace)
    patched = namespace["NorenApi"].getAccessToken
    # The function's globals are `namespace`: NorenApi there must be the SDK's class again.
    namespace["NorenApi"] = norenapi_class
    return type("ZebuNorenApi", (norenapi_class,), {"getAccessToken": patched})


class Noren(Broker):
    sdk = "norenrestapioauth"
    keys = Keys("noren", ("client_id", "secret"),
                {"base_url": "base_url", "oauth_url": "oauth_url"}, "code")
    notes = """
norenrestapioauth (Noren OAuth; the PyPI package `norenrestapioauth` installs the module
`NorenRestApiPy`, the same module name as the legacy QuickAuth package `NorenRestApiPy`,
which this does not use), `from NorenRestApiPy.NorenApi import NorenApi`:

- The address needs no patch, but must have no trailing slash: URLs are `host + "/GenAcsTok"`,
  so `…/NorenWClientAPI/` asks for `//GenAcsTok` (404). `websocket=` is required even when
  unused. The host lives in a class-level dict, so one process can talk to one Noren host at a
  time (the last `NorenApi(...)` made wins).
- Kambala's preset: unpatched (GenAcsTok's reply there has every field the SDK reads).
- Zebu's preset: `getAccessToken` indexes `resDict['USERID']` and `resDict['susertoken']`, and
  Zebu's GenAcsTok reply (as brokersim models it) carries `uid` and no `susertoken`, so the
  unpatched SDK raises `KeyError: 'USERID'` after a successful login. compare.py runs the
  installed source of `getAccessToken` with two lookups changed, nothing else:
  `resDict['USERID']` → `resDict.get('USERID') or resDict['uid']` and
  `resDict['susertoken']` → `resDict.get('susertoken')`.
- Not patched, and it shapes the figures: every call is `requests.post(...)`, a new TCP
  connection per call.
"""

    def __init__(self, sim, preset):
        from NorenRestApiPy.NorenApi import NorenApi

        self.preset = preset
        self.label = "Noren (%s)" % preset.capitalize()
        self.patched = preset == "zebu"
        self.api_class = zebu_patched(NorenApi) if self.patched else NorenApi
        self.urls = sim.info["noren"][preset]
        self.account = self.urls["accounts"][0]

    def grant(self):
        return browse(self.urls["oauth_url"], client_id=self.account["client_id"])["code"]

    def sdk_login(self, grant):
        # The SDK joins host + "/GenAcsTok": the base must have no trailing slash.
        # The websocket address is required but only used by start_websocket().
        api = self.api_class(host=self.urls["base_url"].rstrip("/"),
                             websocket="ws://127.0.0.1:9/unused")
        reply = api.getAccessToken(grant, self.account["secret"], self.account["client_id"],
                                   self.account["user_id"])
        check(reply is not None, "NorenApi.getAccessToken", reply)
        return api

    def sdk_funds(self, api):
        reply = api.get_limits()
        check(reply.get("stat") == "Ok", "NorenApi.get_limits", reply)

    def sdk_logout(self, api):
        reply = api.logout()
        check(reply is not None and reply.get("stat") == "Ok", "NorenApi.logout", reply)

    def config(self):
        return dict(super().config(), preset=self.preset)

    def funds_request(self, state):
        body = "jData=" + json.dumps({"uid": state["user_id"], "actid": state["account_id"]})
        headers = ["Content-Type: text/plain", "Authorization: Bearer " + state["access_token"],
                   "Content-Length: %d" % len(body)]
        return "POST", base_path(state["base_url"]) + "/Limits", headers, body


# ---- Zerodha ---------------------------------------------------------------


class Zerodha(Broker):
    label = "Zerodha"
    sdk = "kiteconnect"
    keys = Keys("zerodha", ("api_key", "api_secret"),
                {"base_url": "base_url", "oauth_url": "login_url"}, "request_token")
    notes = """
kiteconnect (Zerodha Kite Connect), `from kiteconnect import KiteConnect`:

- The address needs no patch: `KiteConnect(api_key=…, root="http://127.0.0.1:PORT")`; the
  browser step is brokersim's `/connect/login?v=3&api_key=…`, which takes the query of the SDK's
  `login_url()` and redirects with a `request_token` (as `tests/sdk/zerodha.py` does).
- Login is `generate_session(request_token, api_secret=…)`, funds `margins()` (every segment,
  as brokerlink reads), logout `invalidate_access_token()`.
- Not patched, and it shapes the figures: calls go through one `requests.Session`, so reads
  reuse a kept-alive connection; importing `kiteconnect` imports Twisted and Autobahn for the
  ticker (untimed).
"""

    def __init__(self, sim):
        from kiteconnect import KiteConnect

        self.kite = KiteConnect
        self.urls, self.account = sim.family("zerodha")

    def grant(self):
        reply = browse(self.urls["login_url"], v="3", api_key=self.account["api_key"])
        check(reply.get("status") == "success", "the Kite login page", reply)
        return reply["request_token"]

    def sdk_login(self, grant):
        api = self.kite(api_key=self.account["api_key"], root=self.urls["base_url"])
        reply = api.generate_session(grant, api_secret=self.account["api_secret"])
        check(reply.get("user_id") == self.account["user_id"], "KiteConnect.generate_session", reply)
        return api

    def sdk_funds(self, api):
        reply = api.margins()
        check("equity" in reply, "KiteConnect.margins", reply)

    def sdk_logout(self, api):
        reply = api.invalidate_access_token()
        check(reply is True, "KiteConnect.invalidate_access_token", reply)

    def funds_request(self, state):
        headers = ["X-Kite-Version: 3",
                   "Authorization: token %s:%s" % (self.account["api_key"], state["access_token"])]
        return "GET", base_path(state["base_url"]) + "/user/margins", headers, ""


# ---- Upstox ----------------------------------------------------------------


class Upstox(Broker):
    label = "Upstox"
    sdk = "upstox-python-sdk"
    keys = Keys("upstox", ("api_key", "api_secret", "redirect_uri"),
                {"base_url": "base_url", "oauth_url": "oauth_url"}, "code")
    notes = """
upstox-python-sdk (Upstox), `import upstox_client`:

- The address needs no patch: `configuration.host = "http://127.0.0.1:PORT/upstox"` on an
  `upstox_client.Configuration()`. The browser step is brokersim's authorization dialog with
  `response_type=code`, the API key, the redirect URI and a `state`; it redirects with a code.
- Login is `LoginApi.token("2.0", code=…, client_id=…, client_secret=…, redirect_uri=…,
  grant_type="authorization_code")`, then a new `ApiClient` with the access token; funds
  `UserApi.get_user_fund_margin_v3()` (the v3 funds brokerlink reads by default), logout
  `LoginApi.logout("2.0")`.
- Not patched, and it shapes the figures: the generated client turns each reply into model
  objects; calls go through one urllib3 pool, so reads reuse a kept-alive connection.
"""

    def __init__(self, sim):
        import upstox_client

        self.client = upstox_client
        self.urls, self.account = sim.family("upstox")

    def grant(self):
        return browse(self.urls["oauth_url"], response_type="code",
                      client_id=self.account["api_key"],
                      redirect_uri=self.account["redirect_uri"], state=STATE)["code"]

    def sdk_login(self, grant):
        configuration = self.client.Configuration()
        configuration.host = self.urls["base_url"]
        login = self.client.LoginApi(self.client.ApiClient(configuration))
        token = login.token("2.0", code=grant, client_id=self.account["api_key"],
                            client_secret=self.account["api_secret"],
                            redirect_uri=self.account["redirect_uri"],
                            grant_type="authorization_code")
        check(token.user_id == self.account["user_id"], "upstox LoginApi.token", token)
        configuration.access_token = token.access_token
        api = self.client.ApiClient(configuration)
        return types.SimpleNamespace(client=api, user=self.client.UserApi(api))

    def sdk_funds(self, api):
        reply = api.user.get_user_fund_margin_v3()
        check(reply.status == "success", "upstox get_user_fund_margin_v3", reply)

    def sdk_logout(self, api):
        reply = self.client.LoginApi(api.client).logout("2.0")
        check(reply.status == "success", "upstox LoginApi.logout", reply)

    def funds_request(self, state):
        headers = ["Accept: application/json", "Api-Version: 3.0",
                   "Authorization: Bearer " + state["access_token"]]
        return "GET", base_path(state["base_url"]) + "/v3/user/get-funds-and-margin", headers, ""


# ---- Fyers -----------------------------------------------------------------


class Fyers(Broker):
    label = "Fyers"
    sdk = "fyers-apiv3"
    keys = Keys("fyers", ("app_id", "app_secret", "redirect_uri"),
                {"base_url": "base_url", "oauth_url": "login_url"}, "auth_code")
    notes = """
fyers-apiv3 (Fyers), `from fyers_apiv3 import fyersModel`:

- The address is a class attribute, set once: `fyersModel.Config.API =
  "http://127.0.0.1:PORT/fyers/api/v3"` (as `tests/sdk/fyers.py` does). The browser step is
  brokersim's `generate-authcode` page with the query of the SDK's `generate_authcode()`; it
  redirects with an `auth_code`.
- Login is a `SessionModel(...)`, `set_token(auth_code)`, `generate_token()` (the `appIdHash`
  exchange), then `FyersModel(client_id=…, token=…, log_path=…)`; funds `funds()`, logout
  `logout()`. `FyersModel` writes `fyersApi.log` and `fyersRequests.log` into `log_path`:
  compare.py gives it its temporary directory.
- It needs `requests==2.31.0` exactly, so the bench venv pins that version for every SDK.
- Not patched, and it shapes the figures: reads reuse a kept-alive connection (one
  `requests.Session` per `FyersModel`), but each reply is parsed with `response.json()` twice,
  once for a debug log record that is built even when the log level drops it.
"""

    def __init__(self, sim):
        from fyers_apiv3 import fyersModel

        self.model = fyersModel
        self.urls, self.account = sim.family("fyers")
        fyersModel.Config.API = self.urls["base_url"]  # the one change: the root URL

    def grant(self):
        reply = browse(self.urls["login_url"], client_id=self.account["app_id"],
                       redirect_uri=self.account["redirect_uri"], response_type="code",
                       state=STATE)
        check(reply.get("s") == "ok", "the Fyers login page", reply)
        return reply["auth_code"]

    def sdk_login(self, grant):
        session = self.model.SessionModel(
            client_id=self.account["app_id"], redirect_uri=self.account["redirect_uri"],
            response_type="code", state=STATE, secret_key=self.account["app_secret"],
            grant_type="authorization_code")
        session.set_token(grant)
        reply = session.generate_token()
        check(reply.get("s") == "ok", "fyers SessionModel.generate_token", reply)
        return self.model.FyersModel(client_id=self.account["app_id"],
                                     token=reply["access_token"], log_path=os.getcwd())

    def sdk_funds(self, api):
        reply = api.funds()
        check(reply.get("s") == "ok", "FyersModel.funds", reply)

    def sdk_logout(self, api):
        reply = api.logout()
        check(reply.get("s") == "ok", "FyersModel.logout", reply)

    def funds_request(self, state):
        headers = ["Authorization: %s:%s" % (self.account["app_id"], state["access_token"]),
                   "Content-Type: application/json", "version: 3"]
        return "GET", base_path(state["base_url"]) + "/funds", headers, ""


# ---- Dhan ------------------------------------------------------------------


class Dhan(Broker):
    label = "Dhan"
    sdk = "dhanhq"
    keys = Keys("dhan", ("client_id",), {"base_url": "base_url", "auth_url": "auth_url"}, None)
    notes = """
dhanhq (Dhan), `from dhanhq import DhanContext, DhanHTTP, DhanLogin, dhanhq`:

- The addresses are three class attributes, set once (as `tests/sdk/dhan.py` does):
  `DhanLogin.AUTH_BASE_URL = "http://127.0.0.1:PORT/dhan/auth"`, and `DhanLogin.API_BASE_URL`
  and `DhanHTTP.API_BASE_URL` = `"http://127.0.0.1:PORT/dhan/v2"`.
- Login is PIN + TOTP, no browser step: `DhanLogin(client_id).generate_token(pin, totp)`, then
  `dhanhq(DhanContext(client_id, token))`; funds `get_fund_limits()`. Dhan has no logout
  endpoint and the SDK no logout call (brokerlink's `broker_logout` makes no call either), so
  the sequence's logout is empty for both. The TOTP code is computed with `hmac`, as for
  Angel One.
- Not patched, and it shapes the figures: reads go through one `requests.Session` per
  `DhanHTTP`, so they reuse a kept-alive connection; the login calls are `requests.post(...)`.
"""

    def __init__(self, sim):
        import dhanhq

        self.sdk_module = dhanhq
        self.urls, self.account = sim.family("dhan")
        dhanhq.DhanLogin.AUTH_BASE_URL = self.urls["auth_url"]
        dhanhq.DhanLogin.API_BASE_URL = self.urls["base_url"]
        dhanhq.DhanHTTP.API_BASE_URL = self.urls["base_url"]

    def sdk_login(self, grant):
        login = self.sdk_module.DhanLogin(self.account["client_id"])
        reply = login.generate_token(self.account["pin"], totp(self.account["totp_secret"]))
        check(reply.get("accessToken"), "DhanLogin.generate_token", reply)
        context = self.sdk_module.DhanContext(self.account["client_id"], reply["accessToken"])
        return self.sdk_module.dhanhq(context)

    def sdk_funds(self, api):
        reply = api.get_fund_limits()
        check(reply.get("status") == "success", "dhanhq.get_fund_limits", reply)

    def sdk_logout(self, api):
        pass  # no logout endpoint at Dhan, no logout call in the SDK

    def funds_request(self, state):
        headers = ["access-token: " + state["access_token"], "client-id: " + state["user_id"],
                   "Content-Type: application/json", "Accept: application/json"]
        return "GET", base_path(state["base_url"]) + "/fundlimit", headers, ""


def every_broker(sim):
    """Each family's broker, in the order of the report's rows."""
    return [AngelOne(sim), Noren(sim, "zebu"), Noren(sim, "kambala"), Zerodha(sim), Upstox(sim),
            Fyers(sim), Dhan(sim)]
