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
echo "### Zerodha Kite Connect (browser login, request_token exchange) against brokersim"
coproc ZERODHA {
    BROKERLINK_ZERODHA_BASE_URL="$base_url" \
    BROKERLINK_ZERODHA_OAUTH_URL="$base_url/connect/login" \
        build/zerodha_login
}
zerodha_pid=$ZERODHA_PID
exec {zerodha_out}<&"${ZERODHA[0]}" {zerodha_in}>&"${ZERODHA[1]}"
while IFS= read -r out <&"$zerodha_out"; do
    echo "$out"
    case "$out" in
        login_url:*)
            redirect=$(target/release/brokersim browse "${out#login_url: }")
            echo "(browser) landed on $redirect"
            echo "$redirect" >&"$zerodha_in"
            ;;
        "== rms: OK") rms_next=1 ;;
        *) if [ -n "${rms_next:-}" ]; then echo "$out" >"$workdir/zerodha.rms"; rms_next=""; fi ;;
    esac
done
wait "$zerodha_pid"


echo "### Upstox (browser login, code exchange, funds v3) against brokersim"
# The Noren example takes any broker's config whole; `brokersim browse` plays
# the browser on Upstox's authorization dialog.
upstox_base=$(printf '%s' "$line" | sed -n 's/.*"upstox":{"base_url":"\([^"]*\)".*/\1/p')
upstox_config="{\"broker\":\"upstox\",\"api_key\":\"upstox-api-key\",\"api_secret\":\"upstox-api-secret\",\"redirect_uri\":\"$base_url/upstox/callback\",\"base_url\":\"$upstox_base\",\"oauth_url\":\"$upstox_base/v2/login/authorization/dialog\"}"
coproc UPSTOX { BROKERLINK_CONFIG="$upstox_config" build/noren_oauth; }
upstox_pid=$UPSTOX_PID
exec {upstox_out}<&"${UPSTOX[0]}" {upstox_in}>&"${UPSTOX[1]}"
while IFS= read -r out <&"$upstox_out"; do
    echo "$out"
    case "$out" in
        login_url:*)
            redirect=$(target/release/brokersim browse "${out#login_url: }")
            echo "(browser) landed on $redirect"
            echo "$redirect" >&"$upstox_in"
            ;;
        "== rms: OK") rms_next=1 ;;
        *) if [ -n "${rms_next:-}" ]; then echo "$out" >"$workdir/upstox.rms"; rms_next=""; fi ;;
    esac
done
wait "$upstox_pid"


echo "### Fyers (API v3, browser login with state and appIdHash) against brokersim"
fyers_base=$(printf '%s' "$line" | sed -n 's/.*"fyers":{"base_url":"\([^"]*\)".*/\1/p')
coproc FYERS {
    BROKERLINK_FYERS_BASE_URL="$fyers_base" \
    BROKERLINK_FYERS_REDIRECT_URI="$base_url/fyers/callback" \
        build/fyers_oauth
}
fyers_pid=$FYERS_PID
exec {fyers_out}<&"${FYERS[0]}" {fyers_in}>&"${FYERS[1]}"
while IFS= read -r out <&"$fyers_out"; do
    echo "$out"
    case "$out" in
        login_url:*)
            redirect=$(target/release/brokersim browse "${out#login_url: }")
            echo "(browser) landed on $redirect"
            echo "$redirect" >&"$fyers_in"
            ;;
        "== rms: OK") fyers_rms_next=1 ;;
        *) if [ -n "${fyers_rms_next:-}" ]; then echo "$out" >"$workdir/fyers.rms"; fyers_rms_next=""; fi ;;
    esac
done
wait "$fyers_pid"


echo "### DhanHQ v2 (PIN + TOTP; RenewToken; no logout endpoint) against brokersim"
BROKERLINK_DHAN_BASE_URL="$base_url/dhan/v2" BROKERLINK_DHAN_AUTH_URL="$base_url/dhan/auth" \
    build/dhan | tee "$workdir/dhan.out"
sed -n '/^== rms: OK/{n;p;q}' "$workdir/dhan.out" >"$workdir/dhan.rms"

echo
echo "### The same normalized funds fields from every broker"
for broker in angel noren zerodha upstox fyers dhan; do
    file="$workdir/$broker.rms"
    [ "$broker" = angel ] && sed -n '/^== rms: OK/{n;p;q}' "$workdir/angel.out" >"$file"
    printf '%-7s %s\n' "$broker" "$(sed 's/,"raw".*/}/' "$file")"
done
