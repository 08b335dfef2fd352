"""bench/storm.py's figures: the per-window table, the database's size, the targets with PASS/MISS."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

from openloop import Lane, pct_ms

# Targets of issue 13.
BIG_ANSWER_S = 5.0  # the big message answered within this
BIG_HEALTH_P99_MS = 100.0  # /healthz p99 while it is taken
INGEST_P99_MS = 250.0  # every window of the sustained mix
HEALTH_P99_MS = 50.0
GROWTH = 1.5  # last minute's ingest p99 at most this times the first minute's
LEGITIMATE_REFUSALS = (400, 413)  # a cap on alerts per message is an answer, not a failure
EXPECTED = {"ingest": 202, "list": 200, "healthz": 200}


def database_size(url: str) -> dict[str, float | None]:
    """Megabytes (10^6 bytes) of the database and its write-ahead log: SQLite's file and its -wal
    file; PostgreSQL's pg_database_size and the files in pg_wal (None without the right to list them)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.pool import NullPool

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        wal = path.with_name(path.name + "-wal")
        return {"db_mb": path.stat().st_size / 1e6 if path.exists() else None,
                "wal_mb": wal.stat().st_size / 1e6 if wal.exists() else 0.0}
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            sizes: dict[str, float | None] = {
                "db_mb": float(conn.scalar(text("SELECT pg_database_size(current_database())")) or 0) / 1e6}
            try:
                wal = conn.scalar(text("SELECT coalesce(sum(size), 0) FROM pg_ls_waldir()"))
                sizes["wal_mb"] = float(wal or 0) / 1e6
            except DBAPIError:
                sizes["wal_mb"] = None
            return sizes
    finally:
        engine.dispose()


def fmt_size(sizes: dict[str, float | None]) -> str:
    return ", ".join(f"{name[:-3]} {'?' if mb is None else f'{mb:.1f}'} MB" for name, mb in sizes.items())


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def _counts(counter: dict[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(counter.items())) or "-"


def print_windows(windows: list[dict[str, Any]], baseline: dict[str, Any]) -> None:
    print(f"\n  {'window':>10} | {'ingest n':>8} {'p50':>6} {'p99':>7} | {'list n':>6} {'p50':>6} {'p99':>7} | "
          f"{'health p50':>10} {'p99':>6} | {'unsent':>6} {'late':>5} | {'CPU %':>5} {'RSS MB':>7} | answers")
    for w in windows:
        i, li, h = w["ingest"], w["list"], w["health"]
        answers: Counter[str] = Counter()
        for part in (i, li, h):
            answers.update(part["statuses"])
        print(f"  {w['start']:>4.0f}-{w['end']:>3.0f} s | {i['n']:>8} {_ms(i['p50_ms']):>6} {_ms(i['p99_ms']):>7} | "
              f"{li['n']:>6} {_ms(li['p50_ms']):>6} {_ms(li['p99_ms']):>7} | "
              f"{_ms(h['p50_ms']):>10} {_ms(h['p99_ms']):>6} | "
              f"{i['unsent'] + li['unsent'] + h['unsent']:>6} {i['late'] + li['late'] + h['late']:>5} | "
              f"{w['server_cpu_pct']:>5.0f} {w['rss_mb']:>7.1f} | {_counts(dict(answers))}")
    machine = " ".join(f"{w['machine_cpu_pct']:.0f}" for w in windows)
    print(f"  (ms; idle /healthz baseline p50 {_ms(baseline['p50_ms'])}, p99 {_ms(baseline['p99_ms'])}; CPU % of one "
          f"core for the server; the whole machine's CPU per window, % of one core: {machine})")


def sustained_verdicts(result: dict[str, Any], duration: float, window_s: float) -> dict[str, Any]:
    """The sustained mix against its targets: every window's p99s, and the first minute against the
    last (half the run each when it is shorter than two minutes)."""
    windows = result["windows"]
    ingest: Lane = result["ingest"]
    span = min(60.0, max(window_s, window_s * (len(windows) // 2)))
    first = pct_ms(ingest.latencies(0.0, span), 99)
    last = pct_ms(ingest.latencies(max(0.0, duration - span), duration), 99)
    worst_ingest = max(windows, key=lambda w: _nan_high(w["ingest"]["p99_ms"]), default=None)
    worst_health = max(windows, key=lambda w: _nan_high(w["health"]["p99_ms"]), default=None)
    unexpected: Counter[str] = Counter()
    unsent = late = 0
    for name in ("ingest", "list", "health"):
        lane: Lane = result[name]
        unsent += lane.unsent()
        late += lane.late()
        ok = EXPECTED[lane.name]
        unexpected.update({f"{lane.name} {k}": v for k, v in lane.statuses().items() if k != ok})
    return {
        "span_s": span,
        "ingest_p99_first_ms": first,
        "ingest_p99_last_ms": last,
        "growth": last / first if first > 0 else float("nan"),
        "ingest_p99_worst_ms": worst_ingest["ingest"]["p99_ms"] if worst_ingest else float("nan"),
        "ingest_p99_worst_window": worst_ingest["start"] if worst_ingest else None,
        "health_p99_worst_ms": worst_health["health"]["p99_ms"] if worst_health else float("nan"),
        "health_p99_worst_window": worst_health["start"] if worst_health else None,
        "unsent": unsent,
        "late": late,
        "unexpected": dict(unexpected),
    }


def _nan_high(value: float) -> float:
    return math.inf if math.isnan(value) else value


def _below(value: float, limit: float) -> bool:
    return not math.isnan(value) and value < limit


def print_targets(figures: dict[str, Any], big_alerts: int) -> dict[str, str]:
    """Print each target with PASS or MISS, and the RESULT line; return {target: PASS|MISS}."""
    verdicts: dict[str, str] = {}
    lines = []

    def judge(key: str, label: str, ok: bool, shown: str) -> None:
        verdicts[key] = "PASS" if ok else "MISS"
        lines.append(f"  {label}: {shown}  {verdicts[key]}")

    big = figures.get("big")
    if big is not None:
        status, seconds, health = big["status"], big["seconds"], big["health"]
        legit = status == 202 or status in LEGITIMATE_REFUSALS
        refused = " (refused by a cap: a legitimate answer)" if status in LEGITIMATE_REFUSALS else ""
        judge("big_answer", f"[A] the {big_alerts:,}-alert message answered in < {BIG_ANSWER_S:.0f} s",
              legit and seconds < BIG_ANSWER_S,
              f"{status} after {seconds:.2f} s{refused}" if status != "timeout" else
              f"no answer after {seconds:.0f} s (gave up)")
        judge("big_health", f"[A] /healthz p99 < {BIG_HEALTH_P99_MS:.0f} ms meanwhile",
              _below(health["p99_ms"], BIG_HEALTH_P99_MS) and health["unsent"] == 0,
              f"p99 {_ms(health['p99_ms'])} ms, max {_ms(health['max_ms'])} ms, {health['n']} sent, "
              f"{health['timeouts']} timed out, {health['unsent']} not sent (in-flight cap)")
    s = figures.get("sustained")
    if s is not None:
        judge("ingest_p99", f"[B] ingest p99 < {INGEST_P99_MS:.0f} ms in every window",
              _below(s["ingest_p99_worst_ms"], INGEST_P99_MS),
              f"worst {_ms(s['ingest_p99_worst_ms'])} ms (window from {s['ingest_p99_worst_window']} s)")
        judge("health_p99", f"[B] /healthz p99 < {HEALTH_P99_MS:.0f} ms in every window",
              _below(s["health_p99_worst_ms"], HEALTH_P99_MS),
              f"worst {_ms(s['health_p99_worst_ms'])} ms (window from {s['health_p99_worst_window']} s)")
        judge("growth", f"[B] last {s['span_s']:.0f} s ingest p99 <= {GROWTH} x the first {s['span_s']:.0f} s",
              not math.isnan(s["growth"]) and s["growth"] <= GROWTH,
              f"{_ms(s['ingest_p99_last_ms'])} ms against {_ms(s['ingest_p99_first_ms'])} ms ({s['growth']:.2f}x)")
        judge("clean", "[B] every request sent on time and answered as expected",
              s["unsent"] == 0 and not s["unexpected"],
              f"{s['unsent']} unsent, unexpected answers: {_counts(s['unexpected'])}"
              + (f" ({s['late']} sent over 10 ms late: the load generator was behind)" if s["late"] else ""))
    print("\nTargets (issue 13):")
    print("\n".join(lines))
    overall = "PASS" if all(v == "PASS" for v in verdicts.values()) else "MISS"
    parts = [f"db={figures['db']}"]
    if big is not None:
        parts += [f"big_status={big['status']}", f"big_s={big['seconds']:.2f}",
                  f"big_health_p99_ms={_ms(big['health']['p99_ms'])}"]
    if s is not None:
        parts += [f"ingest_p99_worst_ms={_ms(s['ingest_p99_worst_ms'])}",
                  f"health_p99_worst_ms={_ms(s['health_p99_worst_ms'])}", f"growth={s['growth']:.2f}",
                  f"unsent={s['unsent']}"]
    print("\nRESULT " + " ".join([*parts, f"target={overall}"]), flush=True)
    return verdicts
