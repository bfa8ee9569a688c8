"""Times iopsim run (with and without plots) by two builds, in alternating rounds.

Medians per build; the ratio new/old. Used for docs/performance.md."""
import os, shutil, statistics, subprocess, sys, tempfile, time
OUT=tempfile.mkdtemp()
if len(sys.argv) != 3:
    sys.exit('usage: %s OLD_IOPSIM NEW_IOPSIM  (run from a folder with scenarios/ and docs/ both builds can read)' % sys.argv[0])
bins={'old':sys.argv[1],'new':sys.argv[2]}
modes={'plots':[],'no-plots':['--no-plots']}
res={(b,m):[] for b in bins for m in modes}
for r in range(7):
    for m,extra in modes.items():
        for b,path in (bins.items() if r%2==0 else reversed(list(bins.items()))):
            out=os.path.join(OUT, b)
            shutil.rmtree(out, ignore_errors=True)
            t=time.perf_counter()
            subprocess.run([path,'run','--quiet','--out',out]+extra,check=True,capture_output=True)
            res[(b,m)].append(time.perf_counter()-t)
for m in modes:
    o=statistics.median(res[('old',m)]); n=statistics.median(res[('new',m)])
    print(f"{m}: old median {o:.3f} s (min {min(res[('old',m)]):.3f}), new median {n:.3f} s (min {min(res[('new',m)]):.3f}), new/old {n/o:.3f}")
