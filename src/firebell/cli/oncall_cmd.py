"""`firebell oncall`, `firebell schedule list|show|feed`, `firebell override add|list|cancel|swap`: on-call
from the terminal. Times are printed in the schedule's zone, named."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from firebell.cli import render
from firebell.cli.client import Client

schedule_app = typer.Typer(help="On-call schedules.", no_args_is_help=True)
override_app = typer.Typer(help="Overrides: put someone on call for an interval.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _local(value: str | None, zone: str) -> str:
    if not value:
        return "-"
    return datetime.fromisoformat(value).astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


def oncall(schedule: Annotated[str | None, typer.Option("--schedule", "-s")] = None,
           at: Annotated[str | None, typer.Option(help="An ISO time with offset; default now")] = None,
           as_json: JsonOpt = False) -> None:
    """Who is on call now (or at --at), and who is next."""
    rows = Client.from_env().get("/api/v1/oncall", schedule=schedule, at=at)
    if as_json:
        render.print_json(rows)
        return
    table = Table(header_style="bold")
    for column in ("Schedule", "On call", "Next", "From"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["name"], r["on_call"] or "[red]nobody[/red]", r["next_user"] or "-",
                      _local(r["next_at"], r["timezone"]))
    render.out.print(table)


@schedule_app.command("list")
def schedule_list(at: Annotated[str | None, typer.Option(help="An ISO time with offset; default now")] = None,
                  as_json: JsonOpt = False) -> None:
    """Every schedule, its team and zone, who is on call now (or at --at) and who is next."""
    rows = Client.from_env().get("/api/v1/schedules", at=at)
    if as_json:
        render.print_json(rows)
        return
    table = Table(header_style="bold")
    for column in ("Schedule", "Team", "Zone", "On call", "Next", "From"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["name"], r["team"] or "-", r["timezone"], r["on_call"] or "[red]nobody[/red]",
                      r["next_user"] or "-", _local(r["next_at"], r["timezone"]))
    render.out.print(table if rows else "No schedules.")


@schedule_app.command("show")
def show(name: str, days: Annotated[int, typer.Option(min=1, max=366)] = 14, as_json: JsonOpt = False) -> None:
    """The final shifts of the next DAYS days, in the schedule's zone, with coverage gaps."""
    data: dict[str, Any] = Client.from_env().get(f"/api/v1/schedules/{name}", days=days)
    if as_json:
        render.print_json(data)
        return
    zone = data["timezone"]
    table = Table(title=f"{data['title'] or data['name']} ({zone})", header_style="bold")
    for column in ("From", "To", "On call", "Layer"):
        table.add_column(column)
    rows = [(s["start"], s["end"], s["user"], s["source"]) for s in data["shifts"]]
    rows += [(g["start"], g["end"], "[red]nobody (gap)[/red]", "") for g in data["gaps"]]
    for start, end, who, source in sorted(rows):
        table.add_row(_local(start, zone), _local(end, zone), who, source)
    render.out.print(table)
    if data["gaps"]:
        render.out.print(f"[red]{len(data['gaps'])} coverage gap(s) in the next {days} days[/red]")


RotateOpt = Annotated[bool, typer.Option("--rotate", help="Revoke the current URL (a leaked one) and print a new one")]


def print_feed(client: Client, path: str, rotate: bool) -> None:
    """Print a calendar feed's secret URL (after revoking the old one with --rotate)."""
    found = client.post(f"{path}/rotate") if rotate else client.get(path)
    if rotate:
        render.out.print("The previous URL no longer works; calendars subscribed to it need this one:")
    render.out.print(client.url + found["url"], highlight=False, soft_wrap=True)


@schedule_app.command("feed")
def feed(name: str, rotate: RotateOpt = False) -> None:
    """The schedule's secret iCalendar URL, to subscribe to in a calendar app."""
    print_feed(Client.from_env(), f"/api/v1/schedules/{name}/feed", rotate)


@override_app.command("add")
def override_add(schedule: Annotated[str, typer.Option("--schedule", "-s")],
                 user: Annotated[str, typer.Option("--user", "-u")],
                 start: Annotated[str, typer.Option("--from", help="ISO time with offset")],
                 end: Annotated[str, typer.Option("--to", help="ISO time with offset")],
                 reason: Annotated[str, typer.Option("--reason", "-m")] = "", as_json: JsonOpt = False) -> None:
    """Put USER on call over SCHEDULE from --from to --to (holiday cover, "take my shift")."""
    row = Client.from_env().post(f"/api/v1/schedules/{schedule}/overrides",
                                 {"user": user, "start": start, "end": end, "reason": reason})
    if as_json:
        render.print_json(row)
        return
    render.out.print(f"{row['user']} is on call for {schedule} from {row['start']} to {row['end']}")


def _zone(client: Client, schedule: str) -> str:
    return str(client.get(f"/api/v1/schedules/{schedule}", days=1)["timezone"])


def _override_rows(rows: list[dict[str, Any]], zone: str, title: str) -> Table:
    table = Table(title=title, header_style="bold")
    for column in ("Id", "On call", "From", "To", "Reason", "By", "Note"):
        table.add_column(column, overflow="fold")
    for r in rows:
        note = "swap" if r["swap_id"] else ""
        if r["cancelled_at"]:
            note = f"cancelled {_local(r['cancelled_at'], zone)}"
        table.add_row(r["id"], r["user"], _local(r["start"], zone), _local(r["end"], zone), r["reason"],
                      r["created_by"], note)
    return table


@override_app.command("list")
def override_list(schedule: Annotated[str, typer.Option("--schedule", "-s")],
                  start: Annotated[str | None, typer.Option("--from", help="ISO time with offset; default now")] = None,
                  end: Annotated[str | None, typer.Option("--to", help="ISO time with offset; default no end")] = None,
                  include_cancelled: Annotated[bool, typer.Option("--all", help="Also cancelled ones")] = False,
                  as_json: JsonOpt = False) -> None:
    """The overrides of SCHEDULE in effect from --from (default now) to --to."""
    client = Client.from_env()
    rows = client.get(f"/api/v1/schedules/{schedule}/overrides", start=start, end=end,
                      include_cancelled="true" if include_cancelled else None)
    if as_json:
        render.print_json(rows)
        return
    if not rows:
        render.out.print(f"No overrides on {schedule} in that window.")
        return
    zone = _zone(client, schedule)
    render.out.print(_override_rows(rows, zone, f"Overrides of {schedule} ({zone})"))


@override_app.command("cancel")
def override_cancel(override_id: Annotated[str, typer.Argument(metavar="ID")],
                    schedule: Annotated[str, typer.Option("--schedule", "-s")], as_json: JsonOpt = False) -> None:
    """Cancel an override from now on (both halves, if it is half of a swap)."""
    client = Client.from_env()
    rows = client.post(f"/api/v1/schedules/{schedule}/overrides/{override_id}/cancel")
    if as_json:
        render.print_json(rows)
        return
    zone = _zone(client, schedule)
    for r in rows:
        render.out.print(f"Cancelled: {r['user']} on {schedule} from {_local(r['start'], zone)} "
                         f"to {_local(r['end'], zone)}")


ShiftOpt = Annotated[tuple[str, str, str], typer.Option(metavar="USER FROM TO",
                                                        help="A person and their shift (ISO times with offset)")]


@override_app.command("swap")
def override_swap(schedule: Annotated[str, typer.Option("--schedule", "-s")], first: ShiftOpt,
                  second: ShiftOpt, reason: Annotated[str, typer.Option("--reason", "-m")] = "",
                  as_json: JsonOpt = False) -> None:
    """Two people trade shifts: --first's person takes --second's shift and the other way round.
    Refused unless each shift is wholly its person's."""
    client = Client.from_env()
    body = {"first": dict(zip(("user", "start", "end"), first, strict=True)),
            "second": dict(zip(("user", "start", "end"), second, strict=True)), "reason": reason}
    made = client.post(f"/api/v1/schedules/{schedule}/swaps", body)
    if as_json:
        render.print_json(made)
        return
    zone = _zone(client, schedule)
    render.out.print(_override_rows(made["overrides"], zone, f"Swapped on {schedule} ({zone})"))
