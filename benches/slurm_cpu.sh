#!/usr/bin/env bash
# Total CPU of a run split into 4 shards and merged on Slurm against the
# same run on one machine (docs/scaling.md). Needs a cluster
# (deploy/slurm/local-cluster.sh) and a release build. Alternates the two,
# `rounds` times, and prints each round's CPU seconds (user + system):
#   benches/slurm_cpu.sh [trials, default 16000] [rounds, default 3]
# The single run has --threads 1, like each shard and the merge, so that
# neither pays for idle threads spinning.
set -euo pipefail
bin=$(cd "$(dirname "$0")/.." && pwd)/target/release/iopsim
scenario=$(cd "$(dirname "$0")/.." && pwd)/scenarios/default.toml
trials=${1:-16000}
rounds=${2:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "default scenario, $trials trials: one machine vs 4 Slurm shards + merge (CPU s, user + system)"
for r in $(seq "$rounds"); do
    /usr/bin/time -f "%U %S" -o "$tmp/single.time" \
        "$bin" run "$scenario" --trials "$trials" --threads 1 --quiet --out "$tmp/single-$r" >/dev/null 2>&1
    single=$(awk '{print $1 + $2}' "$tmp/single.time")
    IOPSIM=$bin CPUS=1 "$(dirname "$0")/../deploy/slurm/submit.sh" --wait 4 "$tmp/slurm-$r" \
        run "$scenario" --trials "$trials" >/dev/null
    read -r shards merge < <(awk '/iopsim cpu/ { c = $4 + $7; if (FILENAME ~ /merge/) m += c; else s += c }
        END { print s, m }' "$tmp/slurm-$r"/logs/*.out)
    awk -v a="$single" -v s="$shards" -v m="$merge" -v r="$r" 'BEGIN {
        printf "round %d: single %.2f s; slurm %.2f s (shards %.2f + merge %.2f): %+.1f%%\n", r, a, s + m, s, m, (s + m - a) / a * 100 }'
    cmp -s "$tmp/single-$r/midsize-adult-iop/summary.csv" "$tmp/slurm-$r/output/midsize-adult-iop/summary.csv" ||
        { echo "summary.csv differs" >&2; exit 1; }
done
