"""Shared fixtures: every store and API test runs against SQLite and a throwaway PostgreSQL."""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from firebell.core.timeline import catalogue
from firebell.store.db import make_engine, sqlite_url
from firebell.store.migrate import upgrade
from firebell.store.uow import Database
from tests.pgcluster import Cluster, find_bindir, start_cluster

# pytest-xdist's workers start with COLUMNS=80, and a Rich console made while it is set keeps that
# width for good (the CLI's is made at import). Without it, the console reads COLUMNS when it prints,
# so a test that runs the CLI with COLUMNS=200 gets whole table cells under xdist as without it.
os.environ.pop("COLUMNS", None)

BACKENDS = ["sqlite", "postgresql"]
SERVER_SECRET_ENV = "FIREBELL_SECRET_KEY"
PG_SERVER_SECRET = "tests-postgresql-server-secret-0123456789abcdef"
_counter = itertools.count()


def child_env() -> dict[str, str]:
    """The environment of a Firebell process a test starts: none of this shell's FIREBELL_ settings,
    except the server's secret (a PostgreSQL server's is configured, see fresh_database)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FIREBELL_") or k == SERVER_SECRET_ENV}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    if find_bindir() is None:
        if _in_ci():
            pytest.fail("PostgreSQL binaries are missing in CI; .ci/run must install postgresql")
        pytest.skip("no PostgreSQL binaries on this machine (CI installs them)")
    cluster = start_cluster()
    try:
        engine = make_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE firebell_template"))
        engine.dispose()
        template = make_engine(cluster.url("firebell_template"))
        upgrade(template)
        template.dispose()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@contextmanager
def fresh_database(request: pytest.FixtureRequest, backend: str, workdir: Path) -> Iterator[str]:
    """URL of a fresh, migrated, empty database copied from the session template of `backend`.
    A context manager so fixtures of any scope can use it."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "firebell.db"
        shutil.copy(template, path)
        yield sqlite_url(path)
        _every_event_has_a_sentence(request, sqlite_url(path))
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    name = f"t_{os.getpid()}_{next(_counter)}"
    admin = make_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE firebell_template"))
    # A PostgreSQL server has no key file beside its database: it is configured with its secret.
    # (SQLite tests use the key file made beside theirs.)
    before = os.environ.get(SERVER_SECRET_ENV)
    os.environ[SERVER_SECRET_ENV] = PG_SERVER_SECRET
    try:
        yield cluster.url(name)
        _every_event_has_a_sentence(request, cluster.url(name))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
        if before is None:
            os.environ.pop(SERVER_SECRET_ENV, None)
        else:
            os.environ[SERVER_SECRET_ENV] = before


def _every_event_has_a_sentence(request: pytest.FixtureRequest, url: str) -> None:
    """Every timeline event a test leaves in its database reads as a kind of the catalogue, with
    its own sentence (not the generic one the catalogue falls back to for rows it cannot read).
    A test that writes such rows on purpose is marked `old_timeline_rows`."""
    if request.node.get_closest_marker("old_timeline_rows"):
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT type, payload FROM timeline_events")).all()
    except DBAPIError:  # a test that left no schema behind
        return
    finally:
        engine.dispose()
    unread = [(type_, payload) for type_, payload in rows
              if catalogue.read(type_, json.loads(payload) if isinstance(payload, str) else payload) is None]
    if unread:
        pytest.fail(f"timeline events outside the catalogue (or not fitting their schema): {unread[:5]}")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated, empty database on each backend."""
    with fresh_database(request, request.param, tmp_path) as url:
        yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(make_engine(database_url))
    try:
        yield db
    finally:
        db.dispose()
