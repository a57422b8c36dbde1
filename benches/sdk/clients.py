"""The three clients compare.py runs for each broker, all with prepare()
(untimed: the user's browser step, if any), login(), funds() and logout().
login() includes making the SDK object or the brokerlink Session, since a
program does that at each start."""

import json
import socket
import urllib.parse
from importlib import metadata


def version_of(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


class Sdk:
    """The broker's official SDK from PyPI."""

    def __init__(self, broker):
        self.broker = broker
        patch = " (patched, below)" if broker.patched else ""
        self.name = "%s %s%s" % (broker.sdk, version_of(broker.sdk), patch)
        self.grant = self.api = None

    def prepare(self):
        self.grant = self.broker.grant()

    def login(self):
        self.api = self.broker.sdk_login(self.grant)

    def funds(self):
        self.broker.sdk_funds(self.api)

    def logout(self):
        self.broker.sdk_logout(self.api)


class Binding:
    """brokerlink through its Python binding (ctypes), `"rate_limits":"off"`."""

    name = "brokerlink (Python binding)"

    def __init__(self, broker, library):
        import brokerlink

        self.module = brokerlink
        self.broker = broker
        self.library = str(library)
        self.config = dict(broker.config(), rate_limits="off", timeout_ms=30000)
        self.grant = self.session = None

    def prepare(self):
        self.grant = self.broker.grant()

    def login(self):
        self.session = self.module.Session(self.config, library=self.library)
        self.session.login(self.broker.credentials(self.grant))

    def funds(self):
        self.session.rms()

    def logout(self):
        self.session.logout()
        self.session.close()


class Floor:
    """The floor: brokerlink's funds request as fixed bytes on one kept-alive
    socket, the reply read by Content-Length and parsed with json.loads. No
    client at all; what any Python client's reads per second are bound by.
    Its login is a brokerlink login (the token), and a new connection: each
    run gets a new brokersim thread, wherever the scheduler puts it, as
    clients do."""

    name = "raw socket from Python (the floor)"

    def __init__(self, binding):
        self.binding = binding
        self.request = self.connection = self.replies = None

    def prepare(self):
        self.binding.prepare()

    def login(self):
        self.binding.login()
        state = self.binding.session.export_state()
        url = urllib.parse.urlsplit(state["base_url"])
        method, path, headers, body = self.binding.broker.funds_request(state)
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%d" % (url.hostname, url.port)]
        self.request = ("\r\n".join(lines + headers) + "\r\n\r\n" + body).encode()
        self.connection = socket.create_connection((url.hostname, url.port), timeout=30)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.replies = self.connection.makefile("rb")

    def funds(self):
        self.connection.sendall(self.request)
        status = self.replies.readline()
        length = 0
        while True:
            line = self.replies.readline()
            if line in (b"\r\n", b""):
                break
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        reply = json.loads(self.replies.read(length))
        if b" 200 " not in status or not reply:
            raise RuntimeError("the raw funds request failed: %r %r" % (status, reply))

    def logout(self):
        self.replies.close()
        self.connection.close()
        self.binding.logout()
