"""The Python binding against brokersim, one broker flow per run.

tests/bindings_python.rs runs this with pytest once per flow, with
BROKERLINK_LIBRARY naming the library cargo built, the flow described in the
BROKERLINK_TEST_* variables (see bindings/cpp/tests/flow_test.cpp for the
list) and BROKERLINK_TEST_WRONG_ABI_LIBRARY naming a library that reports
another ABI version.
"""

import decimal
import json
import os
import subprocess
import sys
import threading

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import brokerlink  # noqa: E402  (the binding is a single file, not installed)
from brokerlink import BrokerError, Session  # noqa: E402


def flow(name):
    value = os.environ.get("BROKERLINK_TEST_" + name)
    if value is None:
        pytest.fail("BROKERLINK_TEST_{} is not set: run this through tests/bindings_python.rs".format(name))
    return value


@pytest.fixture
def config():
    return json.loads(flow("CONFIG"))


def credentials_for(session):
    """Credentials that log `session` in, as a user gets them: the flow's, or,
    for a browser login (BROKERLINK_TEST_BROWSE names brokersim), the address
    that broker_login_url's page, played by `brokersim browse`, redirects to."""
    browse = os.environ.get("BROKERLINK_TEST_BROWSE")
    if browse is None:
        return json.loads(flow("CREDENTIALS"))
    url = session.login_url()["url"]
    landed = subprocess.run([browse, "browse", url], check=True, capture_output=True, text=True)
    return {"redirect_url": landed.stdout.strip()}


@pytest.fixture
def session(config):
    with Session(config) as s:
        s.login(credentials_for(s))
        yield s


def test_library_matches_the_binding():
    assert brokerlink.version() == brokerlink.VERSION
    assert brokerlink.abi_version() == brokerlink.ABI_VERSION
    assert brokerlink.status_name(brokerlink.ERR_SESSION_EXPIRED) == "SESSION_EXPIRED"
    assert brokerlink.status_name(999) == "UNKNOWN"


def test_full_flow(config):
    user_id = flow("USER_ID")
    with Session(config) as s:
        assert s.description["broker"] == config["broker"]
        assert s.login(credentials_for(s))["user_id"] == user_id
        assert s.profile()["user_id"] == user_id
        funds = s.rms()
        # Exact: Decimal("12554.55"), never a float near it.
        assert funds["available_cash"] == decimal.Decimal(flow("CASH"))
        assert isinstance(funds["available_cash"], decimal.Decimal)
        if flow("REFRESH") == "1":
            assert s.refresh()["user_id"] == user_id
        else:
            with pytest.raises(BrokerError) as refused:
                s.refresh()
            assert refused.value.status == brokerlink.ERR_UNSUPPORTED
        assert s.rms()["available_cash"] == decimal.Decimal(flow("CASH"))
        assert s.logout()["logged_out"] is True
        with pytest.raises(BrokerError) as after:
            s.rms()
        assert after.value.status == brokerlink.ERR_NOT_LOGGED_IN
        assert after.value.code == "NOT_LOGGED_IN"


def test_config_and_credentials_may_be_json_text(config):
    with Session(json.dumps(config)) as s:
        assert s.login(json.dumps(credentials_for(s)))["user_id"] == flow("USER_ID")


def test_exported_state_resumes_in_another_session(session, config):
    state = session.export_state()
    with Session(config) as other:
        assert other.import_state(state)["user_id"] == flow("USER_ID")
        assert other.rms()["available_cash"] == decimal.Decimal(flow("CASH"))


def test_refused_credentials_raise_auth_with_every_field(config):
    with Session(config) as s:
        with pytest.raises(BrokerError) as refused:
            s.login(json.loads(flow("BAD_CREDENTIALS")))
    error = refused.value
    assert error.status == brokerlink.ERR_AUTH
    assert error.code == "AUTH"
    assert error.message and error.message in str(error)
    # Angel One sends a code (AB1007); Noren only a message (emsg).
    assert error.broker_code or error.broker_message
    assert error.retryable is False
    assert error.json["status"] == brokerlink.ERR_AUTH
    assert isinstance(error, Exception)


def test_bad_config_raises_invalid_argument():
    with pytest.raises(BrokerError) as refused:
        Session({"broker": "nope"})
    assert refused.value.status == brokerlink.ERR_INVALID_ARGUMENT
    assert refused.value.broker_code is None
    assert refused.value.http_status is None


def test_a_closed_session_raises_invalid_handle(config):
    s = Session(config)
    s.close()
    s.close()  # twice is harmless
    with pytest.raises(BrokerError) as closed:
        s.profile()
    assert closed.value.status == brokerlink.ERR_INVALID_HANDLE


def test_the_context_manager_closes_the_session(config):
    with Session(config) as s:
        pass
    with pytest.raises(BrokerError) as closed:
        s.login_url()
    assert closed.value.status == brokerlink.ERR_INVALID_HANDLE


def test_a_nul_inside_an_argument_is_refused(config):
    with Session(config) as s:
        with pytest.raises(ValueError):
            s.login('{"pin":"1\0"}')


def test_threads_share_a_session(session):
    results, errors = [], []

    def read():
        try:
            results.append(session.rms()["available_cash"])
        except Exception as e:  # collected, then asserted below
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [decimal.Decimal(flow("CASH"))] * 4


def test_totp():
    code = brokerlink.totp("JBSWY3DPEHPK3PXP")
    assert len(code["code"]) == 6 and code["code"].isdigit()
    assert 1 <= code["valid_for_s"] <= 30
    with pytest.raises(BrokerError) as bad:
        brokerlink.totp("not base32!")
    assert bad.value.status == brokerlink.ERR_INVALID_ARGUMENT


def test_a_library_with_another_abi_is_refused():
    env = dict(os.environ, BROKERLINK_LIBRARY=flow("WRONG_ABI_LIBRARY"))
    probe = "import brokerlink\ntry:\n    brokerlink.load()\nexcept brokerlink.LibraryMismatchError as e:\n    print(e)\n"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=os.path.join(os.path.dirname(__file__), ".."),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "needs ABI 0x1" in done.stdout
    assert "99.0.0" in done.stdout
