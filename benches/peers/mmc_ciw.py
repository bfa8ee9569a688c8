"""M/M/c in Ciw: one node, exponential arrivals and services, c servers.
Time unit: the mean service time. Mean wait in queue per replication, after
discarding a warm-up (records of customers that arrived first).

    python3 mmc_ciw.py --servers 10 --load 0.9 --customers 1000000 --reps 20
"""

import argparse
import time

import ciw

from common import emit, summary


def replication(servers, load, customers, warmup, seed):
    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=load * servers)],
        service_distributions=[ciw.dists.Exponential(rate=1.0)],
        number_of_servers=[servers],
    )
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(customers, method="Arrive")
    records = sorted(sim.get_all_records(), key=lambda r: r.arrival_date)
    waits = [r.waiting_time for r in records[warmup:]]
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
    emit(tool="ciw", model="mmc", servers=a.servers, load=a.load, customers=per_rep * a.reps,
         seconds=seconds, wait=summary(waits))


if __name__ == "__main__":
    main()
