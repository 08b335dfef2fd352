"""`firebell statuspage subscriber ...`: the status page's subscribers, for admins with the database
(like `firebell token`): list, add, remove, import a CSV, release from quarantine."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from firebell.actor import Actor
from firebell.cli.admin import DbUrl, open_database
from firebell.cli.client import fail
from firebell.cli.render import out
from firebell.core.access import AccessRole, Principal
from firebell.errors import DecisionError

subscriber_app = typer.Typer(help="Who the status page notifies.", no_args_is_help=True)


def _admin() -> Actor:
    """Whoever can open the database administers it (as `firebell token create`)."""
    return Actor(principal=Principal(user_id="", role=AccessRole.ADMIN, team_ids=frozenset()), user_name="cli",
                 display_name="the CLI (database access)", via="cli")


@subscriber_app.command("list")
def subscriber_list(state: Annotated[str | None, typer.Option(
        help="pending, confirmed, unsubscribed or quarantined")] = None, database_url: DbUrl = None) -> None:
    """Every subscriber; quarantined ones show their last error."""
    from rich.table import Table

    from firebell.statuspage.subscriptions import service

    db = open_database(database_url)
    with db.unit_of_work(write=False) as session:
        rows = service.listing(session, _admin(), state)
    table = Table("id", "mode", "address", "components", "state", "failures", "last error")
    for row in rows:
        table.add_row(row["id"], row["mode"], row["address"], " ".join(row["component_ids"] or ["(whole page)"]),
                      row["state"], str(row["consecutive_failures"]), row["last_error"])
    out.print(table)


@subscriber_app.command("add")
def subscriber_add(address: Annotated[str, typer.Argument(help="An email address, or the endpoint URL")],
                   mode: Annotated[str, typer.Option(help="email, webhook, slack, teams or google_chat")] = "email",
                   component: Annotated[list[str] | None, typer.Option(
                       help="A component id (repeat it); none: the whole page")] = None,
                   skip_confirmation: Annotated[bool, typer.Option(
                       help="Email: confirmed at once, no confirmation mail")] = False,
                   database_url: DbUrl = None) -> None:
    """Add a subscriber. An email address waits for its owner's confirmation unless --skip-confirmation."""
    from firebell.statuspage.subscriptions import service

    db = open_database(database_url)
    try:
        with db.unit_of_work() as session:
            added = service.describe(service.add(session, _admin(), mode, address, datetime.now(UTC),
                                                 component_ids=component, skip_confirmation=skip_confirmation,
                                                 source="cli"))
    except DecisionError as exc:
        fail(exc.message)
    out.print(f"subscriber {added['id']} ({added['mode']} {added['address']}) is {added['state']}")


def _change(database_url: str | None, subscriber_id: str, action: str, said: str) -> None:
    from firebell.statuspage.subscriptions import service

    db = open_database(database_url)
    try:
        with db.unit_of_work() as session:
            getattr(service, action)(session, _admin(), subscriber_id, datetime.now(UTC))
    except DecisionError as exc:
        fail(exc.message)
    out.print(f"subscriber {subscriber_id} {said}")


@subscriber_app.command("remove")
def subscriber_remove(subscriber_id: str, database_url: DbUrl = None) -> None:
    """Delete a subscriber and whatever is queued for it."""
    _change(database_url, subscriber_id, "remove", "removed")


@subscriber_app.command("release")
def subscriber_release(subscriber_id: str, database_url: DbUrl = None) -> None:
    """Let a quarantined subscriber receive again."""
    _change(database_url, subscriber_id, "release", "released from quarantine")


@subscriber_app.command("import")
def subscriber_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
                      skip_confirmation: Annotated[bool, typer.Option(
                          help="Confirmed at once, without confirmation mails: only with the people's consent")]
                      = False,
                      database_url: DbUrl = None) -> None:
    """Import subscribers from a CSV with an `email` column (or `mode` and `address`), and optionally
    `components`. Without --skip-confirmation each new address gets a confirmation mail first."""
    from firebell.statuspage.subscriptions import service

    db = open_database(database_url)
    try:
        with db.unit_of_work() as session:
            done = service.import_csv(session, _admin(), file.read_text(encoding="utf-8"), datetime.now(UTC),
                                      skip_confirmation=skip_confirmation)
    except (DecisionError, UnicodeDecodeError) as exc:
        fail(getattr(exc, "message", str(exc)))
    out.print(f"{done.added} added, {done.existing} known already, {len(done.invalid)} refused")
    for problem in done.invalid:
        out.print(f"  line {problem['line']}: {problem['reason']}")
