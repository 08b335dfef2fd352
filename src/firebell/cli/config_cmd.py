"""`firebell config validate|plan|apply|export`.

This module lives outside the config package so that loading the CLI does not import the package.

Errors are printed with plain `typer.echo`, one per line as `file:line:column: message`, so that
editors and CI annotators can parse them (Rich would wrap long lines and interpret brackets).
Rich is used only for the plan's colours.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from firebell.cli.admin import open_database

if TYPE_CHECKING:
    from firebell.config.loader import LoadResult
    from firebell.config.plan import Change, Plan
    from firebell.config.schema import Config
    from firebell.store.uow import Database

# The loader, planner and store are imported inside the commands: `firebell incident ...` loads this
# module too and should not pay for SQLAlchemy and Pydantic models it never uses.

app = typer.Typer(
    help="Configuration as code: validate, plan, apply and export the organisation's YAML tree.",
    no_args_is_help=True,
)

PathArg = Annotated[Path, typer.Argument(help="A YAML file, or a folder of *.yaml/*.yml files.")]
DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database-url", help="Defaults to $FIREBELL_DATABASE_URL, else sqlite:///firebell.db."),
]

_SYMBOL = {"create": ("+", "green"), "change": ("~", "yellow"), "delete": ("-", "red")}


@app.command()
def validate(
    path: PathArg,
    skip_env: Annotated[bool, typer.Option(
        "--skip-env", help="Do not check the key_env variables (where the secrets are not at hand, such as CI).")]
    = False,
) -> None:
    """Check the tree and print every error as file:line:column: message."""
    result = _load_or_exit(path, check_env=not skip_env)
    assert result.config is not None  # _load_or_exit exits otherwise
    files = len(result.files)
    typer.echo(f"OK: {path} is valid ({_summary(result.config)}; "
               f"{files} file{'s' if files != 1 else ''})")


@app.command("plan")
def plan_command(path: PathArg, database_url: DatabaseOpt = None) -> None:
    """Show what `apply` would create, change and delete."""
    from firebell.config.plan import plan as plan_config

    config = _config(path, check_env=False)
    with _database(database_url) as database, database.unit_of_work(write=False) as session:
        result = plan_config(session, config)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    console = _console()
    if result.empty:
        console.print(f"No changes: the database already matches {escape(str(path))}.")
        return
    _print_plan(console, result)
    console.print(f"\nPlan: {result.summary()}.")


@app.command("apply")
def apply_command(path: PathArg, database_url: DatabaseOpt = None) -> None:
    """Make the database match the tree, in one transaction."""
    from firebell.config.apply import apply as apply_config
    from firebell.config.errors import ApplyError

    config = _config(path, check_env=True)
    now = datetime.now(UTC)
    try:
        with _database(database_url) as database, database.unit_of_work() as session:
            result = apply_config(session, config, now=now, actor=_actor())
    except ApplyError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        typer.echo("Nothing was applied.", err=True)
        raise typer.Exit(1) from None
    console = _console()
    if result.empty:
        console.print(f"No changes: the database already matches {escape(str(path))}.")
        return
    _print_plan(console, result)
    counts = result.counts()
    console.print(f"\nApplied: {counts['create']} created, {counts['change']} changed, "
                  f"{counts['delete']} deleted.")
    if result.generated_keys:
        # Plain echo: a key must not be wrapped or styled, so that it can be copied as is.
        typer.echo("")
        for name, key in sorted(result.generated_keys.items()):
            typer.echo(f"key for {name} (shown once): {key}")


@app.command("export")
def export_command(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")]
    = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Write the current configuration as YAML."""
    from firebell.config.export import NothingToExport
    from firebell.config.export import export as export_config

    with _database(database_url) as database, database.unit_of_work(write=False) as session:
        try:
            text = export_config(session)
        except NothingToExport as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {output}", err=True)


def _load_or_exit(path: Path, *, check_env: bool) -> LoadResult:
    """`check_env`: report key_env variables missing from this environment as errors (`plan` only
    warns about them)."""
    import os

    from firebell.config.loader import load

    result = load(path, os.environ if check_env else None)
    if result.config is None:
        for error in result.errors:
            typer.echo(str(error))
        count = len(result.errors)
        typer.echo(f"{count} error{'s' if count != 1 else ''} in {path}", err=True)
        raise typer.Exit(1)
    return result


def _config(path: Path, *, check_env: bool) -> Config:
    config = _load_or_exit(path, check_env=check_env).config
    assert config is not None  # _load_or_exit exits otherwise
    return config


def _summary(config: Config) -> str:
    parts = [
        (len(config.teams), "team"), (len(config.roles), "role"), (len(config.users), "user"),
        (len(config.schedules), "schedule"), (len(config.escalation_policies), "escalation policy"),
        (len(config.outbound_webhooks), "outbound webhook"), (len(config.services), "service"),
        (len(config.severities), "severity"), (len(config.severity_criteria), "criterion"),
        (len(config.incident_roles), "incident role"), (len(config.lifecycle_stages), "stage"),
        (sum(len(s.integrations) for s in config.services), "integration"),
        (len(config.routing_rules), "routing rule"), (len(config.maintenance_windows), "maintenance window"),
        (len(config.slack.channels), "Slack channel"),
        (sum(len(u.notification_rules.high) + len(u.notification_rules.low) for u in config.users),
         "notification rule"),
    ]
    return ", ".join(f"{n} {_plural(noun, n)}" for n, noun in parts)


def _plural(noun: str, n: int) -> str:
    if n == 1:
        return noun
    irregular = {"escalation policy": "escalation policies", "severity": "severities",
                 "criterion": "criteria"}
    return irregular.get(noun, noun + "s")


@contextmanager
def _database(url: str | None) -> Iterator[Database]:
    database = open_database(url)
    try:
        yield database
    finally:
        database.dispose()


def _actor() -> str:
    try:
        return f"config ({getpass.getuser()})"
    except (KeyError, OSError):  # no login name in some containers
        return "config"


def _console() -> Console:
    # soft_wrap: long field values stay on one line instead of being folded at 80 columns.
    return Console(soft_wrap=True, highlight=False)


def _print_plan(console: Console, result: Plan) -> None:
    for change in result.changes:
        symbol, colour = _SYMBOL[change.action]
        console.print(f"[{colour}]{symbol} {escape(_headline(change))}[/{colour}]")
        for field in change.fields:
            if field.field in _SECRET:
                console.print(f"    {escape(field.field)}: (changed; not shown)")
            elif field.field == "key_sha256":
                console.print(f"    key_sha256: {_short_hash(field.before)} -> {_short_hash(field.after)}")
            elif field.field != "archived":
                console.print(f"    {escape(field.field)}: {escape(_show(field.before))} -> "
                              f"{escape(_show(field.after))}")
        if change.kind == "user" and "notification_settings" in change.field_names:
            console.print(f"    [bold]{escape(_SETTINGS_NOTE[change.fields_by_name['notification_settings'].after])}"
                          "[/bold]")


# What a change of who keeps a person's settings means for them, said in the plan itself.
_SETTINGS_NOTE = {
    "managed": "the tree takes over this person's contact methods, notification rules and quiet hours: "
               "what they set themselves is replaced by the tree's, as shown above",
    "personal": "this person keeps their contact methods, notification rules and quiet hours as they are, "
                "and edits them themselves from now on",
}


def _headline(change: Change) -> str:
    text = f"{change.kind} {change.name}"
    if change.archives:
        return text + " (archived)"
    if change.restores:
        return text + " (restored from archive)"
    return text


# Fields whose values a plan must not print (it ends up in CI logs).
_SECRET = frozenset({"hmac_secret"})


def _short_hash(value: Any) -> str:
    """A key's SHA-256, shortened: enough to tell two keys apart in a plan."""
    return f"sha256:{value[:12]}..." if isinstance(value, str) else "(none)"


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list) and value and all(
            isinstance(m, dict) and {"type", "address"} <= m.keys() for m in value):
        # "verified" shows only when vouched for or stored: a method whose verification is the
        # only change would otherwise print the same on both sides of the arrow.
        return "[" + ", ".join(
            f"{m['type']}:{m['address']}" + (f" ({m['label']})" if m.get("label") else "")
            + (" verified" if m.get("verified") else "")
            for m in value
        ) + "]"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return repr(value) if isinstance(value, str) else str(value)
