#!/usr/bin/env bash
# Runs every fuzz target in fuzz/, one after the other, for a bounded time or
# a number of executions, and prints how many inputs each one tried and for
# how long.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, all targets)
#   FUZZ_RUNS=10000000 scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# FUZZ_RUNS=N stops each target after N executions (libFuzzer's -runs=N);
# with it, SECONDS_PER_TARGET is a cap (0 or absent: no time limit).
#
# FUZZ_SANITIZER=none builds without AddressSanitizer, for runs to depth
# (FUZZ_RUNS=10000000): about six times the executions per second. Every
# parser the targets reach is safe Rust (the only `unsafe` is in src/ffi,
# which no target calls), so ASan has no memory error to find there; what
# fuzzing finds in them (panics, overflows under debug assertions, hangs,
# runaway allocations) is caught with or without it. The default, address,
# is for short runs.
#
# Works on a stable toolchain: cargo-fuzz needs nightly-only flags
# (-Zsanitizer=address, sanitizer coverage), which RUSTC_BOOTSTRAP=1 unlocks.
# The checked-in seeds in fuzz/corpus/<target>/ are only read; what a run
# adds goes to fuzz/target/corpus/<target>/ (ignored by git) and is reused by
# the next run. A crash, hang (-timeout) or over-allocation (-rss_limit_mb,
# and any single allocation above it) leaves a reproducer in
# fuzz/artifacts/<target>/ and makes the script exit 1.
set -euo pipefail

runs=${FUZZ_RUNS:-}
if [ -n "$runs" ]; then
    seconds=${1:-0}
else
    seconds=${1:-60}
fi
shift || true
case "$seconds/${runs:-0}" in
*[!0-9/]* | /*)
    echo "usage: [FUZZ_RUNS=N] $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
    ;;
esac
budget=(-max_total_time="$seconds")
what="${seconds}s"
if [ -n "$runs" ]; then
    budget+=(-runs="$runs")
    what="$runs runs"
    if [ "$seconds" != 0 ]; then
        what="$what or ${seconds}s"
    fi
fi

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# The longest input worth trying: replies carry HTML pages and JSON objects
# with dozens of fields; amounts and TOTP secrets are short.
max_len() {
    case $1 in
    angelone_reply | noren_reply) echo 16384 ;;
    config | session_import | session_file | jwt_expiry) echo 4096 ;;
    # No address a broker's login lands on is longer; longer hosts only
    # spend the run in the url crate's IDNA code (89% of redirect_url's time).
    redirect_url) echo 1024 ;;
    decimal) echo 128 ;;
    totp_secret) echo 256 ;;
    *) echo 4096 ;;
    esac
}

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

sanitizer=${FUZZ_SANITIZER:-address}
case $sanitizer in
address | none) ;;
*)
    echo "FUZZ_SANITIZER must be address or none" >&2
    exit 2
    ;;
esac
flags=(-s "$sanitizer" --debug-assertions)
case ${FUZZ_TRACE_COMPARES:-yes} in
yes) ;;
no) flags+=(--no-trace-compares) ;;
*)
    echo "FUZZ_TRACE_COMPARES must be yes or no" >&2
    exit 2
    ;;
esac
echo "== building ${#targets[@]} targets (${flags[*]})"
cargo fuzz build "${flags[@]}"

logs=fuzz/target/logs
mkdir -p "$logs"
failed=()
summary=()
for target in "${targets[@]}"; do
    corpus=fuzz/target/corpus/$target
    mkdir -p "$corpus"
    echo "== $target: $what"
    status=ok
    started=$(date +%s)
    # The first corpus directory receives new inputs; the seeds are only read.
    if ! cargo fuzz run "${flags[@]}" "$target" "$corpus" "fuzz/corpus/$target" -- \
        "${budget[@]}" -rss_limit_mb=512 -timeout=5 \
        -max_len="$(max_len "$target")" -print_final_stats=1 \
        >"$logs/$target.log" 2>&1; then
        status=FAILED
        failed+=("$target")
        grep -E -A12 "panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY" \
            "$logs/$target.log" | head -40 || true
    fi
    elapsed=$(($(date +%s) - started))
    done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target.log" | tail -1)
    if [ -z "$done_runs" ]; then
        done_runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$logs/$target.log" | tail -1)
    fi
    summary+=("$(printf '%-16s %12s runs %7ss  %s' "$target" "${done_runs:-?}" "$elapsed" "$status")")
    echo "   ${done_runs:-?} runs in ${elapsed}s: $status"
done

echo
echo "== executions per target ($what each; logs in $logs/)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "== ${#failed[@]} target(s) failed: ${failed[*]}; reproducers in fuzz/artifacts/"
    exit 1
fi
