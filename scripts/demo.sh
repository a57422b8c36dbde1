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
BROKERLINK_BASE_URL="$base_url" build/quickstart | tee "$workdir/angel.out"

echo
echo "### Noren OMS (Zebu, OAuth code exchange) against brokersim"
# The example prints the login address and waits for the address the browser
# lands on; `brokersim browse` plays the browser.
coproc NOREN {
    BROKERLINK_NOREN_BASE_URL="$base_url/noren/zebu/NorenWClientAPI" \
    BROKERLINK_NOREN_OAUTH_URL="$base_url/noren/zebu/OAuthlogin/authorize/oauth" \
        build/noren_oauth
}
# Bash forgets a coprocess's fds when it exits: keep our own copies.
noren_pid=$NOREN_PID
exec {noren_out}<&"${NOREN[0]}" {noren_in}>&"${NOREN[1]}"
while IFS= read -r out <&"$noren_out"; do
    echo "$out"
    case "$out" in
        login_url:*)
            redirect=$(target/release/brokersim browse "${out#login_url: }")
            echo "(browser) landed on $redirect"
            echo "$redirect" >&"$noren_in"
            ;;
        "== rms: OK") rms_next=1 ;;
        *) if [ -n "${rms_next:-}" ]; then echo "$out" >"$workdir/noren.rms"; rms_next=""; fi ;;
    esac
done
wait "$noren_pid"

echo
echo "### DhanHQ v2 (PIN + TOTP; RenewToken; no logout endpoint) against brokersim"
BROKERLINK_DHAN_BASE_URL="$base_url/dhan/v2" BROKERLINK_DHAN_AUTH_URL="$base_url/dhan/auth" \
    build/dhan | tee "$workdir/dhan.out"
sed -n '/^== rms: OK/{n;p;q}' "$workdir/dhan.out" >"$workdir/dhan.rms"

echo
echo "### The same normalized funds fields from both brokers"
for broker in angel noren; do
    file="$workdir/$broker.rms"
    [ "$broker" = angel ] && sed -n '/^== rms: OK/{n;p;q}' "$workdir/angel.out" >"$file"
    printf '%-6s %s\n' "$broker" "$(sed 's/,"raw".*/}/' "$file")"
done
printf '%-6s %s\n' dhan "$(sed 's/,"raw".*/}/' "$workdir/dhan.rms")"
