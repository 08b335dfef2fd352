"""`firebell config validate|plan|apply|export`.

Errors are printed with plain `typer.echo`, one per line as `file:line:column: message`, so that
editors and CI annotators can parse them (Rich would wrap long lines and interpret brackets).
Rich is used only for the plan's colours.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from firebell.config.apply import apply as apply_config
from firebell.config.export import NothingToExport
from firebell.config.export import export as export_config
from firebell.config.loader import LoadResult, load
from firebell.config.plan import Change, Plan
from firebell.config.plan import plan as plan_config
from firebell.config.schema import Config
from firebell.store import migrate
from firebell.store.db import database_url_from_env, make_engine
from firebell.store.uow import Database

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
def validate(path: PathArg) -> None:
    """Check the tree and print every error as file:line:column: message."""
    result = _load_or_exit(path)
    assert result.config is not None  # _load_or_exit exits otherwise
    files = len(result.files)
    typer.echo(f"OK: {path} is valid ({_summary(result.config)}; "
               f"{files} file{'s' if files != 1 else ''})")


@app.command("plan")
def plan_command(path: PathArg, database_url: DatabaseOpt = None) -> None:
    """Show what `apply` would create, change and delete."""
    config = _config(path)
    with _database(database_url) as database, database.unit_of_work(write=False) as session:
        result = plan_config(session, config)
    console = _console()
    if result.empty:
        console.print(f"No changes: the database already matches {escape(str(path))}.")
        return
    _print_plan(console, result)
    console.print(f"\nPlan: {result.summary()}.")


@app.command("apply")
def apply_command(path: PathArg, database_url: DatabaseOpt = None) -> None:
    """Make the database match the tree, in one transaction."""
    config = _config(path)
    now = datetime.now(UTC)
    with _database(database_url) as database, database.unit_of_work() as session:
        result = apply_config(session, config, now=now, actor=_actor())
    console = _console()
    if result.empty:
        console.print(f"No changes: the database already matches {escape(str(path))}.")
        return
    _print_plan(console, result)
    counts = result.counts()
    console.print(f"\nApplied: {counts['create']} created, {counts['change']} changed, "
                  f"{counts['delete']} deleted.")


@app.command("export")
def export_command(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")]
    = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Write the current configuration as YAML."""
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


def _load_or_exit(path: Path) -> LoadResult:
    result = load(path)
    if result.config is None:
        for error in result.errors:
            typer.echo(str(error))
        count = len(result.errors)
        typer.echo(f"{count} error{'s' if count != 1 else ''} in {path}", err=True)
        raise typer.Exit(1)
    return result


def _config(path: Path) -> Config:
    config = _load_or_exit(path).config
    assert config is not None  # _load_or_exit exits otherwise
    return config


def _summary(config: Config) -> str:
    parts = [
        (len(config.teams), "team"), (len(config.roles), "role"), (len(config.users), "user"),
        (len(config.escalation_policies), "escalation policy"), (len(config.services), "service"),
        (len(config.severities), "severity"), (len(config.severity_criteria), "criterion"),
        (len(config.incident_roles), "incident role"), (len(config.lifecycle_stages), "stage"),
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
    url = url or database_url_from_env()
    _refuse_missing_sqlite_file(url)
    engine = make_engine(url)
    try:
        _require_current_schema(engine)
        yield Database(engine)
    finally:
        engine.dispose()


def _refuse_missing_sqlite_file(url: str) -> None:
    # Connecting would create an empty file and then report an out-of-date schema; say what is
    # actually wrong instead.
    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(str(file)).exists():
        typer.echo(f"error: database file {file} does not exist; run `firebell db upgrade`", err=True)
        raise typer.Exit(1)


def _require_current_schema(engine: Engine) -> None:
    if not migrate.is_current(engine):
        typer.echo("error: database schema is not current; run `firebell db upgrade`", err=True)
        raise typer.Exit(1)


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
            if field.field != "archived":
                console.print(f"    {escape(field.field)}: {escape(_show(field.before))} -> "
                              f"{escape(_show(field.after))}")


def _headline(change: Change) -> str:
    text = f"{change.kind} {change.name}"
    if change.archives:
        return text + " (archived)"
    if change.restores:
        return text + " (restored from archive)"
    return text


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "[" + ", ".join(
            f"{m['type']}:{m['address']}" + (f" ({m['label']})" if m.get("label") else "")
            for m in value
        ) + "]"
    return repr(value) if isinstance(value, str) else str(value)
