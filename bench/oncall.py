#!/usr/bin/env python3
"""On-call schedule benchmark: the pure core in firebell.core.schedules, in process, no I/O.

Two questions, each against a naive baseline measured in the same process on the same schedules:

  1. "who is on call now" for 1,000 schedules (mixed zones, 1-3 layers, restrictions, overrides)
     target: <= 100 ms for all 1,000
  2. one year of final shifts for a three-layer schedule with 100 overrides
     target: <= 50 ms

The baseline walks every rotation from its start one shift at a time, where the core computes the
index of the shift containing an instant by arithmetic and only builds shifts inside the window.
Its answers are checked against the core's, so the comparison is between two correct programs.

    .venv/bin/python bench/oncall.py              # full run, well under a minute
    .venv/bin/python bench/oncall.py --reps 5     # fewer repetitions

Exit status 0 when both targets are met and the answers agree, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from zoneinfo import ZoneInfo

from firebell.core.rotations import Rotation, restricted_at
from firebell.core.schedules import (
    BUSINESS_HOURS,
    WEEKENDS,
    Layer,
    Override,
    Restriction,
    Schedule,
    Shift,
    ShiftLength,
    final_shifts,
    local_instant,
    on_call_at,
)

NOW = datetime(2026, 6, 15, 10, 17, tzinfo=UTC)  # fixed, so every run asks the same question
YEAR = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
TARGET_NOW_MS = 100.0
TARGET_YEAR_MS = 50.0
BASELINE_BUDGET_S = 20.0  # the baseline stops repeating once it has used this much time

ZONES = (
    "Europe/Stockholm", "Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago",
    "America/Los_Angeles", "America/Sao_Paulo", "America/Santiago", "America/Havana", "Asia/Beirut",
    "Asia/Kolkata", "Asia/Tokyo", "Asia/Singapore", "Australia/Sydney", "Australia/Lord_Howe",
    "Pacific/Auckland", "Africa/Cairo", "Africa/Johannesburg", "America/St_Johns", "UTC",
)
PEOPLE = tuple(f"user-{k:03d}" for k in range(200))
NIGHTS = Restriction((0, 1, 2, 3, 4, 5, 6), wall(18), wall(8))


# -- scenarios ---------------------------------------------------------------------------------


def _layer(rng: random.Random, zone: str, name: str) -> Layer:
    kind = rng.choice(["weekly", "weekly", "daily", "12h", "8h", "4on3off", "2weeks"])
    length, pattern = {
        "weekly": (ShiftLength.weeks(1), ()),
        "2weeks": (ShiftLength.weeks(2), ()),
        "daily": (ShiftLength.days(1), ()),
        "12h": (ShiftLength.hours(12), ()),
        "8h": (ShiftLength.hours(8), ()),
        "4on3off": (ShiftLength.days(1), ((4, True), (3, False))),
    }[kind]
    first_day = date(2022, 1, 3) + timedelta(days=rng.randrange(0, 3 * 365))  # running for 0.5 to 3.5 years
    handoff = wall(rng.choice([0, 8, 9, 10, 17]), rng.choice([0, 30]))
    restrictions = rng.choice([(), (), (), (BUSINESS_HOURS,), (NIGHTS,), (WEEKENDS,)])
    return Layer(
        name=name,
        participants=tuple(rng.sample(PEOPLE, rng.randint(2, 8))),
        start=local_instant(ZoneInfo(zone), first_day, handoff),
        shift_length=length,
        handoff=handoff,
        pattern=pattern,
        restrictions=restrictions,
    )


def many_schedules(count: int, seed: int = 7) -> list[Schedule]:
    rng = random.Random(seed)
    schedules = []
    for k in range(count):
        zone = ZONES[k % len(ZONES)]
        layers = tuple(_layer(rng, zone, f"layer-{n}") for n in range(rng.randint(1, 3)))
        overrides = []
        for _ in range(rng.choice([0, 0, 1, 2, 5])):
            start = NOW + timedelta(hours=rng.randint(-72, 72))
            overrides.append(Override(rng.choice(PEOPLE), start, start + timedelta(hours=rng.randint(1, 48))))
        schedules.append(Schedule(zone, layers, tuple(overrides)))
    return schedules


def busy_schedule(seed: int = 11) -> Schedule:
    """Three layers in Stockholm, running for years before the window, and 100 overrides in it."""
    rng = random.Random(seed)
    sthlm = ZoneInfo("Europe/Stockholm")
    base = Layer("primary", PEOPLE[:6], local_instant(sthlm, date(2019, 1, 7), wall(9)), ShiftLength.weeks(1), wall(9))
    office = Layer(
        "office", PEOPLE[6:10], local_instant(sthlm, date(2021, 3, 1), wall(9)), ShiftLength.days(1), wall(9),
        restrictions=(BUSINESS_HOURS,),
    )
    weekend = Layer(
        "weekend", PEOPLE[10:14], local_instant(sthlm, date(2023, 1, 7), wall(8)), ShiftLength.hours(12), wall(8),
        restrictions=(WEEKENDS,),
    )
    overrides = []
    span_s = int((YEAR[1] - YEAR[0]).total_seconds())
    for _ in range(100):
        start = YEAR[0] + timedelta(seconds=rng.randrange(0, span_s, 900))
        length = timedelta(minutes=rng.randrange(60, 4320, 15))
        overrides.append(Override(rng.choice(PEOPLE[:20]), start, start + length))
    return Schedule("Europe/Stockholm", (base, office, weekend), tuple(overrides))


# -- the naive baseline: walk every rotation from its start ------------------------------------


def _walked_unit(rot: Rotation, instant: datetime) -> int:
    unit = 0
    while rot.boundary(unit + 1) <= instant:
        unit += 1
    return unit


def naive_on_call_at(schedule: Schedule, instant: datetime) -> str | None:
    for override in reversed(schedule.overrides):
        if override.start <= instant < override.end:
            return override.user
    for rot in reversed(schedule.rotations):
        if instant < rot.anchor:
            continue
        turn, unit_in_turn = divmod(_walked_unit(rot, instant), rot.units_per_turn)
        if not rot.step_on[bisect_right(rot.step_ends, unit_in_turn)]:
            continue
        if not restricted_at(rot.layer.restrictions, rot.zone, instant):
            continue
        return rot.layer.participants[turn % len(rot.layer.participants)]
    return None


def naive_final_shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Every shift from the earliest layer start, then the ones in the window, cut to it."""
    origin = min([start] + [rot.anchor for rot in schedule.rotations])
    out = []
    for shift in final_shifts(schedule, origin, end):
        if shift.end > start:
            out.append(Shift(shift.user, max(shift.start, start), shift.end, shift.source))
    return out


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Timing:
    runs_ms: list[float]
    peak_kib: float

    def pct(self, p: float) -> float:
        ordered = sorted(self.runs_ms)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

    @property
    def p50(self) -> float:
        return statistics.median(self.runs_ms)


def measure(job: Callable[[], object], reps: int, budget_s: float | None = None) -> Timing:
    job()  # warm-up: zone files read, caches filled
    tracemalloc.start()
    job()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    runs: list[float] = []
    spent = 0.0
    gc.collect()
    for _ in range(reps):
        t0 = time.perf_counter()
        job()
        runs.append((time.perf_counter() - t0) * 1000)
        spent += runs[-1] / 1000
        if budget_s is not None and spent > budget_s:
            break
    return Timing(runs, peak / 1024)


def report(title: str, fast: Timing, naive: Timing, per: int, per_label: str, target_ms: float, agree: str) -> bool:
    ok = fast.p50 <= target_ms
    print(title)
    for label, t in (("core", fast), ("baseline", naive)):
        print(
            f"  {label:<9} total p50 {t.p50:9.2f} ms  p99 {t.pct(99):9.2f} ms  "
            f"per {per_label} {t.p50 * 1000 / per:9.1f} us  peak {t.peak_kib:8.0f} KiB  ({len(t.runs_ms)} reps)"
        )
    print(f"  ratio baseline/core: {naive.p50 / fast.p50:.1f}x   answers agree: {agree}")
    print(f"  target p50 <= {target_ms:.0f} ms: {fast.p50:.2f} ms  {'PASS' if ok else 'MISS'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=30, help="repetitions of each measurement (default 30)")
    parser.add_argument("--baseline-reps", type=int, default=3, help="repetitions of the baseline (default 3)")
    args = parser.parse_args()
    began = time.perf_counter()

    schedules = many_schedules(1000)
    layers = sum(len(s.layers) for s in schedules)
    overrides = sum(len(s.overrides) for s in schedules)
    fast_answers = [on_call_at(s, NOW) for s in schedules]
    naive_answers = [naive_on_call_at(s, NOW) for s in schedules]
    same_now = sum(a == b for a, b in zip(fast_answers, naive_answers, strict=True))
    fast = measure(lambda: [on_call_at(s, NOW) for s in schedules], args.reps)
    naive = measure(lambda: [naive_on_call_at(s, NOW) for s in schedules], args.baseline_reps, BASELINE_BUDGET_S)
    ok_now = report(
        f"who is on call now: 1,000 schedules ({layers:,} layers, {len(ZONES)} zones, {overrides:,} overrides), "
        f"{sum(a is not None for a in fast_answers)} with someone on",
        fast, naive, len(schedules), "schedule", TARGET_NOW_MS, f"{same_now}/{len(schedules)}",
    )
    ok_now = ok_now and same_now == len(schedules)
    now_ms = fast.p50

    busy = busy_schedule()
    year = final_shifts(busy, *YEAR)
    same_year = year == naive_final_shifts(busy, *YEAR)
    fast = measure(lambda: final_shifts(busy, *YEAR), args.reps)
    naive = measure(lambda: naive_final_shifts(busy, *YEAR), args.baseline_reps, BASELINE_BUDGET_S)
    print()
    ok_year = report(
        f"one year of final shifts: 3 layers (weekly 24x7 since 2019, daily business hours since 2021, "
        f"12 h weekends since 2023) + 100 overrides, Europe/Stockholm -> {len(year):,} shifts",
        fast, naive, len(year), "shift", TARGET_YEAR_MS, "yes" if same_year else "NO",
    )
    ok_year = ok_year and same_year

    verdict = "PASS" if ok_now and ok_year else "MISS"
    print(
        f"\nRESULT oncall_now_ms={now_ms:.2f} year_ms={fast.p50:.2f} "
        f"elapsed_s={time.perf_counter() - began:.1f} target={verdict}"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
