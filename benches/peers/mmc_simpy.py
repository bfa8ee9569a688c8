"""M/M/c in SimPy, the textbook way: a Resource with c servers, a source
process and one process per customer. Time unit: the mean service time.
Mean wait in queue per replication, after discarding a warm-up.

    python3 mmc_simpy.py --servers 10 --load 0.9 --customers 1000000 --reps 20
"""

import argparse
import random
import time

import simpy

from common import emit, summary


def replication(servers, load, customers, warmup, seed):
    rng = random.Random(seed)
    env = simpy.Environment()
    beds = simpy.Resource(env, capacity=servers)
    lam = load * servers
    waits = []

    def customer(env, index):
        arrived = env.now
        with beds.request() as req:
            yield req
            if index >= warmup:
                waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1.0))

    def source(env):
        for i in range(customers):
            yield env.timeout(rng.expovariate(lam))
            env.process(customer(env, i))

    env.process(source(env))
    env.run()
    return sum(waits) / len(waits)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=1)
    ap.add_argument("--load", type=float, default=0.9)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=0, help="customers discarded per replication")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    per_rep = a.customers // a.reps
    started = time.perf_counter()
    waits = [replication(a.servers, a.load, per_rep, a.warmup, a.seed * 1000 + r) for r in range(a.reps)]
    seconds = time.perf_counter() - started
    emit(tool="simpy", model="mmc", servers=a.servers, load=a.load, customers=per_rep * a.reps,
         seconds=seconds, wait=summary(waits))


if __name__ == "__main__":
    main()
