"""brokerlink for Python: log in to Indian brokers' REST APIs (Angel One
SmartAPI, Noren OMS) and read the account's profile and funds.

A ctypes binding of the brokerlink shared library, with no dependencies
beyond the standard library. Copy this file next to your code (or onto
``sys.path``) and make the library findable: pass its path to ``load()`` or
``Session(..., library=...)``, set ``BROKERLINK_LIBRARY`` to it, or install
it where the system looks (``make install``)::

    import brokerlink

    with brokerlink.Session({"broker": "angelone", "api_key": "...",
                             "client_code": "A123456"}) as session:
        session.login({"pin": "1234", "totp_secret": "BASE32SECRET"})
        print(session.rms()["available_cash"])

Every result is a dict decoded from the library's JSON, amounts as
``decimal.Decimal`` so that rupees stay exact to the paise. Every failure is
raised as ``BrokerError``. A Session may be used from several threads at
once; calls release the GIL while they wait for the broker.
"""

import ctypes
import ctypes.util
import decimal
import json
import os
import sys
import threading

__all__ = [
    "ABI_VERSION",
    "VERSION",
    "BrokerError",
    "LibraryMismatchError",
    "Session",
    "abi_version",
    "load",
    "status_name",
    "totp",
    "version",
]

#: The library version this binding was written for, and its ABI number
#: ``(major << 16) | minor``: a library with another ABI number is refused.
VERSION = "0.1.0"
ABI_VERSION = (0 << 16) | 1

#: The status codes, as in brokerlink.h.
OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_INVALID_HANDLE = 2
ERR_NOT_LOGGED_IN = 3
ERR_AUTH = 4
ERR_SESSION_EXPIRED = 5
ERR_RATE_LIMITED = 6
ERR_BROKER = 7
ERR_NETWORK = 8
ERR_TIMEOUT = 9
ERR_TLS = 10
ERR_PROTOCOL = 11
ERR_UNSUPPORTED = 12
ERR_INTERNAL = 13


class BrokerError(Exception):
    """A brokerlink call failed.

    Attributes mirror the library's error object: ``status`` (an ``ERR_*``
    number), ``code`` (its name, e.g. ``"AUTH"``), ``message`` (for a
    person), ``broker_code`` and ``broker_message`` (the broker's own, or
    None), ``http_status`` (or None), ``retryable`` (whether the same call
    may succeed later), ``reason`` (for a refusal the user can fix, a word
    such as ``"ip_not_registered"`` or ``"clock_skew"``, else None) and
    ``json`` (the whole object as a dict).
    """

    def __init__(self, status, error):
        self.status = status
        self.json = error
        self.code = error.get("code") or status_name(status)
        self.message = error.get("message") or "brokerlink call failed: " + self.code
        self.broker_code = error.get("broker_code")
        self.broker_message = error.get("broker_message")
        self.http_status = error.get("http_status")
        self.retryable = bool(error.get("retryable", False))
        self.reason = error.get("reason")
        super().__init__("{} ({}): {}".format(self.code, status, self.message))


class LibraryMismatchError(RuntimeError):
    """The loaded library's ABI differs from the one this binding expects."""


_lib = None
_lib_lock = threading.Lock()


def _soname():
    """The installed library's soname: ``libbrokerlink.so.<major>`` from 1.0
    on, ``libbrokerlink.so.0.<minor>`` before (see build.rs)."""
    major, minor = VERSION.split(".")[:2]
    return "libbrokerlink.so." + (major if major != "0" else "0." + minor)


def _default_names():
    """The names the platform's loader resolves, most specific first."""
    found = ctypes.util.find_library("brokerlink")
    names = [found] if found else []
    if sys.platform == "win32":
        names.append("brokerlink.dll")
    elif sys.platform == "darwin":
        names.append("libbrokerlink.dylib")
    else:
        # The soname first: an installed library always has it, while the
        # unversioned name exists only where the -dev symlink was installed.
        names += [_soname(), "libbrokerlink.so"]
    return names


def _declare(lib, names):
    """Gives the exports named their exact C signatures: ctypes' default
    (int arguments and result) would truncate pointers on 64-bit platforms."""
    session = ctypes.c_void_p
    text = ctypes.c_char_p
    out_json = ctypes.POINTER(ctypes.c_void_p)
    signatures = {
        "broker_version": ([], ctypes.c_char_p),
        "broker_abi_version": ([], ctypes.c_uint32),
        "broker_status_name": ([ctypes.c_int32], ctypes.c_char_p),
        "broker_new": ([text, ctypes.POINTER(session), out_json], ctypes.c_int32),
        "broker_free": ([session], None),
        "broker_login_url": ([session, out_json], ctypes.c_int32),
        "broker_login": ([session, text, out_json], ctypes.c_int32),
        "broker_refresh": ([session, out_json], ctypes.c_int32),
        "broker_get_profile": ([session, out_json], ctypes.c_int32),
        "broker_get_rms": ([session, out_json], ctypes.c_int32),
        "broker_logout": ([session, out_json], ctypes.c_int32),
        "broker_session_export": ([session, out_json], ctypes.c_int32),
        "broker_session_import": ([session, text, out_json], ctypes.c_int32),
        "broker_totp": ([text, out_json], ctypes.c_int32),
        # Takes the pointer as returned, not a c_char_p copy of the text.
        "broker_string_free": ([ctypes.c_void_p], None),
    }
    for name in names or signatures:
        argtypes, restype = signatures[name]
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype


def load(path=None):
    """Loads the library once and returns it; later calls return the same.

    The library is ``path`` when given, else ``$BROKERLINK_LIBRARY``, else
    the first of the platform's usual names that loads. Raises OSError when
    none loads, and LibraryMismatchError when its ABI is not ``ABI_VERSION``.
    """
    global _lib
    with _lib_lock:
        if _lib is not None:
            return _lib
        explicit = path or os.environ.get("BROKERLINK_LIBRARY")
        candidates = [os.fspath(explicit)] if explicit else _default_names()
        errors = []
        lib = None
        for candidate in candidates:
            try:
                lib = ctypes.CDLL(candidate)
                loaded = candidate
                break
            except OSError as e:
                errors.append("{}: {}".format(candidate, e))
        if lib is None:
            raise OSError(
                "brokerlink: cannot load the library (pass its path to load(), "
                "or set BROKERLINK_LIBRARY): " + "; ".join(errors)
            )
        # The version functions first: a library with another ABI may lack
        # the other exports, and must be reported as a mismatch.
        _declare(lib, ["broker_version", "broker_abi_version"])
        found = lib.broker_abi_version()
        if found != ABI_VERSION:
            raise LibraryMismatchError(
                "brokerlink: the library {} is version {} (ABI {:#x}), but this binding "
                "needs ABI {:#x} (version {})".format(
                    loaded,
                    lib.broker_version().decode("utf-8", "replace"),
                    found,
                    ABI_VERSION,
                    VERSION,
                )
            )
        _declare(lib, None)
        _lib = lib
        return lib


def _plain(value):
    """Lets json.dumps write the Decimals that results hold."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError("brokerlink: cannot send a {} as JSON".format(type(value).__name__))


def _encode(value, name):
    """A str, or a value json.dumps can write, as UTF-8 (ctypes adds the NUL)."""
    text = value if isinstance(value, str) else json.dumps(value, default=_plain)
    if "\0" in text:
        raise ValueError("brokerlink: {} contains a NUL character".format(name))
    return text.encode("utf-8")


def _take(lib, pointer):
    """The text of a string the library returned, freeing it."""
    if not pointer:
        return None
    try:
        return ctypes.string_at(pointer).decode("utf-8")
    finally:
        lib.broker_string_free(pointer)


def _decode(text):
    # Amounts as Decimal: a float would turn 12554.55 into 12554.549999...
    return json.loads(text, parse_float=decimal.Decimal)


def _call(lib, function, *args):
    """Calls a fallible export; its result as a dict, or raises BrokerError."""
    out = ctypes.c_void_p()
    status = function(*args, ctypes.byref(out))
    text = _take(lib, out.value)
    result = _decode(text) if text else {}
    if status != OK:
        raise BrokerError(status, result)
    return result


def version():
    """The loaded library's version, "MAJOR.MINOR.PATCH"."""
    return load().broker_version().decode("utf-8")


def abi_version():
    """The loaded library's ABI number, ``(major << 16) | minor``."""
    return load().broker_abi_version()


def status_name(status):
    """The name of a status code, e.g. ``"SESSION_EXPIRED"``, or ``"UNKNOWN"``."""
    return load().broker_status_name(status).decode("utf-8")


def totp(base32_secret):
    """The current TOTP code for a base32 secret: ``{"code": "123456", "valid_for_s": 17}``."""
    lib = load()
    return _call(lib, lib.broker_totp, _encode(base32_secret, "base32_secret"))


class Session:
    """One broker session. Close it (or use ``with``) to free it; a session
    that is garbage-collected is freed too.

    ``config`` is a dict or a JSON string (see the README for every key).
    Creating a session makes no network call; a bad config raises
    BrokerError with status ``ERR_INVALID_ARGUMENT``. ``library`` is an
    optional path to the shared library, used on the first load only.
    """

    def __init__(self, config, library=None):
        self._lib = load(library)
        self._handle = None
        handle = ctypes.c_void_p()
        #: What the library reported about the new session (broker, base_url, user_id, ...).
        self.description = _call(
            self._lib, self._lib.broker_new, _encode(config, "config"), ctypes.byref(handle)
        )
        self._handle = handle

    def close(self):
        """Frees the session. Later calls raise BrokerError (``ERR_INVALID_HANDLE``);
        closing twice does nothing."""
        handle, self._handle = self._handle, None
        if handle is not None:
            self._lib.broker_free(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __del__(self):
        # __init__ may have failed before _lib or _handle existed.
        if getattr(self, "_handle", None) is not None:
            self.close()

    def _run(self, function, *args):
        # A closed session passes NULL, which the library reports as
        # ERR_INVALID_HANDLE, so the error is the library's own.
        return _call(self._lib, function, self._handle, *args)

    def login_url(self):
        """The browser address where the user logs in: ``{"url": "https://..."}``."""
        return self._run(self._lib.broker_login_url)

    def login(self, credentials):
        """Logs in with a dict or JSON string, e.g. ``{"pin": "1234", "totp_secret": "..."}``."""
        return self._run(self._lib.broker_login, _encode(credentials, "credentials"))

    def refresh(self):
        """Trades the refresh token for new tokens."""
        return self._run(self._lib.broker_refresh)

    def profile(self):
        """The account holder's profile."""
        return self._run(self._lib.broker_get_profile)

    def rms(self):
        """Funds and margins; amounts are ``decimal.Decimal`` rupees."""
        return self._run(self._lib.broker_get_rms)

    def logout(self):
        """Ends the session at the broker; the Session can log in again."""
        return self._run(self._lib.broker_logout)

    def export_state(self):
        """The session state with its tokens, as a dict. A SECRET: store it encrypted."""
        return self._run(self._lib.broker_session_export)

    def import_state(self, state):
        """Resumes a state from ``export_state`` (dict or JSON string)."""
        return self._run(self._lib.broker_session_import, _encode(state, "state"))
