#!/usr/bin/env bash
# Submits an iopsim command as N shards (a Slurm job array) and the merge
# that starts when they have all succeeded (docs/scaling.md).
#
#   deploy/slurm/submit.sh [--wait] N WORKDIR COMMAND [ARGS...]
#   deploy/slurm/submit.sh 4 /shared/year-plan run scenarios/default.toml --trials 4000
#
# WORKDIR (on a file system every node sees) receives shards/ (the shard
# folders), logs/ (one log per task) and output/<folder>/ (the merged
# results). --wait returns when the merge has ended, with its exit code.
# CPUS sets each task's --cpus-per-task (default 1); IOPSIM the binary;
# SBATCH_PARTITION and the other SBATCH_* variables of sbatch apply.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wait=()
if [ "${1:-}" = --wait ]; then wait=(--wait); shift; fi
if [ $# -lt 3 ]; then
    echo "usage: $0 [--wait] N WORKDIR COMMAND [ARGS...]" >&2
    exit 2
fi
n=$1
work=$2
shift 2
case "$n" in ''|*[!0-9]*) echo "error: N must be a whole number of shards, got '$n'" >&2; exit 2 ;; esac
if [ "$n" -lt 1 ]; then echo "error: N must be at least 1" >&2; exit 2; fi
mkdir -p "$work/logs"
work=$(cd "$work" && pwd)
cpus=${CPUS:-1}
array=$(sbatch --parsable --array="0-$((n - 1))" --cpus-per-task="$cpus" \
    --chdir="$PWD" --output="$work/logs/shard-%a.out" \
    "$here/shard.sbatch" "$work/shards" "$@")
array=${array%%;*}
echo "shards: job array $array (0-$((n - 1)))"
merge=$(sbatch --parsable "${wait[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
    --cpus-per-task="$cpus" --chdir="$PWD" --output="$work/logs/merge.out" \
    "$here/merge.sbatch" "$work/shards" "$work/output")
echo "merge: job ${merge%%;*} (after every shard succeeded); results in $work/output/"
