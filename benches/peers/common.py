"""Shared by the peer models: summary statistics and the one-line JSON
result format that compare.py reads (the same one examples/mmc.rs prints)."""

import json
import math
import statistics

# Two-sided 95% Student t critical values by degrees of freedom; normal past 30.
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365,
        8: 2.306, 9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145,
        15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086,
        21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056,
        27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042}


def t95(df):
    return _T95.get(df, 1.960)


def summary(values):
    """Mean, standard error and 95% t-interval of replication values."""
    values = [v for v in values if v == v]  # NaN (no admissions) left out
    n = len(values)
    mean = statistics.fmean(values) if n else float("nan")
    se = statistics.stdev(values) / math.sqrt(n) if n > 1 else float("nan")
    half = t95(n - 1) * se if n > 1 else float("nan")
    return {"mean": mean, "se": se, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def emit(**fields):
    print(json.dumps(fields), flush=True)
