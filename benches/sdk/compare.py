#!/usr/bin/env python3
"""The official Python SDKs against brokerlink's Python binding, on brokersim.

For each broker, the same sequence (log in, N funds reads, log out) runs R
times through the broker's official SDK from PyPI and through brokerlink's
ctypes binding (bindings/python/brokerlink.py), interleaved, against one
brokersim on 127.0.0.1, next to the floor (the same funds request as raw
bytes on a socket). Prints a Markdown section for BENCHMARKS.md (or writes
it to --output): median figures, brokerlink's speed-up measured in the same
run, the versions used, and every patch or workaround the SDKs needed to
reach brokersim.

    target/bench-venv/bin/python benches/sdk/compare.py [--quick] [--output FILE]
        [--diagnostic-cpu CPU]   (then again with every process on that CPU)

scripts/bench.sh makes the venv (benches/sdk/requirements.txt) and runs this
after `cargo build --release -p brokerlink -p brokersim`. Progress goes to
stderr. Nothing leaves loopback: a guard refuses to resolve any other host.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import importlib.metadata
import inspect
import json
import os
import platform
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "target" / "release"
sys.path.insert(0, str(ROOT / "bindings" / "python"))

# ---- loopback only ---------------------------------------------------------

LOOPBACK = {None, "127.0.0.1", "localhost", "::1"}
_real_getaddrinfo = socket.getaddrinfo


def _loopback_only(host, *args, **kwargs):
    """socket.getaddrinfo for loopback names only. smartapi-python looks up
    api.ipify.org at import; this makes that fail at once on any machine."""
    name = host.decode() if isinstance(host, bytes) else host
    if name not in LOOPBACK:
        raise socket.gaierror(socket.EAI_NONAME, "compare.py resolves loopback only, not %s" % name)
    return _real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _loopback_only


def progress(message):
    print(message, file=sys.stderr, flush=True)


# ---- brokersim -------------------------------------------------------------


class Brokersim:
    """`brokersim --port 0 --no-rate-limit --stop-on-eof` as a child; its
    startup line parsed into `info`. Stopped (killed if need be) on exit."""

    def __init__(self, binary):
        self.binary = binary
        self.process = None
        self.info = None

    def __enter__(self):
        if not Path(self.binary).exists():
            raise SystemExit(
                "compare.py: %s is missing: run `cargo build --release -p brokersim`" % self.binary
            )
        self.process = subprocess.Popen(
            [self.binary, "--port", "0", "--no-rate-limit", "--stop-on-eof"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit("compare.py: brokersim exited before printing its startup line")
            self.info = json.loads(line)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info):
        if self.process is None:
            return
        try:
            self.process.stdin.close()  # --stop-on-eof: a clean stop
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.process = None

    def authorization_code(self, preset, client_id):
        """What the user's browser gets from the preset's login page: the
        `code` in the redirect, read without following it."""
        url = urllib.parse.urlsplit(self.info["noren"][preset]["oauth_url"])
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        try:
            connection.request("GET", url.path + "?client_id=" + urllib.parse.quote(client_id))
            reply = connection.getresponse()
            reply.read()
            location = reply.getheader("Location") or ""
        finally:
            connection.close()
        codes = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get("code")
        if reply.status != 302 or not codes:
            raise RuntimeError("no code from %s: HTTP %s %r" % (url.geturl(), reply.status, location))
        return codes[0]


def totp(base32_secret, at=None):
    """RFC 6238 (SHA-1, 6 digits, 30 s). pyotp refuses brokersim's 80-bit
    demo secret ("at least 112 bits"), so the code is computed here."""
    key = base64.b32decode(base32_secret.upper() + "=" * (-len(base32_secret) % 8))
    counter = struct.pack(">Q", int(time.time() if at is None else at) // 30)
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1_000_000)


# ---- the clients -----------------------------------------------------------
#
# Each client has prepare() (untimed: the user's browser step, if any),
# login(), funds() and logout(). login() includes making the SDK object or
# the brokerlink Session, since a program does that at each start.

ANGEL = {"api_key": "demo-api-key", "client_code": "D12345", "pin": "1234",
         "totp_secret": "JBSWY3DPEHPK3PXP"}
NOREN = {
    "kambala": {"user_id": "NKAM01", "client_id": "kambala-client", "secret": "kambala-secret"},
    "zebu": {"user_id": "NZEB01", "client_id": "zebu-client", "secret": "zebu-secret"},
}


class AngelSdk:
    name = "smartapi-python"

    def __init__(self, sim):
        from SmartApi import SmartConnect  # imported in the temporary directory

        self.connect = SmartConnect
        self.base_url = sim.info["angelone"]["base_url"]
        self.api = None

    def prepare(self):
        pass

    def login(self):
        self.api = self.connect(api_key=ANGEL["api_key"], root=self.base_url, timeout=30)
        # Logs in, then reads the profile (generateSession always does).
        reply = self.api.generateSession(ANGEL["client_code"], ANGEL["pin"], totp(ANGEL["totp_secret"]))
        check(reply.get("status") is True, "smartapi login", reply)

    def funds(self):
        reply = self.api.rmsLimit()
        check(reply.get("status") is True and reply.get("data"), "smartapi rmsLimit", reply)

    def logout(self):
        reply = self.api.terminateSession(ANGEL["client_code"])
        check(reply.get("status") is True, "smartapi logout", reply)


class NorenSdk:
    name = "norenrestapioauth"

    def __init__(self, sim, preset):
        from NorenRestApiPy.NorenApi import NorenApi

        # The SDK joins host + "/GenAcsTok": the base must have no trailing slash.
        self.host = sim.info["noren"][preset]["base_url"].rstrip("/")
        self.sim = sim
        self.preset = preset
        self.account = NOREN[preset]
        self.api_class = zebu_patched(NorenApi) if preset == "zebu" else NorenApi
        self.api = None
        self.code = None

    def prepare(self):
        self.code = self.sim.authorization_code(self.preset, self.account["client_id"])

    def login(self):
        # The websocket address is required but only used by start_websocket().
        self.api = self.api_class(host=self.host, websocket="ws://127.0.0.1:9/unused")
        reply = self.api.getAccessToken(
            self.code, self.account["secret"], self.account["client_id"], self.account["user_id"]
        )
        check(reply is not None, "NorenApi.getAccessToken", reply)

    def funds(self):
        reply = self.api.get_limits()
        check(reply.get("stat") == "Ok", "NorenApi.get_limits", reply)

    def logout(self):
        reply = self.api.logout()
        check(reply is not None and reply.get("stat") == "Ok", "NorenApi.logout", reply)


class Brokerlink:
    name = "brokerlink (Python binding)"

    def __init__(self, sim, library, broker, preset=None):
        import brokerlink

        self.module = brokerlink
        self.library = str(library)
        self.sim = sim
        self.preset = preset
        self.session = None
        self.code = None
        if broker == "angelone":
            self.config = {"broker": "angelone", "api_key": ANGEL["api_key"],
                           "client_code": ANGEL["client_code"],
                           "base_url": sim.info["angelone"]["base_url"]}
            self.credentials = {"pin": ANGEL["pin"], "totp_secret": ANGEL["totp_secret"]}
        else:
            urls = sim.info["noren"][preset]
            self.config = {"broker": "noren", "preset": preset, "base_url": urls["base_url"],
                           "oauth_url": urls["oauth_url"],
                           "client_id": NOREN[preset]["client_id"],
                           "secret": NOREN[preset]["secret"]}
            self.credentials = None
        self.config.update({"rate_limits": "off", "timeout_ms": 30000})

    def prepare(self):
        if self.preset is not None:
            self.code = self.sim.authorization_code(self.preset, NOREN[self.preset]["client_id"])
            self.credentials = {"code": self.code}

    def login(self):
        self.session = self.module.Session(self.config, library=self.library)
        self.session.login(self.credentials)

    def funds(self):
        self.session.rms()

    def logout(self):
        self.session.logout()
        self.session.close()


class RawFloor:
    """The floor: brokerlink's funds request as fixed bytes on one kept-alive
    socket, the reply read by Content-Length and parsed with json.loads. No
    client at all; what any Python client's reads per second are bound by.
    The token comes from a session that brokerlink logged in."""

    def __init__(self, ours):
        self.ours = ours

    def rate(self, reads, repeats):
        """Median reads per second over `repeats` runs, after a warm-up."""
        ours = self.ours
        ours.prepare()
        ours.login()
        try:
            request, address = self.request(ours)
            self.run(address, request, max(reads // 10, 10))
            return statistics.median(reads / self.run(address, request, reads)
                                     for _ in range(repeats))
        finally:
            ours.logout()

    def run(self, address, request, reads):
        """Seconds for `reads` exchanges on a new connection: each run gets a
        new brokersim thread, wherever the scheduler puts it, as clients do."""
        with socket.create_connection(address, timeout=30) as connection:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            replies = connection.makefile("rb")
            started = time.perf_counter()
            for _ in range(reads):
                self.exchange(connection, replies, request)
            return time.perf_counter() - started

    @staticmethod
    def request(ours):
        """The bytes of brokerlink's funds request for this session."""
        state = ours.session.export_state()
        url = urllib.parse.urlsplit(state["base_url"])
        host = "%s:%d" % (url.hostname, url.port)
        token = "Bearer " + state["access_token"]
        if ours.preset is None:
            lines = ["GET /rest/secure/angelbroking/user/v1/getRMS HTTP/1.1", "Host: " + host,
                     "Content-Type: application/json", "Accept: application/json",
                     "X-UserType: USER", "X-SourceID: WEB", "X-ClientLocalIP: 127.0.0.1",
                     "X-ClientPublicIP: 127.0.0.1", "X-MACAddress: 00:00:00:00:00:00",
                     "X-PrivateKey: " + ANGEL["api_key"], "Authorization: " + token]
            body = ""
        else:
            body = "jData=" + json.dumps({"uid": state["user_id"], "actid": state["account_id"]})
            lines = ["POST %s/Limits HTTP/1.1" % url.path.rstrip("/"), "Host: " + host,
                     "Content-Type: text/plain", "Authorization: " + token,
                     "Content-Length: %d" % len(body)]
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode(), (url.hostname, url.port)

    @staticmethod
    def exchange(connection, replies, request):
        connection.sendall(request)
        status = replies.readline()
        length = 0
        while True:
            line = replies.readline()
            if line in (b"\r\n", b""):
                break
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        reply = json.loads(replies.read(length))
        if b" 200 " not in status or not reply:
            raise RuntimeError("the raw funds request failed: %r %r" % (status, reply))


def check(ok, what, reply):
    if not ok:
        raise RuntimeError("%s failed: %r" % (what, reply))


# ---- the one SDK patch -----------------------------------------------------

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


# ---- measuring -------------------------------------------------------------


def run_sequence(client, reads):
    """One login, `reads` funds reads, one logout: the seconds of each part."""
    client.prepare()
    started = time.perf_counter()
    client.login()
    logged_in = time.perf_counter()
    for _ in range(reads):
        client.funds()
    read = time.perf_counter()
    client.logout()
    done = time.perf_counter()
    return {"total": done - started, "login": logged_in - started, "reads": read - logged_in}


def measure(pairs, reads, repeats):
    """Runs every client `repeats` times, interleaved, after one short
    warm-up run each. One row per pair: label, then name and medians of the
    SDK, then of brokerlink."""
    samples = {id(c): [] for pair in pairs for c in pair[1:]}
    for _, sdk, ours in pairs:
        for client in (sdk, ours):
            run_sequence(client, max(reads // 10, 10))
    for repeat in range(repeats):
        for label, sdk, ours in pairs:
            for client in (sdk, ours):
                sample = run_sequence(client, reads)
                samples[id(client)].append(sample)
                progress("  run %d/%d %s, %s: %.3f s" % (repeat + 1, repeats, label, client.name,
                                                          sample["total"]))

    def medians(client):
        runs = samples[id(client)]
        return {
            "total": statistics.median(r["total"] for r in runs),
            "login": statistics.median(r["login"] for r in runs),
            "rate": statistics.median(reads / r["reads"] for r in runs),
        }

    return [{"label": label, "sdk_name": sdk_label(sdk), "sdk": medians(sdk),
             "ours_name": ours.name, "ours": medians(ours)}
            for label, sdk, ours in pairs]


def run_pass(brokersim, library, reads, repeats, cpu=None):
    """One measurement against a brokersim of its own; with `cpu`, this
    process, its threads and brokersim all run on that one CPU."""
    affinity = os.sched_getaffinity(0)
    home = os.getcwd()
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})  # threads and brokersim, started later, inherit it
    try:
        with tempfile.TemporaryDirectory(prefix="brokerlink-sdk-bench-") as scratch, \
                Brokersim(brokersim) as sim:
            os.chdir(scratch)  # smartapi-python writes logs/<date>/app.log here
            try:
                pairs = [
                    ("Angel One", AngelSdk(sim), Brokerlink(sim, library, "angelone")),
                    ("Noren (Zebu)", NorenSdk(sim, "zebu"),
                     Brokerlink(sim, library, "noren", "zebu")),
                    ("Noren (Kambala)", NorenSdk(sim, "kambala"),
                     Brokerlink(sim, library, "noren", "kambala")),
                ]
                progress("compare.py: %d funds reads x %d runs per client, brokersim at %s%s"
                         % (reads, repeats, sim.info["base_url"],
                            "" if cpu is None else ", everything on CPU %d" % cpu))
                rows = measure(pairs, reads, repeats)
                for row, (_, _, ours) in zip(rows, pairs):
                    row["floor"] = RawFloor(ours).rate(reads, repeats)
                return rows
            finally:
                os.chdir(home)
    finally:
        os.sched_setaffinity(0, affinity)


# ---- the report ------------------------------------------------------------


def version_of(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def report(rows, one_cpu_rows, reads, repeats, command, library):
    out = []
    w = out.append
    w("## 5. Against the official Python SDKs: login, %s funds reads, logout\n" % format(reads, ","))
    w("Each client runs the sequence %d times, interleaved with the others after one short warm-up "
      "run each; each figure is the median. Login includes making the SDK object or brokerlink "
      "Session; the Noren OAuth code is fetched from brokersim's login page before the clock "
      "starts (the user's browser step). Funds reads per second counts the reads alone. "
      "brokerlink runs through `bindings/python/brokerlink.py` (ctypes) on `%s` with "
      "`\"rate_limits\":\"off\"`; brokersim runs with `--no-rate-limit` on 127.0.0.1.\n"
      % (repeats, os.path.relpath(library, ROOT)))
    w("Produced by `%s` with %s %s; smartapi-python %s (and logzero %s), norenrestapioauth %s, "
      "requests %s.\n" % (command, platform.python_implementation(), platform.python_version(),
                          version_of("smartapi-python"), version_of("logzero"),
                          version_of("norenrestapioauth"), version_of("requests")))
    w("| broker | client | sequence, s | login, ms | funds reads per second | brokerlink's speed-up (reads; whole sequence) |")
    w("|---|---|---|---|---|---|")
    for row in rows:
        label, a, b = row["label"], row["sdk"], row["ours"]
        w("| %s | %s | %.3f | %.1f | %.0f | |" % (label, row["sdk_name"], a["total"], a["login"] * 1e3, a["rate"]))
        w("| %s | %s | %.3f | %.1f | %.0f | **%.1fx**; %.1fx |" % (
            label, row["ours_name"], b["total"], b["login"] * 1e3, b["rate"], b["rate"] / a["rate"],
            a["total"] / b["total"]))
        w("| %s | raw socket from Python (the floor) | | | %.0f | %.1fx: the most any client could reach |"
          % (label, row["floor"], row["floor"] / a["rate"]))
    met = all(r["ours"]["rate"] / r["sdk"]["rate"] >= 10 for r in rows)
    w("")
    w("Goal: at least 10x the official SDKs' funds throughput: **%s**. The floor is brokerlink's "
      "funds request as fixed bytes on one kept-alive socket, its reply parsed with `json.loads`: "
      "no client at all. brokerlink's login time is mostly `broker_new` loading the platform's "
      "trust store (section 4).\n" % ("met" if met else "MISSED"))
    if one_cpu_rows:
        w("### The same with every process on one CPU (a diagnostic)\n")
        w("Each brokerlink call passes through three threads in turn (the caller, reqwest's runtime "
          "thread, brokersim's connection thread), each SDK call through two; when they run on "
          "different CPUs every hand-over is a cross-CPU wakeup. This second run pins this script, "
          "its threads and brokersim to CPU %d (`compare.py --diagnostic-cpu %d`), same reads and "
          "repeats. It is not the headline figure: it shows how much of the gap is those wakeups.\n"
          % (one_cpu_rows[0], one_cpu_rows[0]))
        w("| broker | funds reads per second: SDK | brokerlink | the floor | brokerlink's speed-up | the floor's |")
        w("|---|---|---|---|---|---|")
        for row in one_cpu_rows[1]:
            a, b = row["sdk"]["rate"], row["ours"]["rate"]
            w("| %s | %.0f | %.0f | %.0f | %.1fx | %.1fx |" % (row["label"], a, b, row["floor"], b / a,
                                                           row["floor"] / a))
        w("")
    w("### What it took to point the SDKs at brokersim\n")
    w(PATCH_NOTES.strip())
    return "\n".join(out)


def sdk_label(client):
    if isinstance(client, AngelSdk):
        return "smartapi-python %s" % version_of("smartapi-python")
    patched = " (patched, below)" if client.preset == "zebu" else " (unpatched)"
    return "norenrestapioauth %s%s" % (version_of("norenrestapioauth"), patched)


PATCH_NOTES = """
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


# ---- main ------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 funds reads, 3 repeats")
    parser.add_argument("--reads", type=int, help="funds reads per sequence (default 1000)")
    parser.add_argument("--repeats", type=int, help="sequences per client (default 5)")
    parser.add_argument("--output", help="write the Markdown section here instead of stdout")
    parser.add_argument("--command", default="benches/sdk/compare.py",
                        help="the command to name in the report")
    parser.add_argument("--diagnostic-cpu", type=int, metavar="CPU",
                        help="then measure again with everything on this one CPU (a second table)")
    parser.add_argument("--brokersim", default=str(RELEASE / "brokersim"),
                        help="the brokersim binary (default target/release/brokersim)")
    parser.add_argument("--library", default=str(RELEASE / "libbrokerlink.so"),
                        help="the library (default target/release/libbrokerlink.so)")
    args = parser.parse_args()
    reads = args.reads or (200 if args.quick else 1000)
    repeats = args.repeats or (3 if args.quick else 5)
    library = os.path.abspath(args.library)
    if not Path(library).exists():
        raise SystemExit("compare.py: %s is missing: run `cargo build --release -p brokerlink`" % library)

    rows = run_pass(args.brokersim, library, reads, repeats)
    one_cpu = None
    if args.diagnostic_cpu is not None:
        one_cpu = (args.diagnostic_cpu,
                   run_pass(args.brokersim, library, reads, repeats, args.diagnostic_cpu))
    text = report(rows, one_cpu, reads, repeats, args.command, library)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
