"""Runs iopsim and its peers on the same models and parameters, checks that
their answers agree, and prints speeds and ratios. Called by run.sh, which
installs the peers and builds iopsim first.

M/M/c (load 0.9, c = 1 and 10): iopsim through its real scenario path
(examples/mmc.rs), the bare hand-written Rust loop (the speed of light),
SimPy and Ciw. Each splits the customers over the same number of
replications; waits are in mean service times. Agreement: the means of two
tools differ by at most 3 combined standard errors, and each is within 3
standard errors of Erlang C.

The default clinic (scenarios/default.toml): iopsim's CLI on one thread
(`iopsim run --threads 1 --no-plots`, all CSV outputs written) against the
SimPy model in clinic_simpy.py; the same agreement rule on the mean wait,
census, admissions and reneging. Speed: replications (trials) per second.

Timing: every tool runs --rounds times (default 3), the rounds interleaved
(all tools once, then all again), and its speed is that of its fastest
round; the median round is shown beside it. On a shared or virtual machine
a single run can be slowed by a quarter by what else runs at that moment;
interleaving spreads such slow spells over all tools, and the fastest round
is the one least disturbed. The answers do not change between rounds (fixed
seeds): the first round's are checked.
"""

import argparse
import csv
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
STAY_DAYS = 0.01  # benches/common/mmc.rs: mean stay; warm-up is one week


def run_json(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best_of_rounds(runs, rounds):
    """Runs each (label, thunk) `rounds` times, round after round; returns
    each one's first result with "seconds" its fastest round and
    "median_seconds" its median round."""
    results = [[] for _ in runs]
    for k in range(rounds):
        for (label, thunk), rs in zip(runs, results):
            print(f"  round {k + 1}/{rounds}: {label} ...", file=sys.stderr, flush=True)
            rs.append(thunk())
    best = []
    for rs in results:
        times = [r["seconds"] for r in rs]
        best.append(dict(rs[0], seconds=min(times), median_seconds=statistics.median(times)))
    return best


def agree(a, b):
    return abs(a["mean"] - b["mean"]) <= 3 * math.hypot(a["se"], b["se"])


def fmt(m):
    return f"{m['mean']:.4g} [{m['ci_low']:.4g}, {m['ci_high']:.4g}]"


def mmc(args, bin_dir, servers):
    load = 0.9
    # iopsim's warm-up is one week of arrivals; the peers discard as many
    # customers (at most a tenth of a replication, for small quick runs).
    warmup = min(round(load * servers / STAY_DAYS * 7), args.customers // args.reps // 10)
    common = ["--servers", str(servers), "--load", str(load),
              "--customers", str(args.customers), "--reps", str(args.reps)]
    mmc_bin = str(bin_dir / "examples" / "mmc")
    runs = [("iopsim", lambda: run_json([mmc_bin, *common])),
            ("bare loop", lambda: run_json([mmc_bin, *common, "--bare"]))]
    for name, script in [("simpy", "mmc_simpy.py"), ("ciw", "mmc_ciw.py")]:
        if name not in args.skip:
            cmd = [sys.executable, script, *common, "--warmup", str(warmup)]
            runs.append((f"{name} (M/M/{servers})", lambda cmd=cmd: run_json(cmd)))
    runs = best_of_rounds(runs, args.rounds)
    erlang = runs[0]["erlang_c"]
    iop = runs[0]
    ok = True
    print(f"\nM/M/{servers}, load {load}, {args.customers:,} customers in {args.reps} replications; "
          f"mean wait in service times, Erlang C = {erlang:.4f}")
    print(f"{'tool':<16}{'customers/s':>14}{'(median)':>13}{'iopsim/tool':>13}  "
          f"{'mean wait [95% CI]':<28}{'vs Erlang C':<13}{'vs iopsim'}")
    for r in runs:
        rate = r["customers"] / r["seconds"]
        median_rate = r["customers"] / r["median_seconds"]
        ratio = (iop["customers"] / iop["seconds"]) / rate
        vs_ec = abs(r["wait"]["mean"] - erlang) <= 3 * r["wait"]["se"]
        vs_iop = agree(r["wait"], iop["wait"])
        ok &= vs_ec and vs_iop
        print(f"{r['tool']:<16}{rate:>14,.0f}{median_rate:>13,.0f}{ratio:>12.1f}x  {fmt(r['wait']):<28}"
              f"{'agrees' if vs_ec else 'DISAGREES':<13}{'agrees' if vs_iop else 'DISAGREES'}")
    return ok


def clinic(args, bin_dir):
    metrics = ["wait_days", "census", "admissions", "reneged"]

    def iopsim_cli():
        with tempfile.TemporaryDirectory() as out:
            cmd = [str(bin_dir / "iopsim"), "run", str(ROOT / "scenarios/default.toml"),
                   "--trials", str(args.trials), "--threads", "1", "--quiet", "--no-plots",
                   "--out", out]
            started = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            seconds = time.perf_counter() - started
            summary = next(Path(out).glob("*/summary.csv"))
            rows = {r["metric"]: r for r in csv.DictReader(summary.open())}
        iop = {"tool": "iopsim", "reps": args.trials, "seconds": seconds}
        for m in metrics:
            r = rows[f"iop.{m}"]
            iop[m] = {"mean": float(r["mean"]), "se": float(r["sd"]) / math.sqrt(args.trials),
                      "ci_low": float(r["ci95_low"]), "ci_high": float(r["ci95_high"])}
        return iop

    runs = [("iopsim (clinic)", iopsim_cli)]
    if "simpy" not in args.skip:
        cmd = [sys.executable, "clinic_simpy.py", "--reps", str(args.clinic_reps)]
        runs.append(("simpy (clinic)", lambda: run_json(cmd)))
    runs = best_of_rounds(runs, args.rounds)
    iop = runs[0]
    ok = True
    print(f"\nDefault clinic (scenarios/default.toml, 52 + 26 warm-up weeks), one thread; "
          f"iopsim: {args.trials} trials via the CLI with all CSV outputs")
    print(f"{'tool':<10}{'trials/s':>10}{'ms/trial':>10}{'(median)':>10}{'iopsim/tool':>13}  "
          + "".join(f"{m:<26}" for m in metrics))
    for r in runs:
        rate = r["reps"] / r["seconds"]
        ratio = (iop["reps"] / iop["seconds"]) / rate
        cells = ""
        for m in metrics:
            same = agree(r[m], iop[m])
            ok &= same
            cells += f"{fmt(r[m]) + ('' if same else ' (!)'):<26}"
        median_ms = 1000 * r["median_seconds"] / r["reps"]
        print(f"{r['tool']:<10}{rate:>10,.1f}{1000 / rate:>10.2f}{median_ms:>10.2f}{ratio:>12.1f}x  {cells}")
    print("(!) marks a mean more than 3 combined standard errors from iopsim's")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin-dir", required=True, help="cargo's release directory")
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--trials", type=int, default=1000, help="iopsim clinic trials")
    ap.add_argument("--clinic-reps", type=int, default=200, help="SimPy clinic replications")
    ap.add_argument("--skip", nargs="*", default=[], help="peers to leave out: simpy ciw")
    ap.add_argument("--rounds", type=int, default=3,
                    help="timed rounds per tool, interleaved; speed is the fastest round's")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    bin_dir = Path(args.bin_dir)
    ok = all([mmc(args, bin_dir, 1), mmc(args, bin_dir, 10), clinic(args, bin_dir)])
    print("\nall answers agree" if ok else "\nSOME ANSWERS DISAGREE (see above)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
