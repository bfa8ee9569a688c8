#!/usr/bin/env bash
# Merge time against the number of shards, and the shard files' size per
# trial (docs/scaling.md). Build first: cargo build --release
#   benches/shards.sh [scenario, default scenarios/default.toml] [trials per shard, default 1000]
# Prints, for N = 1, 2, 4, 8 shards: the merge of N shards of `trials per
# shard` each (so the merge's work grows with N), then the merge of 4,000
# trials cut into N = 1, 2, 4, 8, 16, 32 shards (the same work in more
# files): seconds (wall, user + system CPU) and peak memory of `iopsim merge
# --no-plots --threads 1`, median of 3.
set -euo pipefail
bin=${IOPSIM:-target/release/iopsim}
scenario=${1:-scenarios/default.toml}
per=${2:-1000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() { # dir out -> "wall cpu maxrss_kb"
    local dir=$1
    for _ in 1 2 3; do
        rm -rf "$dir/out"
        /usr/bin/time -f "%e %U %S %M" -o "$dir/time" \
            "$bin" merge "$dir"/shards/*.shard-* --out "$dir/out" --no-plots --threads 1 --quiet >/dev/null 2>&1
        awk '{printf "%.3f %.3f %d\n", $1, $2 + $3, $4}' "$dir/time"
    done | sort -n | sed -n 2p
}

shard_all() { # dir trials n
    local dir=$1 trials=$2 n=$3
    for ((k = 0; k < n; k++)); do
        "$bin" run "$scenario" --trials "$trials" --no-plots --quiet --shard "$k/$n" --out "$dir/shards" >/dev/null 2>&1
    done
}

echo "merge of N shards of $per trials each ($scenario)"
echo "N  trials  shard bytes/trial  merge wall s  merge cpu s  peak RSS MB"
for n in 1 2 4 8; do
    dir=$tmp/grow-$n
    shard_all "$dir" $((n * per)) "$n"
    bytes=$(cat "$dir"/shards/*/trials-0.bin | wc -c)
    read -r wall cpu rss < <(measure "$dir")
    printf "%-2d %6d  %17d  %12s  %11s  %11d\n" "$n" $((n * per)) $((bytes / (n * per))) "$wall" "$cpu" $((rss / 1024))
done
echo
echo "merge of 4000 trials cut into N shards"
echo "N   merge wall s  merge cpu s  peak RSS MB"
for n in 1 2 4 8 16 32; do
    dir=$tmp/cut-$n
    shard_all "$dir" 4000 "$n"
    read -r wall cpu rss < <(measure "$dir")
    printf "%-3d %12s  %11s  %11d\n" "$n" "$wall" "$cpu" $((rss / 1024))
done
