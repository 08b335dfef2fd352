#!/usr/bin/env python3
"""Messages: what rendering a template costs, per purpose and channel (issue 16).

Against an in-process SQLite database with the PRIA example applied and `--incidents` declared
incidents (each with a commander, a service and a status update), it times:

- `render.for_incident`: the whole cost a sender pays per message (reading the incident's context
  from the database, then rendering every part in the sandbox, then the channel's limits);
- `render.render` alone on a prepared context (the template work without the reads);
- baseline, same process: the channels' own hard-coded wording of a page (email subject/text/HTML,
  SMS, Slack DM blocks), which is what a page cost before templates.

    .venv/bin/python bench/messages.py                 # 50 incidents, 2,000 renders per row
    .venv/bin/python bench/messages.py --renders 500
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from firebell.auth.service import actor_for  # noqa: E402
from firebell.config import apply, load  # noqa: E402
from firebell.core.access import AccessRole  # noqa: E402
from firebell.effects import DomainEffects  # noqa: E402
from firebell.incidents import service  # noqa: E402
from firebell.incidents.models import Incident  # noqa: E402
from firebell.incidents.service import Declaration  # noqa: E402
from firebell.messages import catalogue, context, render  # noqa: E402
from firebell.notify.channels.base import Links, Message  # noqa: E402
from firebell.notify.channels.email import html_body, plain_text_body, subject_line  # noqa: E402
from firebell.notify.channels.phone import sms_text  # noqa: E402
from firebell.notify.channels.slack_dm import page_message  # noqa: E402
from firebell.org.models import User  # noqa: E402
from firebell.store.db import make_engine  # noqa: E402
from firebell.store.migrate import upgrade  # noqa: E402
from firebell.store.uow import Database  # noqa: E402

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def per_call_us(fn: Callable[[], object], n: int) -> tuple[float, float]:
    """Median and p99 microseconds of `n` calls."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=50)
    parser.add_argument("--renders", type=int, default=2000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="firebell-messages-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine)
    result = load(ROOT / "examples" / "pria")
    assert result.config is not None, result.errors
    with db.unit_of_work() as session:
        apply(session, result.config, now=NOW)
    refs = []
    with db.unit_of_work() as session:
        per = session.query(User).filter(User.name == "per-swedenborg").one()
        admin = actor_for(per, AccessRole.ADMIN, "cli")
        for i in range(args.incidents):
            incident = service.declare(session, admin, Declaration(
                title=f"API error rate above 5 % on shard {i}", severity="P1", services=["api"],
                summary="Customers see 502s"), NOW - timedelta(minutes=40), effects=DomainEffects())
            service.assign_role(session, admin, incident.ref, "commander", "per-swedenborg",
                                NOW - timedelta(minutes=39))
            service.post_update(session, admin, incident.ref, service.Update(
                status="identified", known="a bad deploy", doing="Rolling back the deploy."),
                NOW - timedelta(minutes=20), effects=DomainEffects())
            refs.append(incident.ref)
    print(f"{args.incidents} incidents, {args.renders} renders per row; microseconds per message (median / p99)")
    print(f"{'purpose':<22}{'channel':<13}{'for_incident':>22}{'render only':>20}")
    with db.unit_of_work(write=False) as session:
        rows = list(session.query(Incident).filter(Incident.number.in_([int(r[4:]) for r in refs])))
        picked = iter(range(10**9))
        for purpose in catalogue.PURPOSES.values():
            for channel in purpose.channels:
                def whole(purpose: str = purpose.name, channel: str = channel) -> object:
                    incident = rows[next(picked) % len(rows)]
                    return render.for_incident(session, purpose, channel, incident, NOW,
                                               public_url="https://firebell.example")
                values = context.build(session, purpose.name, rows[0], NOW, public_url="https://firebell.example")
                whole_median, whole_p99 = per_call_us(whole, args.renders)
                only_median, only_p99 = per_call_us(
                    lambda p=purpose.name, c=channel, v=values: render.render(p, c, v), args.renders)
                print(f"{purpose.name:<22}{channel:<13}{whole_median:>10.0f} / {whole_p99:>7.0f}"
                      f"{only_median:>10.0f} / {only_p99:>6.0f}")
    message = Message(idempotency_key="k", kind="page", incident_ref="INC-1", title="API error rate above 5 %",
                      severity="P1", summary="Customers see 502s\nWhy you: level 1 of pria-p1", recipient="x",
                      links=Links(acknowledge="https://f.example/act/a", resolve="https://f.example/act/r",
                                  incident="https://f.example/incidents/INC-1"))
    print("baseline: the channels' own wording of a page, no template, no reads")
    for name, fn in (("email", lambda: (subject_line(message), plain_text_body(message), html_body(message))),
                     ("sms", lambda: sms_text(message)), ("slack", lambda: page_message(message))):
        median, p99 = per_call_us(fn, args.renders)
        print(f"{'page (hard-coded)':<22}{name:<13}{median:>10.0f} / {p99:>7.0f}")


if __name__ == "__main__":
    main()
