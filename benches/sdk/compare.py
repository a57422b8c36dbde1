#!/usr/bin/env python3
"""The official Python SDKs against brokerlink's Python binding, on brokersim.

For every broker family (Angel One, Noren's Zebu and Kambala presets,
Zerodha, Upstox, Fyers, Dhan), the same sequence (log in, N funds reads, log
out) runs R times through the broker's official SDK from PyPI, through
brokerlink's ctypes binding (bindings/python/brokerlink.py) and through the
floor (the same funds request as raw bytes on a socket), interleaved, against
one brokersim on 127.0.0.1; then all again with a CPU-bound process beside
them (under load). Prints a Markdown section for BENCHMARKS.md (or writes it
to --output): median figures, ratios measured in the same run, the versions
used, and every patch or workaround the SDKs needed to reach brokersim; with
--goals, the goals table of the whole run after it.

    target/bench-venv/bin/python benches/sdk/compare.py [--quick] [--output FILE]
        [--goals FILE]           (cargo bench's goals: target/bench-goals.json)
        [--diagnostic-cpu CPU]   (then again with every process on that CPU)

scripts/bench.sh makes the venv (benches/sdk/requirements.txt) and runs this
after `cargo build --release -p brokerlink -p brokersim`. Progress goes to
stderr. Nothing leaves loopback: a guard refuses to resolve any other host.
The brokers live in brokers.py, the three clients in clients.py.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import simulator

# Before any SDK is imported: smartapi-python looks up a public name at import.
simulator.keep_to_loopback()

import brokers  # noqa: E402  (after the loopback guard)
from clients import Binding, Floor, Sdk, version_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "target" / "release"
sys.path.insert(0, str(ROOT / "bindings" / "python"))

#: brokerlink's reads per second over the floor's, per broker: the goal's floor.
GOAL_SHARE_OF_FLOOR = 0.8


def progress(message):
    print(message, file=sys.stderr, flush=True)


class CpuLoad:
    """One busy-looping Python process beside the measurement, stopped on
    exit: it takes one CPU, as a spreadsheet recalculating on one thread does
    (cargo bench's runs under load use the same one process)."""

    #: Spins while its parent lives, so that no busy loop outlives a killed bench.
    SPIN = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    pass\n"

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "-c", self.SPIN])
        return self

    def __exit__(self, *exc_info):
        self.process.kill()  # ours, by its own handle
        self.process.wait()


# ---- measuring -------------------------------------------------------------


def run_sequence(client, reads):
    """One login, `reads` funds reads, one logout: the seconds of each part."""
    client.prepare()
    started = time.perf_counter()
    client.login()
    logged_in = time.perf_counter()
    for _ in range(reads):
        client.funds()
    read = time.perf_counter()
    client.logout()
    done = time.perf_counter()
    return {"total": done - started, "login": logged_in - started, "reads": read - logged_in}


def measure(rows, reads, repeats):
    """Runs every client of every row `repeats` times, interleaved, after
    one short warm-up run each; adds each client's medians to its row."""
    samples = {(row["label"], role): [] for row in rows for role in row["clients"]}
    for row in rows:
        for client in row["clients"].values():
            run_sequence(client, max(reads // 10, 10))
    for repeat in range(repeats):
        for row in rows:
            for role, client in row["clients"].items():
                sample = run_sequence(client, reads)
                samples[(row["label"], role)].append(sample)
                progress("  run %d/%d %s, %s: %.3f s" % (repeat + 1, repeats, row["label"],
                                                          client.name, sample["total"]))
    for row in rows:
        for role in row["clients"]:
            runs = samples[(row["label"], role)]
            row[role] = {
                "total": statistics.median(r["total"] for r in runs),
                "login": statistics.median(r["login"] for r in runs),
                "rate": statistics.median(reads / r["reads"] for r in runs),
            }


def run_pass(brokersim, library, reads, repeats, load=False, cpu=None):
    """One measurement against a brokersim of its own: one row per broker
    with the medians of its SDK, brokerlink and the floor. With `load`, a
    busy process runs beside it; with `cpu`, this process, its threads and
    brokersim all run on that one CPU."""
    affinity = os.sched_getaffinity(0)
    home = os.getcwd()
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})  # threads and brokersim, started later, inherit it
    try:
        with tempfile.TemporaryDirectory(prefix="brokerlink-sdk-bench-") as scratch, \
                simulator.Brokersim(brokersim) as sim:
            os.chdir(scratch)  # smartapi-python and fyers-apiv3 write logs here
            try:
                rows = [client_row(broker, library) for broker in brokers.every_broker(sim)]
                progress("compare.py: %d funds reads x %d runs per client, brokersim at %s%s%s"
                         % (reads, repeats, sim.info["base_url"], ", under load" if load else "",
                            "" if cpu is None else ", everything on CPU %d" % cpu))
                if load:
                    with CpuLoad():
                        measure(rows, reads, repeats)
                else:
                    measure(rows, reads, repeats)
                return rows
            finally:
                os.chdir(home)
    finally:
        os.sched_setaffinity(0, affinity)


def client_row(broker, library):
    """A report row: the broker and its three clients."""
    binding = Binding(broker, library)
    return {"label": broker.label, "broker": broker,
            "clients": {"sdk": Sdk(broker), "ours": binding, "floor": Floor(binding)}}


# ---- the report ------------------------------------------------------------


def share_of_floor(row):
    """brokerlink's reads per second over the floor's: its share of the
    floor's speed-up over the SDK (the same ratio)."""
    return row["ours"]["rate"] / row["floor"]["rate"]


def main_table(w, rows):
    w("| broker | client | sequence, s | login, ms | funds reads per second | speed-up over the SDK (reads; whole sequence) | **brokerlink's share of the floor's speed-up** |")
    w("|---|---|---|---|---|---|---|")
    for row in rows:
        label, sdk, ours, floor = row["label"], row["sdk"], row["ours"], row["floor"]
        w("| %s | %s | %.3f | %.1f | %.0f | | |" % (label, row["clients"]["sdk"].name, sdk["total"],
                                                   sdk["login"] * 1e3, sdk["rate"]))
        w("| %s | brokerlink (Python binding) | %.3f | %.1f | %.0f | **%.1fx**; %.1fx | **%.0f%%** |" % (
            label, ours["total"], ours["login"] * 1e3, ours["rate"], ours["rate"] / sdk["rate"],
            sdk["total"] / ours["total"], share_of_floor(row) * 100))
        w("| %s | raw socket from Python (the floor) | | | %.0f | %.1fx: the most any client could reach | |"
          % (label, floor["rate"], floor["rate"] / sdk["rate"]))
    w("")


def rates_table(w, rows):
    """The compact table of a second pass: reads per second and their ratios."""
    w("| broker | funds reads per second: SDK | brokerlink | the floor | brokerlink's speed-up | the floor's | brokerlink's share of the floor's |")
    w("|---|---|---|---|---|---|---|")
    for row in rows:
        a, b, c = row["sdk"]["rate"], row["ours"]["rate"], row["floor"]["rate"]
        w("| %s | %.0f | %.0f | %.0f | %.1fx | %.1fx | **%.0f%%** |" % (row["label"], a, b, c, b / a, c / a,
                                                                  share_of_floor(row) * 100))
    w("")


def versions():
    """Every SDK measured (and what they share), with its version."""
    names = ["smartapi-python", "logzero", "norenrestapioauth", "kiteconnect", "upstox-python-sdk",
             "fyers-apiv3", "dhanhq", "requests"]
    return ", ".join("%s %s" % (name, version_of(name)) for name in names)


def report(passes, reads, repeats, command, library):
    out = []
    w = out.append
    w("## 5. Against the official Python SDKs: login, %s funds reads, logout\n" % format(reads, ","))
    w("For every broker family, its official SDK, brokerlink's Python binding and the floor each run "
      "the sequence %d times, interleaved with the others after one short warm-up run each; each "
      "figure is the median. Login includes making the SDK object or brokerlink Session; an OAuth "
      "code (Noren, Zerodha, Upstox, Fyers) is fetched from brokersim's login page before the clock "
      "starts (the user's browser step). Funds reads per second counts the reads alone. brokerlink "
      "runs through `bindings/python/brokerlink.py` (ctypes) on `%s` with "
      "`\"rate_limits\":\"off\"`; brokersim runs with `--no-rate-limit` on 127.0.0.1. The floor is "
      "that broker's funds request, as brokerlink sends it, as fixed bytes on one kept-alive socket, "
      "its reply parsed with `json.loads`: no client at all. brokerlink's share of the floor's "
      "speed-up is its reads per second over the floor's (the goal: at least %.0f%% for each SDK).\n"
      % (repeats, os.path.relpath(library, ROOT), GOAL_SHARE_OF_FLOOR * 100))
    w("Produced by `%s` with %s %s; %s.\n" % (command, platform.python_implementation(),
                                             platform.python_version(), versions()))
    main_table(w, passes["idle"])
    w("### Under load: the same with a CPU-bound process beside it\n")
    w("The same sequences again, against a new brokersim, with one busy-looping process "
      "(a Python `while` loop) running the whole time: it takes one CPU, as a host such "
      "as Excel recalculating does. The ratios compare figures of this run alone.\n")
    rates_table(w, passes["load"])
    if "one_cpu" in passes:
        cpu, rows = passes["one_cpu"]
        w("### The same with every process on one CPU (a diagnostic)\n")
        w("Each call hands over between threads (the caller, any thread of the HTTP client, "
          "brokersim's connection thread); when they run on different CPUs every hand-over is a "
          "cross-CPU wakeup. This run pins this script, its threads and brokersim to CPU %d "
          "(`compare.py --diagnostic-cpu %d`), same reads and repeats, no load. It is not the "
          "headline figure: it shows how much of the gap is those wakeups.\n" % (cpu, cpu))
        rates_table(w, rows)
    w("### What it took to point the SDKs at brokersim\n")
    notes = []
    for row in passes["idle"]:
        if row["broker"].notes not in notes:
            notes.append(row["broker"].notes)
    w("\n".join(note.strip() + "\n" for note in notes))
    return "\n".join(out)


def throughput_goal(passes):
    """The goal row of section 5: the lowest share of the floor, idle and under load."""
    def lowest(rows):
        row = min(rows, key=share_of_floor)
        return share_of_floor(row), row["label"]

    (idle, idle_label), (load, load_label) = lowest(passes["idle"]), lowest(passes["load"])
    return {
        "goal": "Funds throughput from the Python binding: at least 80% of the floor's ratio over "
                "each official SDK, idle and under load",
        "figure": "lowest %.0f%% idle (%s), %.0f%% under load (%s) (section 5)"
                  % (idle * 100, idle_label, load * 100, load_label),
        "met": idle >= GOAL_SHARE_OF_FLOOR and load >= GOAL_SHARE_OF_FLOOR,
    }


def goals_section(goals):
    out = ["## 6. Goals\n",
           "Issue 17's goals, each with its figure from this run (ratios only) and whether it was "
           "met.\n",
           "| goal | this run | |", "|---|---|---|"]
    for goal in goals:
        out.append("| %s | %s | **%s** |" % (goal["goal"], goal["figure"],
                                               "MET" if goal["met"] else "MISSED"))
    return "\n".join(out) + "\n"


# ---- main ------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 funds reads, 3 repeats")
    parser.add_argument("--reads", type=int, help="funds reads per sequence (default 1000)")
    parser.add_argument("--repeats", type=int, help="sequences per client (default 5)")
    parser.add_argument("--output", help="write the Markdown section here instead of stdout")
    parser.add_argument("--goals", help="cargo bench's goals (JSON): write the goals table after section 5")
    parser.add_argument("--command", default="benches/sdk/compare.py",
                        help="the command to name in the report")
    parser.add_argument("--diagnostic-cpu", type=int, metavar="CPU",
                        help="then measure again with everything on this one CPU (a third table)")
    parser.add_argument("--brokersim", default=str(RELEASE / "brokersim"),
                        help="the brokersim binary (default target/release/brokersim)")
    parser.add_argument("--library", default=str(RELEASE / "libbrokerlink.so"),
                        help="the library (default target/release/libbrokerlink.so)")
    args = parser.parse_args()
    reads = args.reads or (200 if args.quick else 1000)
    repeats = args.repeats or (3 if args.quick else 5)
    library = os.path.abspath(args.library)
    if not Path(library).exists():
        raise SystemExit("compare.py: %s is missing: run `cargo build --release -p brokerlink`" % library)

    passes = {"idle": run_pass(args.brokersim, library, reads, repeats),
              "load": run_pass(args.brokersim, library, reads, repeats, load=True)}
    if args.diagnostic_cpu is not None:
        passes["one_cpu"] = (args.diagnostic_cpu, run_pass(args.brokersim, library, reads, repeats,
                                                           cpu=args.diagnostic_cpu))
    text = report(passes, reads, repeats, args.command, library)
    if args.goals:
        goals = json.loads(Path(args.goals).read_text(encoding="utf-8"))
        text += "\n" + goals_section(goals + [throughput_goal(passes)])
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
