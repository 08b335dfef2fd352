"""`firebell serve` and `firebell demo`."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from firebell.cli.admin import DbUrl, open_database
from firebell.cli.client import fail
from firebell.cli.render import out

if TYPE_CHECKING:
    from firebell.store.uow import Database

DEMO_ADMIN = "admin"


def _apply_config(db: Database, path: Path, *, show_keys: bool = True) -> None:
    """Applies the config tree; `show_keys` prints the integration keys it generated (the demo does
    not: it issues fresh ones right after, and a first set printed would already be dead)."""
    from firebell.config import ApplyError, apply, load

    result = load(path, os.environ)
    if result.errors or result.config is None:
        for error in result.errors:
            out.print(str(error), highlight=False)
        fail(f"configuration in {path} is invalid; nothing was applied")
    try:
        with db.unit_of_work() as session:
            plan = apply(session, result.config, now=datetime.now(UTC), actor="serve --config")
    except ApplyError as exc:
        problems = "; ".join(exc.problems)
        fail(f"configuration in {path} cannot be applied: {problems}; nothing was applied")
    out.print(f"configuration {path}: {plan.summary()}")
    for name, key in plan.generated_keys.items() if show_keys else ():
        out.print(f"key for {name} (shown once): {key}", highlight=False)


def _check_settings() -> None:
    # This process runs the engine, which checkpoints SQLite's WAL from its own thread (see
    # store/db.py); set before the first database connection is made.
    os.environ.setdefault("FIREBELL_SQLITE_BACKGROUND_CHECKPOINT", "1")


def _check_secret(db: Database) -> None:
    """The audit log is sealed, and action links and calendar feed URLs are signed, with the server's
    secret: without one, the first audited change or page would fail, so say it at start (on SQLite
    the first start makes the key file beside the database)."""
    from firebell.store.secrets import MissingServerSecret, server_secret

    try:
        server_secret(db.engine)
    except MissingServerSecret as exc:
        fail(exc.message)


def _run(db: Database, host: str, port: int, log_level: str = "info", workers: int = 1) -> None:
    import uvicorn

    from firebell.api.log_redaction import server_log_config
    from firebell.app import create_app
    from firebell.engine.heap import settle_heap

    access_log = log_level in ("debug", "info")
    # Every log line goes through RedactSecrets: paths carry integration keys and link tokens.
    logs: dict[str, Any] = {"log_level": log_level, "access_log": access_log, "log_config": server_log_config()}
    if workers <= 1:
        app = create_app(db, run_engine=True)
        settle_heap()
        uvicorn.run(app, host=host, port=port, **logs)
        return
    # Several processes serve HTTP (ingestion is CPU-bound and one Python process uses one core);
    # the engine runs once, here in the supervising process, so timers fire exactly once.
    import os

    from firebell.app import system_clock
    from firebell.jobs import engine_loop

    os.environ["FIREBELL_DATABASE_URL"] = db.engine.url.render_as_string(hide_password=False)
    engine = engine_loop(db, system_clock)
    settle_heap()
    engine.start()
    try:
        uvicorn.run("firebell.app:app_from_env", factory=True, workers=workers, host=host, port=port, **logs)
    finally:
        engine.stop()


def serve(
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8080,
    config: Annotated[Path | None, typer.Option(help="Config tree to apply before serving")] = None,
    log_level: Annotated[str, typer.Option(help="debug, info (with access log), warning, error")] = "info",
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="HTTP worker processes, for PostgreSQL (on SQLite they fight over its write lock)")] = 1,
    database_url: DbUrl = None,
) -> None:
    """Run the API server (FIREBELL_DATABASE_URL selects the database)."""
    _check_settings()
    db = open_database(database_url)
    _check_secret(db)
    if config is not None:
        _apply_config(db, config)
    _run(db, host, port, log_level, workers)


def worker(
    tick: Annotated[float, typer.Option(min=0.05, help="Seconds between passes when nothing wakes it")] = 1.0,
    database_url: DbUrl = None,
) -> None:
    """Run the engine alone: escalations, the notification sender, heartbeats. Any number of workers
    can share one PostgreSQL; on SQLite run one engine (`serve` already runs one)."""
    import signal
    import threading

    from firebell.app import system_clock
    from firebell.engine.heap import settle_heap
    from firebell.jobs import engine_loop

    _check_settings()
    db = open_database(database_url)
    _check_secret(db)
    if db.dialect == "sqlite":
        out.print("note: on SQLite, run the engine in one process only (serve runs one already)")
    engine = engine_loop(db, system_clock, tick=tick)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    settle_heap()
    engine.start()
    out.print(f"engine running on {db.dialect}; Ctrl-C to stop")
    stop.wait()
    engine.stop()


def example_config() -> Path:
    here = Path(__file__).resolve()
    for candidate in (Path.cwd() / "examples" / "pria", here.parents[3] / "examples" / "pria"):
        if candidate.is_dir():
            return candidate
    fail("cannot find examples/pria; run from the Firebell checkout or pass --config")


def demo(
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8080,
    data_dir: Annotated[Path, typer.Option(help="Where the SQLite database lives")] = Path(".firebell-demo"),
    config: Annotated[Path | None, typer.Option(help="Config tree (default: examples/pria)")] = None,
) -> None:
    """Create a SQLite database with the example organisation and serve it on 127.0.0.1."""
    from firebell.auth.service import create_token
    from firebell.store.db import make_engine, sqlite_url
    from firebell.store.migrate import upgrade
    from firebell.store.uow import Database

    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # private when made here; a folder given is kept as is
    _check_settings()
    # Pages go to the server log, not to the example organisation's (fictional) addresses.
    os.environ.setdefault("FIREBELL_LOG_CHANNELS", "email,sms,voice,slack,webhook")
    os.environ.setdefault("FIREBELL_PUBLIC_URL", f"http://127.0.0.1:{port}")
    engine = make_engine(sqlite_url(data_dir / "firebell.db"))
    upgrade(engine)
    db = Database(engine)
    _check_secret(db)
    _apply_config(db, config or example_config(), show_keys=False)
    from firebell.alerts.keys_admin import ENDPOINT, rotate_all_generated
    from firebell.auth.password_links import issue_link

    with db.unit_of_work() as session:
        issued = create_token(session, user_name=DEMO_ADMIN, role="admin", name="demo", now=datetime.now(UTC),
                              actor="demo")
        # Integration keys are shown once, so the demo issues fresh ones at every start.
        keys = rotate_all_generated(session, now=datetime.now(UTC), actor="demo")
        # One click from the terminal into the console: choose a password, and you are in.
        welcome = issue_link(session, user_name=DEMO_ADMIN, purpose="invite", now=datetime.now(UTC), actor="demo")
    url = f"http://127.0.0.1:{port}"
    out.print("Integrations (point your monitoring at these; keys are fresh at every demo start):", style="bold")
    for service, name, kind, key in keys:
        print(f"  {service:16} {name:14} {url}{ENDPOINT[kind].format(key=key)}")
    out.print(f"\n[bold]Firebell demo[/] running at {url}  (API docs: {url}/docs, database: {data_dir}/firebell.db)")
    out.print("Open the console, signed in as the admin (a one-time link: choose a password there):", style="bold")
    print(f"  {welcome.url(url)}\n")
    out.print(f"Admin API token (shown once): [bold]{issued.token}[/]\n")
    out.print("Try, in another terminal:", style="bold")
    print(f"  export FIREBELL_URL={url} FIREBELL_TOKEN={issued.token}")
    print('  .venv/bin/firebell incident declare "API 5xx above 5%" --severity P1 --service api')
    print("  .venv/bin/firebell incident list")
    print("  .venv/bin/firebell incident ack INC-1")
    print("  .venv/bin/firebell oncall\n")
    out.print("Pages are written to this log (PAGE via ...) instead of being sent.\n")
    _run(db, "127.0.0.1", port)
