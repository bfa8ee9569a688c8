"""The default IOP clinic (scenarios/default.toml) in SimPy, as faithfully as
SimPy allows, following the model rules of docs/scenario.md:

- referral streams: Poisson with a rate constant within each day (weekday
  weights, month factors), a show probability, a waitlist priority;
- one session unit with rolling admission: a waiting patient is admitted at
  the next session of their track (drawn from the track shares) with a free
  seat, by (priority, arrival order); the waitlist turns people away when it
  holds `capacity` plus the free seats; waiting patients renege after an
  exponential patience;
- sessions on the track's weekdays, none on holidays (US federal, observed);
  the first session is attended, later ones with probability `attendance`;
  `discharge_after_absences` consecutive misses discharge at the session's
  end; from `phases.from_week` only the first `sessions_per_week` days count;
- weekly dropout (by week of stay, the last value repeating) and step-up
  hazards drawn at the start of each week of stay, the exit at a uniform time
  within that week; completion `episode.weeks` after admission;
- same-time order: exits before admissions at a session.

Patients are SimPy processes; the sessions are one process per track.
Metrics over the reported weeks (after the warm-up), per replication:
wait_days (mean referral-to-admission wait of those admitted), census (time
average enrolled), admissions, reneged.

    python3 clinic_simpy.py --reps 200
"""

import argparse
import datetime as dt
import heapq
import math
import random
import time
import tomllib
from pathlib import Path

import simpy

from common import emit, summary

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def us_federal_holidays(year):
    def nth(month, weekday, n):
        d = dt.date(year, month, 1)
        d += dt.timedelta(days=(weekday - d.weekday()) % 7)
        return d + dt.timedelta(weeks=n - 1)

    def last(month, weekday):
        d = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        return d - dt.timedelta(days=(d.weekday() - weekday) % 7)

    def observed(d):
        return d - dt.timedelta(days=1) if d.weekday() == 5 else d + dt.timedelta(days=1) if d.weekday() == 6 else d

    return [observed(dt.date(year, 1, 1)), nth(1, 0, 3), nth(2, 0, 3), last(5, 0),
            observed(dt.date(year, 7, 4)), nth(9, 0, 1), nth(11, 3, 4), observed(dt.date(year, 12, 25))]


class Config:
    def __init__(self, path):
        s = tomllib.loads(Path(path).read_text())
        sim = s["simulation"]
        self.warmup_days = 7 * sim.get("warmup_weeks", 0)
        self.horizon = self.warmup_days + 7 * sim["weeks"]
        start = dt.date.fromisoformat(str(sim["start_date"]))
        self.day0 = start - dt.timedelta(days=self.warmup_days)
        dates = [self.day0 + dt.timedelta(days=d) for d in range(self.horizon)]
        cal = s.get("calendar", {})
        holidays = {dt.date.fromisoformat(str(h)) for h in cal.get("holidays", [])}
        if cal.get("us_federal_holidays"):
            for y in range(dates[0].year, dates[-1].year + 1):
                holidays.update(us_federal_holidays(y))
        self.holiday = [d in holidays for d in dates]
        self.weekday = [d.weekday() for d in dates]
        (unit,) = s["units"]
        assert unit["kind"] == "sessions" and unit.get("admission", "rolling") == "rolling"
        self.streams = []
        for r in s["referrals"]:
            assert r["to"] == unit["name"] and r.get("growth_per_year", 0) == 0
            w = r.get("weekdays", [1] * 7)
            m = r.get("months", [1] * 12)
            rates = [r["per_week"] / 7 * (7 * w[d.weekday()] / sum(w)) * m[d.month - 1] for d in dates]
            self.streams.append((rates, r.get("show", 1.0), r.get("priority", 1)))
        self.weeks = unit["episode"]["weeks"]
        self.attendance = unit.get("attendance", 1.0)
        self.absences = unit.get("discharge_after_absences", 0)
        self.dropout = unit.get("dropout_weekly", []) or [0.0]
        self.stepup = unit.get("stepup_weekly", 0.0)
        self.phases = unit.get("phases", [])
        wl = unit.get("waitlist", {})
        self.capacity = wl.get("capacity", math.inf)
        self.patience = wl.get("patience", {}).get("mean")
        self.tracks = []
        for t in unit["tracks"]:
            h, mnt = map(int, t["start"].split(":"))
            self.tracks.append({
                "days": sorted(WEEKDAYS.index(d) for d in t["days"]),
                "start": (h * 60 + mnt) / 1440, "hours": t["hours"],
                "groups": t.get("groups", 1), "size": t["group_size"], "share": t.get("share"),
            })
        shares = [t["share"] or 1 / len(self.tracks) for t in self.tracks]
        self.track_cdf = [sum(shares[: i + 1]) for i in range(len(shares))]
        self.track_cdf[-1] = math.inf


class Clinic:
    def __init__(self, env, cfg, rng):
        self.env, self.cfg, self.rng = env, cfg, rng
        self.waitlists = [[] for _ in cfg.tracks]  # heaps of (priority, seq, patient)
        self.waiting = 0
        self.seq = 0
        self.occupancy = [[0] * t["groups"] for t in cfg.tracks]
        self.enrolled = [[] for _ in cfg.tracks]
        self.census = 0
        self.census_area = 0.0
        self.census_last = cfg.warmup_days
        self.waits = []
        self.admissions = 0
        self.reneged = 0
        for i, (rates, show, priority) in enumerate(cfg.streams):
            env.process(self.referrals(rates, show, priority))
        for t in range(len(cfg.tracks)):
            env.process(self.sessions(t))

    def reported(self):
        return self.cfg.warmup_days <= self.env.now < self.cfg.horizon

    def census_change(self, delta):
        now = min(max(self.env.now, self.cfg.warmup_days), self.cfg.horizon)
        self.census_area += self.census * (now - self.census_last)
        self.census_last = now
        self.census += delta

    def free_seats(self):
        return sum(t["size"] - o for t, occ in zip(self.cfg.tracks, self.occupancy) for o in occ)

    # -- referrals: spend a unit-exponential budget of integrated rate, day by day
    def referrals(self, rates, show, priority):
        pos, budget = 0.0, self.rng.expovariate(1.0)
        while True:
            day = int(pos)
            if day >= len(rates):
                return
            room = rates[day] * (day + 1 - pos)
            if rates[day] > 0 and budget <= room:
                pos += budget / rates[day]
                budget = self.rng.expovariate(1.0)
                yield self.env.timeout(pos - self.env.now)
                if self.rng.random() < show:
                    self.env.process(self.patient(priority))
            else:
                budget -= room
                pos = day + 1

    # -- a patient: wait (or give up), then a stay of weekly hazards
    def patient(self, priority):
        env, cfg, rng = self.env, self.cfg, self.rng
        x = rng.random()
        track = next(i for i, c in enumerate(cfg.track_cdf) if x < c)
        if self.waiting >= cfg.capacity + self.free_seats():
            return
        p = {"track": track, "referred": env.now, "admitted": env.event(), "in_care": False,
             "absences": 0, "proc": None, "gone": False}
        p["proc"] = env.active_process
        self.seq += 1
        heapq.heappush(self.waitlists[track], (priority, self.seq, id(p), p))
        self.waiting += 1
        patience = env.timeout(rng.expovariate(1 / cfg.patience)) if cfg.patience else env.event()
        result = yield p["admitted"] | patience
        if p["admitted"] not in result:
            p["gone"] = True  # lazily removed from the heap
            self.waiting -= 1
            if self.reported():
                self.reneged += 1
            return
        # In care: draw each week's hazard at its start; complete after `weeks`.
        start = env.now
        try:
            for week in range(1, cfg.weeks + 1):
                dropout = cfg.dropout[min(week, len(cfg.dropout)) - 1]
                u = rng.random()
                if u < dropout + cfg.stepup:
                    yield env.timeout(rng.uniform(0, 7))
                    break
                yield env.timeout(start + 7 * week - env.now)
        except simpy.Interrupt:
            pass  # administrative discharge
        self.leave(p)

    def leave(self, p):
        if not p["in_care"]:
            return
        p["in_care"] = False
        t, g = p["track"], p["group"]
        self.occupancy[t][g] -= 1
        self.enrolled[t].remove(p)
        self.census_change(-1)

    def admit(self, p, group):
        self.waiting -= 1
        p["in_care"], p["group"], p["since"] = True, group, self.env.now
        self.occupancy[p["track"]][group] += 1
        self.enrolled[p["track"]].append(p)
        self.census_change(+1)
        if self.reported():
            self.admissions += 1
            self.waits.append(self.env.now - p["referred"])
        p["admitted"].succeed()

    # -- a track's sessions
    def sessions(self, t):
        env, cfg, rng = self.env, self.cfg, self.rng
        track = cfg.tracks[t]
        for day in range(cfg.horizon):
            if cfg.weekday[day] not in track["days"] or cfg.holiday[day]:
                continue
            yield env.timeout(day + track["start"] - env.now)
            wl = self.waitlists[t]
            for g in range(track["groups"]):
                while self.occupancy[t][g] < track["size"] and wl:
                    *_, p = heapq.heappop(wl)
                    if not p["gone"]:
                        self.admit(p, g)
            pos_in_week = track["days"].index(cfg.weekday[day])
            end = track["hours"] / 24
            for p in list(self.enrolled[t]):
                if p["since"] == env.now:
                    continue  # admitted now: attends
                week_of_stay = int((env.now - p["since"]) / 7) + 1
                limit = None
                for ph in cfg.phases:
                    if week_of_stay >= ph["from_week"]:
                        limit = ph["sessions_per_week"]
                if limit is not None and pos_in_week >= limit:
                    continue
                if rng.random() < cfg.attendance:
                    p["absences"] = 0
                else:
                    p["absences"] += 1
                    if cfg.absences and p["absences"] == cfg.absences:
                        env.process(self.discharge_at(p, end))

    def discharge_at(self, p, delay):
        yield self.env.timeout(delay)
        if p["in_care"]:
            p["proc"].interrupt()


def replication(cfg, seed):
    env = simpy.Environment()
    clinic = Clinic(env, cfg, random.Random(seed))
    env.run(until=cfg.horizon)
    clinic.census_change(0)
    reported_days = cfg.horizon - cfg.warmup_days
    wait = sum(clinic.waits) / len(clinic.waits) if clinic.waits else float("nan")
    return {"wait_days": wait, "census": clinic.census_area / reported_days,
            "admissions": clinic.admissions, "reneged": clinic.reneged}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default=str(Path(__file__).resolve().parents[2] / "scenarios/default.toml"))
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    cfg = Config(a.scenario)
    started = time.perf_counter()
    reps = [replication(cfg, a.seed * 1000 + r) for r in range(a.reps)]
    seconds = time.perf_counter() - started
    metrics = {k: summary([r[k] for r in reps]) for k in reps[0]}
    emit(tool="simpy", model="clinic", reps=a.reps, seconds=seconds, **metrics)


if __name__ == "__main__":
    main()
