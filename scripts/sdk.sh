#!/usr/bin/env bash
# Runs each broker's official Python SDK, unchanged but for its root URL,
# against brokersim on 127.0.0.1: if the broker's own client cannot talk to
# the simulator, the simulator is wrong (and so may be the library).
#
#   scripts/sdk.sh [BROKER ...]     # default: every tests/sdk/<broker>.py
#
# The SDKs are installed from PyPI into target/sdk-venv, pinned by
# tests/sdk/requirements.txt. Each script gets brokersim's JSON line (base
# URLs and demo accounts) in $BROKERSIM_JSON, prints what it checked, and
# exits non-zero on the first difference. Run by `make sdk` and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
venv=target/sdk-venv
requirements=tests/sdk/requirements.txt
if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        echo "sdk.sh: '$python -m venv' cannot make a venv with pip here: apt-get install python3-venv" >&2
        exit 1
    fi
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
if ! cmp -s "$requirements" "$venv/requirements.installed"; then
    echo "== installing the official SDKs from PyPI ($requirements)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.installed"
fi

cargo build --quiet -p brokersim
brokers=("$@")
if [ ${#brokers[@]} -eq 0 ]; then
    for script in tests/sdk/*.py; do
        [ -e "$script" ] && brokers+=("$(basename "$script" .py)")
    done
fi

workdir=$(mktemp -d)
sim_pid=""
cleanup() {
    if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
    rm -rf "$workdir"
}
trap cleanup EXIT
target/debug/brokersim --port 0 >"$workdir/sim.json" 2>"$workdir/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do
    [ -s "$workdir/sim.json" ] && break
    sleep 0.1
done
BROKERSIM_JSON=$(head -n 1 "$workdir/sim.json")
export BROKERSIM_JSON
[ -n "$BROKERSIM_JSON" ] || { echo "sdk.sh: brokersim did not start: $(cat "$workdir/sim.err")" >&2; exit 1; }

passed=0
failed=0
for broker in "${brokers[@]}"; do
    echo "== $broker: the official SDK against brokersim"
    if "$venv/bin/python" "tests/sdk/$broker.py"; then
        passed=$((passed + 1))
    else
        echo "sdk.sh: $broker's official SDK failed against brokersim" >&2
        failed=$((failed + 1))
    fi
done
echo "sdk: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
