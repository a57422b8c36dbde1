#!/usr/bin/env bash
# Runs every benchmark against brokersim on 127.0.0.1 and writes BENCHMARKS.md:
#   sections 1-4 by `cargo bench --bench brokerlink` (call overhead against the
#   floor, idle and under load; concurrency; footprint with 1,000 sessions; cold
#   start and the second broker_new), section 5 by benches/sdk/compare.py (the
#   six families' official Python SDKs against brokerlink's Python binding and
#   the floor, idle and under load), appended, then section 6, the goals table
#   (cargo bench's goals from target/bench-goals.json, and compare.py's).
#
#   scripts/bench.sh [--quick]     (`make bench`; --quick or BENCH_QUICK=1: a short run)
#
# The SDKs are installed from PyPI into a venv of its own, target/bench-venv,
# pinned by benches/sdk/requirements.txt, which includes tests/sdk/requirements.txt
# (the pins `make sdk` tests four of the SDKs with), and reinstalled when either
# file changes. Not `make sdk`'s target/sdk-venv: the two SDKs only the bench
# uses would then sit in the venv that tests the other four.
set -euo pipefail

usage() { echo "usage: $0 [--quick]   (or BENCH_QUICK=1)"; }

quick=${BENCH_QUICK:-}
for arg in "$@"; do
    case $arg in
    --quick) quick=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ -n "$quick" ]; then
    export BENCH_QUICK=1
    command="make bench BENCH_QUICK=1"
    compare_args=(--quick)
else
    unset BENCH_QUICK
    command="make bench"
    compare_args=()
fi
# The command named at the top of BENCHMARKS.md and in section 5.
export BENCH_COMMAND=${BENCH_COMMAND:-$command}

# ---- the Python venv with the official SDKs ----
python=${PYTHON:-python3}
venv=target/bench-venv
requirements=benches/sdk/requirements.txt
if ! command -v "$python" >/dev/null 2>&1; then
    echo "bench.sh: $python not found: install Python 3 (Debian: apt-get install python3 python3-venv)" >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        echo "bench.sh: '$python -m venv' cannot make a venv with pip here (no ensurepip)." >&2
        echo "  On Debian/Ubuntu: apt-get install python3-venv (or python$version-venv)" >&2
        exit 1
    fi
    echo "== making the venv $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
# What was installed: both lists, as they were.
pins=$(cat "$requirements" tests/sdk/requirements.txt)
if [ "$pins" != "$(cat "$venv/requirements.installed" 2>/dev/null)" ]; then
    echo "== installing the official SDKs from PyPI ($requirements)"
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"; then
        echo "bench.sh: pip could not install $requirements (is PyPI reachable?)" >&2
        exit 1
    fi
    printf '%s\n' "$pins" >"$venv/requirements.installed"
fi

# ---- the Rust benchmarks (write BENCHMARKS.md) ----
echo "== building the release library and brokersim"
cargo build --release -p brokerlink -p brokersim

# Loopback figures move with anything else the CPUs do: say so when they are busy.
busy=$({ head -n 1 /proc/stat; sleep 1; head -n 1 /proc/stat; } 2>/dev/null | awk '
    { total = 0; for (i = 2; i <= NF; i++) total += $i; idle = $5 + $6 }
    NR == 1 { total0 = total; idle0 = idle }
    NR == 2 && total > total0 { printf "%d", 100 * (1 - (idle - idle0) / (total - total0)) }')
if [ -n "$busy" ] && [ "$busy" -ge 20 ]; then
    echo "bench.sh: warning: the CPUs are ${busy}% busy with other work; the figures will be noisy" >&2
fi

echo "== cargo bench --bench brokerlink${BENCH_QUICK:+ (BENCH_QUICK=1)}"
cargo bench --bench brokerlink

# ---- the official SDKs (appended to BENCHMARKS.md) ----
# With more than one CPU, a second, diagnostic run with every process on CPU 0.
if [ "$(nproc 2>/dev/null || echo 1)" -gt 1 ]; then
    compare_args+=(--diagnostic-cpu 0)
fi
echo "== benches/sdk/compare.py ${compare_args[*]:-}"
section=$(mktemp)
trap 'rm -f "$section"' EXIT
"$venv/bin/python" benches/sdk/compare.py "${compare_args[@]}" --command "$BENCH_COMMAND" \
    --goals target/bench-goals.json --output "$section"
cat "$section"
cat "$section" >>BENCHMARKS.md
echo "== BENCHMARKS.md written"
