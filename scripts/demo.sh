#!/usr/bin/env bash
# Starts brokersim on a free loopback port, runs the C examples against it,
# and stops it again. Run through `make demo`, which builds everything first.
set -euo pipefail
cd "$(dirname "$0")/.."

workdir=$(mktemp -d)
sim_pid=""
cleanup() {
    if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
    rm -rf "$workdir"
}
trap cleanup EXIT

target/release/brokersim --port 0 >"$workdir/sim.json" &
sim_pid=$!
for _ in $(seq 1 100); do
    [ -s "$workdir/sim.json" ] && break
    sleep 0.1
done
line=$(head -n 1 "$workdir/sim.json")
base_url=$(printf '%s' "$line" | sed -n 's/.*"angelone":{"base_url":"\([^"]*\)".*/\1/p')
if [ -z "$base_url" ]; then
    echo "brokersim did not start: $line" >&2
    exit 1
fi
echo "brokersim is running: $line"
echo
echo "### Angel One SmartAPI (MPIN + TOTP) against brokersim at $base_url"
BROKERLINK_BASE_URL="$base_url" build/quickstart
