"""Admin commands that talk to the store directly: database, tokens, audit, serving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from firebell.cli.client import fail
from firebell.cli.render import out
from firebell.errors import DecisionError

if TYPE_CHECKING:
    from firebell.store.uow import Database

# The store (SQLAlchemy, Alembic) is imported inside the admin commands only: responder commands
# are API clients and should start fast.

DbUrl = Annotated[str | None, typer.Option("--database-url", envvar="FIREBELL_DATABASE_URL",
                                           help="SQLAlchemy URL; default a SQLite file firebell.db")]

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
statuspage_key_app = typer.Typer(help="Keys for the status page's management API.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log, a chain keyed with the server's secret.", no_args_is_help=True)
MAX_TOKEN_DAYS = 36500  # a hundred years; the bound keeps a huge number from overflowing the date


def open_database(url: str | None) -> Database:
    """The database at `url` (or FIREBELL_DATABASE_URL), refusing one whose schema is not current."""
    from firebell.store.db import database_url_from_env, make_engine, sqlite_file
    from firebell.store.migrate import is_current
    from firebell.store.uow import Database

    url = url or database_url_from_env()
    file = sqlite_file(url)
    if file is not None and not file.exists():
        # Connecting would create an empty file and then report an out-of-date schema.
        fail(f"database file {file} does not exist; run `firebell db upgrade`")
    engine = make_engine(url)
    if not is_current(engine):
        engine.dispose()
        fail("database schema is not current; run `firebell db upgrade`")
    return Database(engine)


@db_app.command("upgrade")
def db_upgrade(database_url: DbUrl = None) -> None:
    """Create or migrate the schema to the latest revision."""
    from firebell.store.db import database_url_from_env, make_engine
    from firebell.store.migrate import current_revision, head_revision, upgrade

    engine = make_engine(database_url or database_url_from_env())
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    out.print(f"schema {'already at' if before == after else 'upgraded to'} {after} (head {head_revision()})")


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", "-u", help="User name the token acts as")],
    role: Annotated[str, typer.Option(help="admin, responder or viewer")] = "responder",
    name: Annotated[str, typer.Option(help="A label, e.g. laptop or grafana")] = "",
    expires_days: Annotated[int | None, typer.Option(
        min=1, max=MAX_TOKEN_DAYS,
        help="Expire after this many days; leave it out for a token that never expires")] = None,
    database_url: DbUrl = None,
) -> None:
    """Create an API token. It is shown once; only its hash is stored."""
    _issue(user, role, name, expires_days, database_url, scope="api", what="token")


@statuspage_key_app.command("create")
def statuspage_key_create(
    user: Annotated[str, typer.Option("--user", "-u", help="User name the key acts as (its changes carry it)")],
    role: Annotated[str, typer.Option(help="responder or admin may change the page; viewer only reads")] = "responder",
    name: Annotated[str, typer.Option(help="A label, e.g. terraform")] = "",
    expires_days: Annotated[int | None, typer.Option(
        min=1, max=MAX_TOKEN_DAYS,
        help="Expire after this many days; leave it out for a key that never expires")] = None,
    database_url: DbUrl = None,
) -> None:
    """Create a key for the status page's management API (Statuspage v1: `Authorization: OAuth <key>`).
    It opens that API only, nothing else of Firebell's. Shown once; only its hash is stored."""
    _issue(user, role, name, expires_days, database_url, scope="statuspage", what="status page key")


def _issue(user: str, role: str, name: str, expires_days: int | None, database_url: str | None, *, scope: str,
           what: str) -> None:
    from firebell.auth.service import create_token

    db = open_database(database_url)
    try:
        with db.unit_of_work() as session:
            issued = create_token(session, user_name=user, role=role, name=name, now=datetime.now(UTC), scope=scope,
                                  expires_in=None if expires_days is None else timedelta(days=expires_days))
    except DecisionError as exc:
        fail(exc.message)
    out.print(f"{what} for {issued.user} ({issued.role}), id {issued.id}; shown once, store it now:")
    print(issued.token)


@statuspage_key_app.command("revoke")
def statuspage_key_revoke(key_id: str, database_url: DbUrl = None) -> None:
    """Revoke a status page key by id."""
    token_revoke(key_id, database_url)


@token_app.command("revoke")
def token_revoke(token_id: str, database_url: DbUrl = None) -> None:
    """Revoke a token by id."""
    from firebell.auth.service import revoke_token

    db = open_database(database_url)
    try:
        with db.unit_of_work() as session:
            revoke_token(session, token_id=token_id, now=datetime.now(UTC))
    except DecisionError as exc:
        fail(exc.message)
    out.print(f"token {token_id} revoked")


@audit_app.command("verify")
def audit_verify(database_url: DbUrl = None) -> None:
    """Check the audit log's chain (with the server's secret: FIREBELL_SECRET_KEY or its key file)."""
    from firebell.audit.log import verify

    db = open_database(database_url)
    try:
        with db.unit_of_work(write=False) as session:
            broken = verify(session)
    except DecisionError as exc:  # no usable server secret
        fail(exc.message)
    if broken is not None:
        fail(f"audit chain broken at entry {broken.entry_id}: {broken.reason}")
    out.print("audit chain intact")
