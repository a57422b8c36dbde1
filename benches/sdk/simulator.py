"""brokersim for compare.py: the simulator as a child process, the user's
browser on its login pages, the TOTP code, and a guard that keeps every name
lookup on loopback."""

import base64
import hashlib
import hmac
import http.client
import json
import socket
import struct
import subprocess
import time
import urllib.parse
from pathlib import Path

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


def keep_to_loopback():
    """From now on, this process resolves loopback names only."""
    socket.getaddrinfo = _loopback_only


# ---- brokersim -------------------------------------------------------------


class Brokersim:
    """`brokersim --port 0 --no-rate-limit --stop-on-eof` as a child; its
    startup line (every family's URLs and demo accounts) parsed into `info`.
    Stopped (killed if need be) on exit."""

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

    def family(self, name):
        """The startup line's part for one family ("zerodha"), its first account."""
        part = self.info[name]
        return part, part["accounts"][0]


def browse(url, **query):
    """What the user's browser does on a login page: GET it with `query`
    and read the redirect, without following it. The redirect's query, as a dict."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", parts.path + "?" + urllib.parse.urlencode(query))
        reply = connection.getresponse()
        reply.read()
        location = reply.getheader("Location") or ""
    finally:
        connection.close()
    if reply.status != 302 or "?" not in location:
        raise RuntimeError("the login page %s answered HTTP %s %r" % (url, reply.status, location))
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def totp(base32_secret, at=None):
    """RFC 6238 (SHA-1, 6 digits, 30 s). pyotp refuses brokersim's 80-bit
    demo secret ("at least 112 bits"), so the code is computed here."""
    key = base64.b32decode(base32_secret.upper() + "=" * (-len(base32_secret) % 8))
    counter = struct.pack(">Q", int(time.time() if at is None else at) // 30)
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1_000_000)
