"""Times compare, sweep and size (with their pages) by two builds, in alternating rounds.

Medians per build; the ratio new/old. Used for docs/performance.md."""
import os, shutil, statistics, subprocess, sys, tempfile, time
OUT=tempfile.mkdtemp()
if len(sys.argv) != 3:
    sys.exit('usage: %s OLD_IOPSIM NEW_IOPSIM  (run from a folder with scenarios/ and docs/ both builds can read)' % sys.argv[0])
bins={'old':sys.argv[1],'new':sys.argv[2]}
cmds={'compare':['compare','scenarios/default.toml','docs/examples/five-short-days.toml'],
      'sweep':['sweep','--vary','units.iop.tracks.evening.group_size=10..12'],
      'size':['size','--vary','units.iop.tracks.evening.groups=1..3','--set','rooms.group-room.count=3','--target','iop.wait_days_p90 p90 <= 14']}
res={(b,c):[] for b in bins for c in cmds}
for r in range(5):
    for c,args in cmds.items():
        for b,path in (bins.items() if r%2==0 else reversed(list(bins.items()))):
            out=os.path.join(OUT, b)
            shutil.rmtree(out, ignore_errors=True)
            t=time.perf_counter()
            subprocess.run([path]+args+['--quiet','--out',out],check=True,capture_output=True)
            res[(b,c)].append(time.perf_counter()-t)
for c in cmds:
    o=statistics.median(res[('old',c)]); n=statistics.median(res[('new',c)])
    print(f"{c}: old {o:.3f} s, new {n:.3f} s (with report.html and charts), new/old {n/o:.2f}")
