#!/usr/bin/env bash
# Compares two builds of examples/mmc on M/M/c with runs that alternate, round
# after round, and prints each one's median time and the median of the
# per-round ratios. On a noisy machine that is steadier than timing one build
# and then the other. The order swaps every round (old first, then new first):
# on this VM the second run of a pair is often the faster one (2-4%), which
# a fixed order would book to whichever build always runs second. Build the
# two first, e.g.
#   git worktree add /tmp/old <commit> && (cd /tmp/old && cargo build --release --example mmc)
#   cargo build --release --example mmc
#   benches/ab.sh /tmp/old/target/release/examples/mmc target/release/examples/mmc 1 15
# Arguments: OLD NEW [servers, default 1] [rounds, default 11] [customers, default 2000000].
set -euo pipefail
old=$1 new=$2 servers=${3:-1} rounds=${4:-11} customers=${5:-2000000}

seconds() {
    "$1" --servers "$servers" --customers "$customers" --reps 1 |
        sed -n 's/.*"seconds": \([0-9.]*\).*/\1/p'
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

rows=$(for r in $(seq "$rounds"); do
    if ((r % 2)); then
        a=$(seconds "$old")
        b=$(seconds "$new")
    else
        b=$(seconds "$new")
        a=$(seconds "$old")
    fi
    echo "$a $b"
done)
echo "M/M/$servers, $customers customers, $rounds alternating rounds"
echo "old: median $(cut -d' ' -f1 <<<"$rows" | median) s"
echo "new: median $(cut -d' ' -f2 <<<"$rows" | median) s"
echo "new/old: median ratio $(awk '{print $2 / $1}' <<<"$rows" | median)"
