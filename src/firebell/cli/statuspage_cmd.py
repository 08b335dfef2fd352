"""`firebell statuspage component set|list`, `statuspage incident open|update|resolve`, `statuspage
maintenance schedule|reschedule`: the comms lead's status page, through the API (/api/v1/status-page); and
`statuspage export DIR`, an admin command on the database itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from firebell.cli import render
from firebell.cli.admin import DbUrl, open_database
from firebell.cli.client import Client, fail

_BASE = "/api/v1/status-page"
app = typer.Typer(help="The public status page: components, public incidents, maintenance.", no_args_is_help=True)
component_app = typer.Typer(help="Components of the page.", no_args_is_help=True)
incident_app = typer.Typer(help="Public incidents (their own name and words; never an internal title).",
                           no_args_is_help=True)
maintenance_app = typer.Typer(help="Scheduled maintenance.", no_args_is_help=True)
app.add_typer(component_app, name="component")
app.add_typer(incident_app, name="incident")
app.add_typer(maintenance_app, name="maintenance")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of text.")]
Components = Annotated[list[str] | None, typer.Option(
    "--component", "-c", help="NAME=STATUS, such as API=partial_outage (repeatable)")]
Body = Annotated[str, typer.Option(help="The words the public reads")]


def _statuses(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        name, sep, status = pair.rpartition("=")
        if not sep or not name:
            fail(f"--component {pair!r}: write NAME=STATUS, such as API=partial_outage")
        out[name] = status
    return out


def _say(text: str) -> None:
    render.out.print(text, highlight=False, soft_wrap=True, markup=False)


def _print(incident: dict[str, Any], as_json: bool) -> None:
    if as_json:
        render.print_json(incident)
        return
    draft = " (draft)" if incident.get("draft") else ""
    _say(f"{incident['id']} {incident['name']}: {incident['status']}, impact {incident['impact']}{draft}")
    for update in incident["incident_updates"][:1]:
        _say(f"  latest: {update['status']}: {update['body'] or '-'}")
    for component in incident["components"]:
        _say(f"  {component['name']}: {component['status']}")
    if incident.get("proposed_resolution"):  # `incident resolve ID` without --body publishes these words
        _say(f"  proposed resolved update: {incident['proposed_resolution']['body']}")


@component_app.command("list")
def list_components(as_json: JsonOpt = False) -> None:
    """Every component and group, with its status."""
    found = Client.from_env().get(f"{_BASE}/components")
    if as_json:
        render.print_json(found)
        return
    for component in found:
        indent = "  " if component["group_id"] else ""
        _say(f"{indent}{component['name']}: {component['status']}")


@component_app.command("set")
def set_component(name: Annotated[str, typer.Argument(help="Component name or id")],
                  status: Annotated[str, typer.Argument(help="operational, degraded_performance, partial_outage, "
                                                                 "major_outage or under_maintenance")],
                  as_json: JsonOpt = False) -> None:
    """Set a component's status by hand."""
    found = Client.from_env().request("PUT", f"{_BASE}/components/{name}", json_body={"status": status})
    render.print_json(found) if as_json else _say(f"{found['name']}: {found['status']}")


@incident_app.command("open")
def open_incident(name: Annotated[str, typer.Argument(help="The public name")], body: Body = "",
                  status: Annotated[str, typer.Option()] = "investigating", components: Components = None,
                  incident: Annotated[list[str] | None, typer.Option(
                      "--incident", "-i", help="Internal incident it speaks for, such as INC-7 (repeatable)")] = None,
                  draft: Annotated[bool, typer.Option(help="Wait for publishing")] = False,
                  as_json: JsonOpt = False) -> None:
    """Open a public incident."""
    _print(Client.from_env().post(f"{_BASE}/incidents", {
        "name": name, "body": body, "status": status, "components": _statuses(components),
        "incidents": incident or [], "draft": draft}), as_json)


@incident_app.command("update")
def update_incident(public_id: Annotated[str, typer.Argument(help="The public incident's id")],
                    status: Annotated[str, typer.Option(help="investigating, identified, monitoring, resolved")],
                    body: Body = "", components: Components = None,
                    publish: Annotated[bool, typer.Option(help="Publish a draft")] = False,
                    as_json: JsonOpt = False) -> None:
    """Post an update."""
    _print(Client.from_env().post(f"{_BASE}/incidents/{public_id}/updates", {
        "status": status, "body": body, "components": _statuses(components), "publish": publish}), as_json)


@incident_app.command("resolve")
def resolve_incident(public_id: Annotated[str, typer.Argument(help="The public incident's id")], body: Body = "",
                     as_json: JsonOpt = False) -> None:
    """Resolve: its components go back to operational. Without --body, the proposed resolved words."""
    _print(Client.from_env().post(f"{_BASE}/incidents/{public_id}/resolve", {"body": body}), as_json)


@maintenance_app.command("schedule")
def schedule(name: Annotated[str, typer.Argument(help="The public name")],
             start: Annotated[str, typer.Option(help="ISO 8601 with an offset, such as 2026-12-10T22:00:00+01:00")],
             end: Annotated[str, typer.Option(help="ISO 8601 with an offset")], body: Body = "",
             component: Annotated[list[str] | None, typer.Option("--component", "-c", help="Component (repeatable)")]
             = None, as_json: JsonOpt = False) -> None:
    """Announce a maintenance; it starts and completes on its own, setting its components under maintenance."""
    _print(Client.from_env().post(f"{_BASE}/maintenances", {
        "name": name, "body": body, "scheduled_for": start, "scheduled_until": end,
        "components": component or []}), as_json)


@maintenance_app.command("reschedule")
def reschedule(public_id: Annotated[str, typer.Argument(help="The maintenance's id")],
               start: Annotated[str, typer.Option(help="ISO 8601 with an offset")],
               end: Annotated[str, typer.Option(help="ISO 8601 with an offset")], body: Body = "",
               as_json: JsonOpt = False) -> None:
    """Move its window; the services' alert maintenance windows move with it."""
    _print(Client.from_env().post(f"{_BASE}/maintenances/{public_id}/reschedule", {
        "scheduled_for": start, "scheduled_until": end, "body": body}), as_json)


@app.command("export")
def export(directory: Annotated[Path, typer.Argument(help="Where to write the site (created if missing)")],
           database_url: DbUrl = None) -> None:
    """Write the public site (pages, feeds, v2 JSON) into DIRECTORY now, as the server does after every
    change when status_page.export_dir is set. An admin command: it reads the database directly."""
    from datetime import UTC, datetime

    from firebell.statuspage.live import export_once, site_of

    db = open_database(database_url)
    try:
        site = site_of(db.engine)
        if site.build(datetime.now(UTC)) is None:
            fail("there is no status page; add a status_page: section to the configuration")
        changed = export_once(site, directory, datetime.now(UTC))
    finally:
        db.dispose()
    _say(f"exported the status page into {directory} ({changed} files changed)")
