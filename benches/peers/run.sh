#!/usr/bin/env bash
# iopsim side by side with SimPy and Ciw: installs the peers if missing (pip),
# builds iopsim, runs everything on the same models and parameters, checks
# that the answers agree and prints speeds. Options go to compare.py, e.g.
#   benches/peers/run.sh --customers 100000 --clinic-reps 50   # a quick look
# Takes about 3 minutes at the defaults (3 interleaved rounds; Ciw is slow).
# See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

for pkg in simpy ciw; do
    python3 -c "import $pkg" 2>/dev/null || python3 -m pip install --quiet "$pkg"
done
cargo build --release --quiet --bin iopsim --example mmc
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
exec python3 benches/peers/compare.py --bin-dir "$target_dir/release" "$@"
