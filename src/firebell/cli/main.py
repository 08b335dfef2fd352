"""Entry point of the `firebell` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from firebell import __version__
from firebell.cli import admin, alerts_cmd, incident, oncall_cmd, people_cmd, render, server, template_cmd
from firebell.cli.client import Client, fail, save_login
from firebell.cli.config_cmd import app as config_app
from firebell.cli.me_cmd import me_app
from firebell.cli.statuspage_cmd import app as statuspage_app
from firebell.cli.statuspage_subscribers_cmd import subscriber_app

app = typer.Typer(help="Firebell: incident response you can run yourself.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.add_typer(incident.app, name="incident")
app.add_typer(config_app, name="config")
app.add_typer(admin.db_app, name="db")
app.add_typer(admin.token_app, name="token")
app.add_typer(admin.audit_app, name="audit")
statuspage_app.add_typer(admin.statuspage_key_app, name="key")
statuspage_app.add_typer(subscriber_app, name="subscriber")
app.add_typer(people_cmd.user_app, name="user")
app.add_typer(people_cmd.session_app, name="session")
app.add_typer(alerts_cmd.alerts_app, name="alerts")
app.add_typer(oncall_cmd.schedule_app, name="schedule")
app.add_typer(oncall_cmd.override_app, name="override")
app.add_typer(me_app, name="me")
app.add_typer(template_cmd.app, name="template")
app.add_typer(statuspage_app, name="statuspage")
app.command("oncall")(oncall_cmd.oncall)
app.add_typer(alerts_cmd.alert_app, name="alert")
app.add_typer(alerts_cmd.maintenance_app, name="maintenance")
app.add_typer(alerts_cmd.heartbeats_app, name="heartbeats")
app.add_typer(alerts_cmd.changes_app, name="changes")
app.add_typer(alerts_cmd.integration_app, name="integration")
app.command("serve")(server.serve)
app.command("demo")(server.demo)
app.command("worker")(server.worker)

severity_app = typer.Typer(help="The severity matrix.", no_args_is_help=True)
app.add_typer(severity_app, name="severity")


@app.command()
def version() -> None:
    """Print the version."""
    print(__version__)


@app.command()
def login(url: Annotated[str, typer.Option(help="Server URL")],
          token: Annotated[str, typer.Option(help="API token", prompt=True, hide_input=True)]) -> None:
    """Check a token against a server and remember both for later commands."""
    me = Client(url=url.rstrip("/"), token=token).get("/api/v1/me")
    path = save_login(url.rstrip("/"), token)
    render.out.print(f"logged in to {url} as {me['user']} ({me['role']}); saved to {path}")


@severity_app.command("levels")
def severity_levels(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the configured severity matrix."""
    from datetime import timedelta

    from rich.table import Table

    from firebell.core.durations import format_duration

    levels = Client.from_env().get("/api/v1/severity/levels")
    if as_json:
        render.print_json(levels)
        return
    table = Table(header_style="bold")
    for col in ("Sev", "Name", "Ack within", "Recover within", "Updates every", "External comms", "Post-mortem"):
        table.add_column(col)

    def d(seconds: int | None) -> str:
        return format_duration(timedelta(seconds=seconds)) if seconds is not None else "-"

    for lv in levels:
        pm = f"due {d(lv['postmortem_due_seconds'])}" if lv["postmortem_required"] else "no"
        comms = ", ".join(lv["external_comms"]) or ("required" if lv["external_comms_required"] else "none")
        table.add_row(lv["key"], lv["name"], d(lv["acknowledge_within_seconds"]), d(lv["recover_within_seconds"]),
                      d(lv["update_every_seconds"]), comms, pm)
    render.out.print(table)


@severity_app.command("assess")
def severity_assess(
    error_rate: Annotated[float | None, typer.Option(help="Error rate in percent")] = None,
    latency_multiple: Annotated[float | None, typer.Option(help="p95 latency as a multiple of normal")] = None,
    users_affected: Annotated[float | None, typer.Option(help="Share of users affected, percent")] = None,
    flag: Annotated[list[str] | None,
                    typer.Option("--flag", "-f", help="Impact flag that holds, e.g. full_outage (repeatable)")] = None,
    metric: Annotated[list[str] | None, typer.Option("--metric", "-m", help="Other metric as name=value")] = None,
    full_outage: Annotated[bool, typer.Option("--full-outage")] = False,
    data_loss: Annotated[bool, typer.Option("--data-loss")] = False,
    security_breach: Annotated[bool, typer.Option("--security-breach")] = False,
    pii_exposure: Annotated[bool, typer.Option("--pii-exposure")] = False,
    feature_unavailable: Annotated[bool, typer.Option("--feature-unavailable",
                                                      help="A minor feature is unavailable")] = False,
    major_feature_unavailable: Annotated[bool, typer.Option("--major-feature-unavailable")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Suggest a severity from observed impact, and say which criteria matched."""
    flags = list(flag or [])
    for name, on in (("full_outage", full_outage), ("data_loss", data_loss), ("security_breach", security_breach),
                     ("pii_exposure", pii_exposure), ("feature_unavailable", feature_unavailable),
                     ("major_feature_unavailable", major_feature_unavailable)):
        if on:
            flags.append(name)
    metrics: dict[str, float] = {}
    for name, value in (("error_rate", error_rate), ("latency_multiple", latency_multiple),
                        ("users_affected", users_affected)):
        if value is not None:
            metrics[name] = value
    for item in metric or []:
        key, sep, raw = item.partition("=")
        try:
            metrics[key.strip()] = float(raw)
        except ValueError:
            fail(f"--metric wants name=number, got {item!r}")
        if not sep:
            fail(f"--metric wants name=number, got {item!r}")
    result = Client.from_env().post("/api/v1/severity/assess", {"flags": flags, "metrics": metrics})
    if as_json:
        render.print_json(result)
        return
    render.out.print(f"Suggested severity: [bold]{result['severity']}[/] ({result['name']})")
    for c in result["matched"]:
        render.out.print(f"  matched {c['name']} -> {c['severity']}: {c['description']}")
    if not result["matched"]:
        render.out.print("  no criterion matched; the least severe level is suggested")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


__all__ = ["Path", "app", "main"]
