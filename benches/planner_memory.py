#!/usr/bin/env python3
"""The planner's memory under repeated paired runs (docs/planner.md, Memory).

Starts `iopsim serve`, sends RUNS page runs each paired with a baseline,
each changing the referral rate so that nothing is reused, and prints the
server's resident memory (VmRSS) and its highest (VmHWM) after each.

    cargo build --release
    python3 benches/planner_memory.py [TRIALS] [RUNS]     # 1000 20; 20000 12
"""
import json
import subprocess
import sys
import time
import urllib.request

trials = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
server = subprocess.Popen(
    ["target/release/iopsim", "serve", "--port", "0", "--threads", "2"],
    stdout=subprocess.PIPE, text=True)
try:
    banner = server.stdout.readline()
    address = banner.split("http://")[1].split("/")[0]
    scenario = urllib.request.urlopen(f"http://{address}/api/scenario").read().decode()

    def memory():
        status = open(f"/proc/{server.pid}/status").read().splitlines()
        kb = {l.split(":")[0]: int(l.split()[1]) for l in status if l.startswith(("VmRSS", "VmHWM"))}
        return kb["VmRSS"] // 1024, kb["VmHWM"] // 1024

    print(f"{trials} trials; start: RSS {memory()[0]} MB")
    for i in range(runs):
        page = {"scenario": scenario,
                "set": [f"referrals.community.per_week={1.5 + i * 0.05:.2f}",
                        f"simulation.trials={trials}"],
                "baseline": {"scenario": scenario,
                             "set": [f"referrals.community.per_week={1.0 + (i % 6) * 0.05:.2f}",
                                     f"simulation.trials={trials}"]}}
        started = time.time()
        request = urllib.request.Request(f"http://{address}/api/run", data=json.dumps(page).encode(),
                                         headers={"Content-Type": "application/json"})
        json.loads(urllib.request.urlopen(request).read())
        rss, hwm = memory()
        print(f"run {i + 1:2}: {time.time() - started:5.2f} s  RSS {rss} MB  highest {hwm} MB")
finally:
    server.kill()
