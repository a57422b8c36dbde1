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

# Runs a browser-login example as a user would: the example prints
# "login_url: …" and waits for the address the browser landed on, which
# `brokersim browse` gives it. Its funds line goes to $workdir/NAME.rms.
browser_demo() {
    local name=$1 out redirect rms_next="" pid example_out example_in
    shift
    coproc EXAMPLE { "$@"; }
    # Bash forgets a coprocess's fds when it exits: keep our own copies.
    pid=$EXAMPLE_PID
    exec {example_out}<&"${EXAMPLE[0]}" {example_in}>&"${EXAMPLE[1]}"
    while IFS= read -r out <&"$example_out"; do
        echo "$out"
        case "$out" in
            login_url:*)
                redirect=$(target/release/brokersim browse "${out#login_url: }")
                echo "(browser) landed on $redirect"
                echo "$redirect" >&"$example_in"
                ;;
            "== rms: OK") rms_next=1 ;;
            *) if [ -n "$rms_next" ]; then echo "$out" >"$workdir/$name.rms"; rms_next=""; fi ;;
        esac
    done
    wait "$pid"
    exec {example_out}<&- {example_in}>&-
}

echo
echo "### Angel One SmartAPI (MPIN + TOTP) against brokersim at $base_url"
BROKERLINK_BASE_URL="$base_url" build/quickstart | tee "$workdir/angel.out"

echo
echo "### Noren OMS (Zebu, OAuth code exchange) against brokersim"
browser_demo noren env \
    BROKERLINK_NOREN_BASE_URL="$base_url/noren/zebu/NorenWClientAPI" \
    BROKERLINK_NOREN_OAUTH_URL="$base_url/noren/zebu/OAuthlogin/authorize/oauth" \
    build/noren_oauth

echo
echo "### Zerodha Kite Connect (browser login, request_token exchange) against brokersim"
# The Noren example takes any broker's config whole, as for Upstox and Fyers below.
zerodha_config="{\"broker\":\"zerodha\",\"api_key\":\"zerodha-api-key\",\"api_secret\":\"zerodha-api-secret\",\"base_url\":\"$base_url\",\"oauth_url\":\"$base_url/connect/login\"}"
browser_demo zerodha env BROKERLINK_CONFIG="$zerodha_config" build/noren_oauth

echo
echo "### Upstox (browser login, code exchange, funds v3) against brokersim"
upstox_base=$(printf '%s' "$line" | sed -n 's/.*"upstox":{"base_url":"\([^"]*\)".*/\1/p')
upstox_config="{\"broker\":\"upstox\",\"api_key\":\"upstox-api-key\",\"api_secret\":\"upstox-api-secret\",\"redirect_uri\":\"$base_url/upstox/callback\",\"base_url\":\"$upstox_base\",\"oauth_url\":\"$upstox_base/v2/login/authorization/dialog\"}"
browser_demo upstox env BROKERLINK_CONFIG="$upstox_config" build/noren_oauth

echo
echo "### Fyers (API v3, browser login with state and appIdHash) against brokersim"
fyers_base=$(printf '%s' "$line" | sed -n 's/.*"fyers":{"base_url":"\([^"]*\)".*/\1/p')
fyers_config="{\"broker\":\"fyers\",\"app_id\":\"FYDEMOAPP1-100\",\"app_secret\":\"FYDEMOSECRET\",\"redirect_uri\":\"$base_url/fyers/callback\",\"base_url\":\"$fyers_base\"}"
browser_demo fyers env BROKERLINK_CONFIG="$fyers_config" build/noren_oauth

echo
echo "### DhanHQ v2 (PIN + TOTP; RenewToken; no logout endpoint) against brokersim"
BROKERLINK_DHAN_BASE_URL="$base_url/dhan/v2" BROKERLINK_DHAN_AUTH_URL="$base_url/dhan/auth" \
    build/dhan | tee "$workdir/dhan.out"
sed -n '/^== rms: OK/{n;p;q}' "$workdir/dhan.out" >"$workdir/dhan.rms"

echo
echo "### The brokerlink tool: log in once, then every program uses the session file (Angel One)"
# A profile whose secrets come from the environment; the session file is what a
# workbook or a C program would name as "session_file".
cat >"$workdir/profiles.toml" <<EOF
[profiles.angel]
broker = "angelone"
api_key = "demo-api-key"
client_code = "D12345"
base_url = "$base_url"
session_file = "$workdir/angel-session.json"
[profiles.angel.secrets]
pin = "env:DEMO_PIN"
totp_secret = "env:DEMO_TOTP_SECRET"
EOF
cli() { DEMO_PIN=1234 DEMO_TOTP_SECRET=JBSWY3DPEHPK3PXP target/release/brokerlink --config "$workdir/profiles.toml" "$@"; }
# Angel One allows one login a second per client code, and the quickstart above
# logged this account in a moment ago.
sleep 1
cli login
cli funds
cli status
cli logout

echo
echo "### The same normalized funds fields from every broker"
for broker in angel noren zerodha upstox fyers dhan; do
    file="$workdir/$broker.rms"
    [ "$broker" = angel ] && sed -n '/^== rms: OK/{n;p;q}' "$workdir/angel.out" >"$file"
    printf '%-7s %s\n' "$broker" "$(sed 's/,"raw".*/}/' "$file")"
done
