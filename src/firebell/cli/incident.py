"""`firebell incident ...`: a responder's commands, all through the API."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from firebell.cli import customer_email_cmd, render
from firebell.cli.client import Client

app = typer.Typer(help="Declare and work incidents.", no_args_is_help=True)
app.add_typer(customer_email_cmd.app, name="customer-email")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of tables.")]
Ref = Annotated[str, typer.Argument(help="Incident reference, e.g. INC-7")]


def _show(incident: dict[str, Any], as_json: bool, message: str | None = None) -> None:
    if as_json:
        render.print_json(incident)
    else:
        render.out.print(message or f"{incident['ref']} is {incident['status']}")


@app.command()
def declare(
    title: Annotated[str, typer.Argument(help="What is wrong, in a line")],
    severity: Annotated[str, typer.Option("--severity", "-s", help="P1..P4")],
    service: Annotated[list[str] | None, typer.Option("--service", help="Affected service (repeatable)")] = None,
    team: Annotated[str | None, typer.Option(help="Owning team, when no service is named")] = None,
    summary: Annotated[str, typer.Option(help="Longer description")] = "",
    impact: Annotated[str, typer.Option(help="Who or what is affected")] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag (repeatable)")] = None,
    private: Annotated[bool, typer.Option("--private", help="Only the team, admins and added people see it")] = False,
    commander: Annotated[str | None, typer.Option(help="User to make incident commander")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Declare an incident."""
    body = {"title": title, "severity": severity, "services": service or [], "team": team, "summary": summary,
            "impact": impact, "tags": tag or [], "private": private, "commander": commander}
    incident = Client.from_env().post("/api/v1/incidents", body)
    _show(incident, as_json, f"Declared {incident['ref']} ({incident['severity']}): {incident['title']}")


@app.command("list")
def list_(
    status: Annotated[list[str] | None, typer.Option(help="triggered, acknowledged, resolved")] = None,
    severity: Annotated[list[str] | None, typer.Option()] = None,
    service: Annotated[list[str] | None, typer.Option()] = None,
    team: Annotated[list[str] | None, typer.Option()] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601 instant, e.g. 2026-11-23T00:00:00Z")] = None,
    open_: Annotated[bool, typer.Option("--open", help="Only unresolved incidents")] = False,
    limit: Annotated[int, typer.Option(help="Page size")] = 50,
    cursor: Annotated[str | None, typer.Option(help="Continue from a previous page")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List incidents, newest first."""
    statuses = (status or []) + (["triggered", "acknowledged"] if open_ else [])
    page = Client.from_env().get("/api/v1/incidents", status=statuses, severity=severity or [],
                                 service=service or [], team=team or [], since=since, limit=limit, cursor=cursor)
    if as_json:
        render.print_json(page)
        return
    render.incident_table(page["items"])
    if page["next_cursor"]:
        render.out.print(f"More: firebell incident list --cursor {page['next_cursor']}", style="dim")


@app.command()
def show(ref: Ref, as_json: JsonOpt = False) -> None:
    """Show an incident with its SLA clock and timeline."""
    client = Client.from_env()
    incident = client.get(f"/api/v1/incidents/{ref}")
    timeline = client.get(f"/api/v1/incidents/{ref}/timeline")
    alerts = client.get("/api/v1/alerts", incident=incident["ref"])
    changes = client.get(f"/api/v1/incidents/{ref}/changes")
    if as_json:
        render.print_json({"incident": incident, "timeline": timeline["events"], "alerts": alerts,
                           "changes": changes})
        return
    render.incident_detail(incident, timeline["events"])
    if alerts:
        render.out.print(f"Alerts ({len(alerts)}):", style="bold")
        for a in alerts:
            render.out.print(f"  {a['status']:12} {a['severity']}  {a['summary']}  [{a['dedup_key'][:16]}]",
                             highlight=False)
    if changes:
        render.out.print("Changes in the 2 h before detection:", style="bold")
        for c in changes:
            render.out.print(f"  {c['occurred_at'][:16]}  {c['service']}: {c['summary']}", highlight=False)


@app.command()
def pages(ref: Ref, as_json: JsonOpt = False) -> None:
    """Who was paged for an incident, how, and why a pending page has not gone yet."""
    rows = Client.from_env().get(f"/api/v1/incidents/{ref}/pages")
    if as_json:
        render.print_json(rows)
        return
    render.table(["Made", "Who", "Channel", "State", "Why / detail"], [
        [p["created_at"][11:19], p["user"] or p["target"], f"{p['channel']} {p['address']}",
         p["state"] + (f" ({p['delivery_status']})" if p["delivery_status"] else ""),
         p["waiting_because"] or p["last_error"] or ("bundled" if p["bundle"] else "")] for p in rows])


@app.command("ack")
def acknowledge(ref: Ref, as_json: JsonOpt = False) -> None:
    """Acknowledge: you are on it."""
    incident = Client.from_env().post(f"/api/v1/incidents/{ref}/acknowledge")
    _show(incident, as_json, f"{incident['ref']} acknowledged")


@app.command()
def escalate(ref: Ref, level: Annotated[int | None, typer.Option("--level", "-l", min=1)] = None,
             help_needed: Annotated[str, typer.Option("--help-needed", help="What help you need")] = "",
             actions_taken: Annotated[str, typer.Option("--actions-taken", help="What was done so far")] = "",
             as_json: JsonOpt = False) -> None:
    """Page the next escalation level now (or --level N), even if acknowledged; the pages say what help is
    needed and what was done so far (default: the latest status update)."""
    incident = Client.from_env().post(f"/api/v1/incidents/{ref}/escalate", {
        "level": level, "help_needed": help_needed, "actions_taken": actions_taken})
    _show(incident, as_json, f"{incident['ref']} escalated" + (f" to level {level}" if level else ""))


@app.command()
def reassign(ref: Ref, user: Annotated[str | None, typer.Option("--user", "-u")] = None,
             policy: Annotated[str | None, typer.Option("--policy", "-p")] = None, as_json: JsonOpt = False) -> None:
    """Hand the incident to a person (--user) or another escalation policy (--policy); paged now."""
    incident = Client.from_env().post(f"/api/v1/incidents/{ref}/reassign", {"user": user, "policy": policy})
    _show(incident, as_json, f"{incident['ref']} reassigned to {user or policy}")


@app.command()
def resolve(ref: Ref, resolution: Annotated[str, typer.Option("--resolution", "-m")] = "",
            as_json: JsonOpt = False) -> None:
    """Resolve: the service is back."""
    incident = Client.from_env().post(f"/api/v1/incidents/{ref}/resolve", {"resolution": resolution})
    _show(incident, as_json, f"{incident['ref']} resolved")


@app.command()
def reopen(ref: Ref, reason: Annotated[str, typer.Option("--reason", "-m")] = "", as_json: JsonOpt = False) -> None:
    """Reopen a resolved incident."""
    incident = Client.from_env().post(f"/api/v1/incidents/{ref}/reopen", {"reason": reason})
    _show(incident, as_json, f"{incident['ref']} reopened")


@app.command()
def note(ref: Ref, text: Annotated[str, typer.Argument()], as_json: JsonOpt = False) -> None:
    """Add a note to the timeline."""
    incident = Client.from_env().post(f"/api/v1/incidents/{ref}/notes", {"text": text})
    _show(incident, as_json, f"Note added to {incident['ref']}")


_NEXT_HELP = ("When the next update comes: a wait such as 30m, or a time such as 2026-12-07T14:30Z "
              "(default: the severity's cadence)")


@app.command()
def update(ref: Ref, message: Annotated[str, typer.Argument(help="Free text")] = "",
           status: Annotated[str, typer.Option(
               help="Investigating, Identified, Monitoring or Resolved (default: the last update's)")] = "",
           known: Annotated[str, typer.Option(help="What we know")] = "",
           doing: Annotated[str, typer.Option(help="What we are doing")] = "",
           next_: Annotated[str, typer.Option("--next", help=_NEXT_HELP)] = "",
           as_json: JsonOpt = False) -> None:
    """Post a status update: on the timeline and to the stakeholder channels, lists and webhooks."""
    body: dict[str, str] = {"message": message, "status": status, "known": known, "doing": doing}
    if next_.strip():
        body["next_update_at" if any(c in next_ for c in ":T-") else "next_update_in"] = next_.strip()
    incident = Client.from_env().post(f"/api/v1/incidents/{ref}/updates", body)
    _show(incident, as_json, f"Update posted to {incident['ref']}")


@app.command()
def severity(ref: Ref, level: Annotated[str, typer.Argument(help="P1..P4")],
             reason: Annotated[str, typer.Option("--reason", "-r", help="Why (required)")],
             as_json: JsonOpt = False) -> None:
    """Change severity, with the reason on the timeline."""
    incident = Client.from_env().post(f"/api/v1/incidents/{ref}/severity", {"severity": level, "reason": reason})
    _show(incident, as_json, f"{incident['ref']} is now {incident['severity']}")


@app.command()
def stage(ref: Ref, name: Annotated[str, typer.Argument(help="e.g. contain")], as_json: JsonOpt = False) -> None:
    """Move the incident to a lifecycle stage."""
    incident = Client.from_env().post(f"/api/v1/incidents/{ref}/stage", {"stage": name})
    _show(incident, as_json, f"{incident['ref']} is in stage {incident['stage']}")


@app.command()
def role(ref: Ref, role_name: Annotated[str, typer.Argument(metavar="ROLE", help="e.g. commander")],
         user: Annotated[str | None, typer.Argument(help="User name; omit with --clear")] = None,
         clear: Annotated[bool, typer.Option("--clear", help="Remove whoever holds the role")] = False,
         as_json: JsonOpt = False) -> None:
    """Assign an incident role (commander, communications_lead, technical_lead...)."""
    if not clear and not user:
        render.out.print("give a USER, or --clear to remove the role holder")
        raise typer.Exit(2)
    incident = Client.from_env().post(f"/api/v1/incidents/{ref}/roles", {"role": role_name,
                                                                         "user": None if clear else user})
    holders = ", ".join(f"{k}: {v}" for k, v in incident["roles"].items()) or "none"
    _show(incident, as_json, f"{incident['ref']} roles: {holders}")


@app.command("add-responder")
def add_responder(ref: Ref, user: Annotated[str, typer.Option("--user", "-u")],
                  message: Annotated[str, typer.Option("--message", "-m")] = "", as_json: JsonOpt = False) -> None:
    """Add a person to the incident (they can then see it even if private)."""
    incident = Client.from_env().post(f"/api/v1/incidents/{ref}/responders", {"user": user, "message": message})
    _show(incident, as_json, f"{user} added to {incident['ref']}")
