"""`firebell alerts|alert|maintenance|heartbeats|changes|integration`: the ingestion side."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from firebell.cli import render
from firebell.cli.admin import DbUrl, open_database
from firebell.cli.client import Client, fail

alerts_app = typer.Typer(help="Alerts received from monitoring.", no_args_is_help=True)
alert_app = typer.Typer(help="Send a test alert the way a monitoring tool would.", no_args_is_help=True)
maintenance_app = typer.Typer(help="Maintenance windows: alerts are recorded, nobody is paged.",
                              no_args_is_help=True)
heartbeats_app = typer.Typer(help="Heartbeat monitors.", no_args_is_help=True)
changes_app = typer.Typer(help="Change events (deploys, config changes).", no_args_is_help=True)
integration_app = typer.Typer(help="Integration keys (admin, talks to the database).", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


@alerts_app.command("list")
def alerts_list(status: Annotated[list[str] | None, typer.Option()] = None,
                service: Annotated[str | None, typer.Option()] = None,
                incident: Annotated[str | None, typer.Option()] = None,
                severity: Annotated[str | None, typer.Option()] = None,
                search: Annotated[str | None, typer.Option(help="Part of the summary or dedup key")] = None,
                limit: Annotated[int, typer.Option()] = 50, as_json: JsonOpt = False) -> None:
    """Alerts, most recently seen first."""
    alerts = Client.from_env().get("/api/v1/alerts", status=status or [], service=service, incident=incident,
                                   severity=severity, q=search, limit=limit)
    if as_json:
        render.print_json(alerts)
        return
    render.table(["Id", "Service", "Status", "Sev", "Summary", "Incident", "Events", "Last seen", "Held"],
                 [[a["id"][:8], a["service"], a["status"], a["severity"], a["summary"], a["incident"], a["event_count"],
                   a["last_seen_at"][:19], a["held_reason"]] for a in alerts])


@alerts_app.command("show")
def alerts_show(alert_id: str, as_json: JsonOpt = False) -> None:
    """One alert with its history (the id or its first 8 characters from `alerts list`)."""
    client = Client.from_env()
    if len(alert_id) < 36:
        matches = [a["id"] for a in client.get("/api/v1/alerts", limit=500) if a["id"].startswith(alert_id)]
        if len(matches) != 1:
            fail(f"{alert_id} matches {len(matches)} recent alerts; give the full id")
        alert_id = matches[0]
    alert = client.get(f"/api/v1/alerts/{alert_id}")
    if as_json:
        render.print_json(alert)
        return
    for key in ("summary", "service", "status", "severity", "source_severity", "source", "dedup_key", "group_key",
                "incident", "held_reason", "event_count", "first_seen_at", "last_seen_at"):
        render.out.print(f"[bold]{key:16}[/] {alert[key]}", highlight=False)
    render.out.print(f"[bold]{'labels':16}[/] " + ", ".join(f"{k}={v}" for k, v in alert["labels"].items()),
                     highlight=False)
    render.table(["Received", "Action", "Outcome"], [[h["received_at"][:19], h["action"], h["outcome"]]
                                                     for h in alert["history"]])


@alerts_app.command("explain")
def alerts_explain(file: Annotated[Path, typer.Argument(help="A payload as the tool sends it (JSON); - for stdin")],
                   service: Annotated[str | None, typer.Option(help="Service whose integration receives it")] = None,
                   format_: Annotated[str | None, typer.Option("--format", help="Force the format")] = None,
                   as_json: JsonOpt = False) -> None:
    """What Firebell would do with a payload, without storing anything."""
    try:
        text = typer.get_text_stream("stdin").read() if str(file) == "-" else file.read_text()
        payload = json.loads(text)
    except (OSError, ValueError) as exc:
        fail(f"cannot read a JSON payload from {file}: {exc}")
    result = Client.from_env().post("/api/v1/alerts/explain", {"payload": payload, "service": service,
                                                               "format": format_})
    if as_json:
        render.print_json(result)
        return
    render.out.print(f"Format: [bold]{result['format']}[/], received by {result['service']}/{result['integration']}")
    for o in result["outcomes"]:
        render.out.print(f"\n[bold]{o['action']} {o['dedup_key']}[/] -> service {o['service']}, severity "
                         f"{o['severity']}, group {o['group_key']!r}", highlight=False)
        render.out.print(f"  alert: {o['alert_op']}; incident: {o['incident_op']}"
                         + (f" ({o['incident']})" if o["incident"] else ""), highlight=False)
        for line in o["routing"] + o["reasons"]:
            render.out.print(f"  - {line}", highlight=False)


@alert_app.command("send")
def alert_send(
    key: Annotated[str, typer.Option("--key", "-k", envvar="FIREBELL_INTEGRATION_KEY",
                                     help="The service's PagerDuty-compatible integration key")],
    summary: Annotated[str, typer.Option("--summary", "-s")] = "Test alert from firebell alert send",
    severity: Annotated[str, typer.Option(help="critical, error, warning or info")] = "critical",
    dedup_key: Annotated[str | None, typer.Option(help="Reuse to update or resolve the same alert")] = None,
    action: Annotated[str, typer.Option(help="trigger, acknowledge or resolve")] = "trigger",
    source: Annotated[str, typer.Option()] = "firebell-cli",
) -> None:
    """Send an event to /v2/enqueue exactly as a monitoring tool would."""
    client = Client.from_env()
    body: dict[str, Any] = {"routing_key": key, "event_action": action, "dedup_key": dedup_key or uuid.uuid4().hex}
    if action == "trigger":
        body["payload"] = {"summary": summary, "source": source, "severity": severity,
                           "timestamp": datetime.now(UTC).isoformat()}
    try:
        response = httpx.post(client.url + "/v2/enqueue", json=body, timeout=30)
    except httpx.HTTPError as exc:
        fail(f"cannot reach Firebell at {client.url}: {exc}", code=3)
    answer = response.json() if response.content else {}
    if response.status_code != 202:
        errors = "; ".join(answer.get("errors") or []) or answer.get("message") or answer.get("status", "")
        fail(f"{errors} (HTTP {response.status_code})")
    render.out.print(f"{action} accepted, dedup key {answer['dedup_key']}")


@maintenance_app.command("start")
def maintenance_start(service: Annotated[str, typer.Option()],
                      for_: Annotated[str, typer.Option("--for", help="How long, e.g. 2h")],
                      reason: Annotated[str, typer.Option("--reason", "-m")] = "") -> None:
    """Start an ad hoc maintenance window now."""
    window = Client.from_env().post("/api/v1/maintenance", {"service": service, "duration": for_, "reason": reason})
    render.out.print(f"{window['service']} in maintenance until {window['ends_at'][:16]} UTC (id {window['id']})")


@maintenance_app.command("list")
def maintenance_list(include_past: Annotated[bool, typer.Option("--all")] = False, as_json: JsonOpt = False) -> None:
    """Current and upcoming windows."""
    windows = Client.from_env().get("/api/v1/maintenance", include_past=str(include_past).lower())
    if as_json:
        render.print_json(windows)
        return
    render.table(["Id", "Service", "From", "Until", "Active", "Origin", "Reason"],
                 [[w["id"][:8], w["service"], w["starts_at"][:16], w["ends_at"][:16], "yes" if w["active"] else "no",
                   w["origin"], w["name"] or w["reason"]] for w in windows])


@maintenance_app.command("end")
def maintenance_end(window_id: str) -> None:
    """End a window early (the id or its first 8 characters)."""
    client = Client.from_env()
    if len(window_id) < 36:
        matches = [w["id"] for w in client.get("/api/v1/maintenance") if w["id"].startswith(window_id)]
        if len(matches) != 1:
            fail(f"{window_id} matches {len(matches)} windows; give the full id")
        window_id = matches[0]
    window = client.post(f"/api/v1/maintenance/{window_id}/end")
    render.out.print(f"maintenance of {window['service']} ended")


@heartbeats_app.command("list")
def heartbeats_list(as_json: JsonOpt = False) -> None:
    """Heartbeat monitors: up, down or waiting for a first beat."""
    beats = Client.from_env().get("/api/v1/heartbeats")
    if as_json:
        render.print_json(beats)
        return
    render.table(["Service", "Heartbeat", "Status", "Every", "Grace", "Last beat", "Overdue at"],
                 [[b["service"], b["name"], b["status"], f"{b['interval_seconds']}s", f"{b['grace_seconds']}s",
                   (b["last_beat_at"] or "-")[:19], (b["overdue_at"] or "-")[:19]] for b in beats])


@changes_app.command("list")
def changes_list(service: Annotated[str | None, typer.Option()] = None,
                 since: Annotated[str | None, typer.Option(help="ISO 8601 instant")] = None,
                 as_json: JsonOpt = False) -> None:
    """Recent change events."""
    changes = Client.from_env().get("/api/v1/changes", service=service, since=since)
    if as_json:
        render.print_json(changes)
        return
    render.table(["When", "Service", "Summary", "Source"],
                 [[c["occurred_at"][:19], c["service"], c["summary"], c["source"]] for c in changes])


@integration_app.command("rotate-key")
def rotate_key(service: Annotated[str, typer.Option()], name: Annotated[str, typer.Option("--integration")],
               database_url: DbUrl = None) -> None:
    """Issue a new key for a generated-key integration; the old key stops working at once."""
    from firebell.alerts.keys_admin import rotate
    from firebell.errors import DecisionError

    db = open_database(database_url)
    try:
        with db.unit_of_work() as session:
            key = rotate(session, service, name, now=datetime.now(UTC))
    except DecisionError as exc:
        fail(exc.message)
    render.out.print(f"new key for {service}/{name} (shown once):")
    print(key)
