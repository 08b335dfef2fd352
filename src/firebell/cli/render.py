"""Rich rendering of incidents for people; `--json` output bypasses all of this."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from firebell.core.durations import humanize

out = Console()

_STATUS_STYLE = {"triggered": "bold red", "acknowledged": "yellow", "resolved": "green"}
_SEV_STYLE = {"P1": "bold white on red", "P2": "bold red", "P3": "yellow", "P4": "dim"}


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _when(value: str | None) -> str:
    at = _ts(value)
    return f"{at:%Y-%m-%d %H:%M:%S} UTC ({_age(value)})" if at else "-"


def _age(value: str | None) -> str:
    at = _ts(value)
    return humanize(datetime.now(UTC) - at) + " ago" if at else "-"


def _clock(d: dict[str, Any] | None) -> Text:
    if d is None:
        return Text("no target", style="dim")
    due = _ts(d["due_at"])
    left = d["time_left_seconds"]
    from datetime import timedelta

    when = due.strftime("%Y-%m-%d %H:%M UTC") if due else "?"
    if d["met_at"]:
        style = "red" if d["breached"] else "green"
        verdict = "late by " + humanize(timedelta(seconds=-left)) if d["breached"] else "met with " + humanize(
            timedelta(seconds=left)) + " to spare"
        return Text(f"{verdict} (due {when})", style=style)
    if d["breached"]:
        return Text(f"BREACHED {humanize(timedelta(seconds=-left))} ago (due {when})", style="bold red")
    return Text(f"{humanize(timedelta(seconds=left))} left (due {when})", style="yellow" if left < 300 else "")


def incident_table(items: list[dict[str, Any]]) -> None:
    table = Table(show_lines=False, header_style="bold")
    for col in ("Ref", "Sev", "Status", "Stage", "Title", "Services", "Commander", "Declared", "SLA"):
        table.add_column(col, overflow="fold")
    for i in items:
        sla = Text("breached", style="bold red") if i["sla"]["breached"] else Text("ok", style="green")
        table.add_row(
            i["ref"] + (" (private)" if i["private"] else ""),
            Text(i["severity"], style=_SEV_STYLE.get(i["severity"], "")),
            Text(i["status"], style=_STATUS_STYLE.get(i["status"], "")),
            i["stage"], i["title"], ", ".join(i["services"]), i["roles"].get("commander", "-"),
            _age(i["declared_at"]), sla,
        )
    if not items:
        out.print("No incidents match.")
        return
    out.print(table)


def incident_detail(i: dict[str, Any], events: list[dict[str, Any]] | None = None) -> None:
    out.print(Text.assemble((f"{i['ref']} ", "bold"), (i["severity"], _SEV_STYLE.get(i["severity"], "")),
                            "  ", (i["status"].upper(), _STATUS_STYLE.get(i["status"], "")), f"  {i['title']}"))
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    rows = [
        ("Stage", i["stage"]), ("Team", i["team"] or "-"), ("Services", ", ".join(i["services"]) or "-"),
        ("Roles", ", ".join(f"{k}: {v}" for k, v in i["roles"].items()) or "none assigned"),
        ("Responders", ", ".join(i["responders"]) or "-"), ("Tags", ", ".join(i["tags"]) or "-"),
        ("Private", "yes" if i["private"] else "no"), ("Declared", f"{_when(i['declared_at'])} by {i['declared_by']}"),
        ("Acknowledged", _when(i["acknowledged_at"])), ("Resolved", _when(i["resolved_at"])),
    ]
    if i["summary"]:
        rows.insert(0, ("Summary", i["summary"]))
    if i["impact"]:
        rows.insert(1, ("Impact", i["impact"]))
    for k, v in rows:
        facts.add_row(k, v)
    facts.add_row("Ack SLA", _clock(i["sla"]["acknowledge"]))
    facts.add_row("Recover SLA", _clock(i["sla"]["recover"]))
    updates = i.get("updates") or {}
    if updates.get("next_due") and i["status"] != "resolved":
        missed = f" ({updates['missed']} missed)" if updates.get("missed") else ""
        facts.add_row("Next update", f"due {updates['next_due'][11:16]} UTC{missed}")
    out.print(facts)
    if events is not None:
        timeline(events)


def timeline(events: list[dict[str, Any]]) -> None:
    """Each event as its sentence, at the reader's local time to the second."""
    zone = datetime.now().astimezone().tzname() or "local"
    table = Table(title="Timeline", header_style="bold", title_justify="left")
    for col in (f"When ({zone})", "Event", "By", "What"):
        table.add_column(col, overflow="fold")
    for e in events:
        when = _ts(e["occurred_at"])
        table.add_row(f"{when.astimezone():%Y-%m-%d %H:%M:%S}" if when else "", e["type"], e["actor"],
                      e.get("text") or e["type"])
    out.print(table)


def table(columns: list[str], rows: list[list[Any]]) -> None:
    """A plain table: bold header, long values folded, missing values as "-"."""
    shown = Table(header_style="bold")
    for column in columns:
        shown.add_column(column, overflow="fold")
    for row in rows:
        shown.add_row(*[str(c) if c is not None else "-" for c in row])
    out.print(shown)
