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
from firebell.store.secrets import KEY_FILE_SUFFIX
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


# Tests that use these fixtures start from the test organisation (tests/fixtures/org.yaml applied at
# ORG_APPLIED_AT, a token per person): a second template per store holds it, made once per worker.
# Applying it for each of those tests (~830 of them, both stores) cost a YAML read, ~100 statements
# and several commits each. tests/config still applies trees to empty databases.
ORG_FIXTURES = frozenset({"api", "web"})


class OrgTemplates:
    """Per store, lazily: a migrated database with the test organisation applied, and its tokens."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._request = request
        self._tmp = tmp_path_factory
        self.sqlite_path: Path | None = None
        self.tokens: dict[str, dict[str, str]] = {}  # by dialect name

    def ensure(self, backend: str) -> None:
        if backend in self.tokens:
            return
        from tests.api.conftest import ORG_APPLIED_AT, setup_org

        if backend == "sqlite":
            empty: Path = self._request.getfixturevalue("sqlite_template")
            path = self._tmp.mktemp("sqlite-org-template") / "template.db"
            shutil.copy(empty, path)
            url = sqlite_url(path)
        else:
            cluster: Cluster = self._request.getfixturevalue("pg_cluster")
            admin = make_engine(cluster.url(), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {PG_ORG_TEMPLATE} TEMPLATE firebell_template"))
            admin.dispose()
            url = cluster.url(PG_ORG_TEMPLATE)
        with _server_secret_for(backend):
            db = Database(make_engine(url))
            try:
                self.tokens[backend] = setup_org(db, ORG_APPLIED_AT)
                if backend == "sqlite":
                    with db.engine.connect() as conn:
                        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                db.dispose()
        if backend == "sqlite":
            self.sqlite_path = path


PG_ORG_TEMPLATE = "firebell_org_template"


@pytest.fixture(scope="session")
def org_templates(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> OrgTemplates:
    return OrgTemplates(request, tmp_path_factory)


@contextmanager
def _server_secret_for(backend: str) -> Iterator[None]:
    """A PostgreSQL server has no key file beside its database: it is configured with its secret.
    (SQLite databases use the key file made beside theirs.)"""
    if backend == "sqlite":
        yield
        return
    before = os.environ.get(SERVER_SECRET_ENV)
    os.environ[SERVER_SECRET_ENV] = PG_SERVER_SECRET
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SERVER_SECRET_ENV, None)
        else:
            os.environ[SERVER_SECRET_ENV] = before


@contextmanager
def fresh_database(request: pytest.FixtureRequest, backend: str, workdir: Path, *,
                   with_org: bool = False) -> Iterator[str]:
    """URL of a fresh, migrated database copied from the session template of `backend`: empty, or
    `with_org` holding the test organisation (OrgTemplates). A context manager so fixtures of any
    scope can use it."""
    org: OrgTemplates | None = None
    if with_org:
        org = request.getfixturevalue("org_templates")
        org.ensure(backend)
    if backend == "sqlite":
        template: Path = org.sqlite_path if org and org.sqlite_path else request.getfixturevalue("sqlite_template")
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "firebell.db"
        shutil.copy(template, path)
        key = Path(f"{template}{KEY_FILE_SUFFIX}")  # the audit chain's key, made beside the template
        if key.exists():
            shutil.copy(key, Path(f"{path}{KEY_FILE_SUFFIX}"))
        yield sqlite_url(path)
        _every_event_has_a_sentence(request, sqlite_url(path))
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    name = f"t_{os.getpid()}_{next(_counter)}"
    admin = make_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    template_name = PG_ORG_TEMPLATE if org else "firebell_template"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template_name}"))
    try:
        with _server_secret_for(backend):
            yield cluster.url(name)
            _every_event_has_a_sentence(request, cluster.url(name))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


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


def database_url_of(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The body of `database_url` (and of its overrides with other default backends)."""
    with fresh_database(request, request.param, tmp_path,
                        with_org=bool(ORG_FIXTURES & set(request.fixturenames))) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated database on each backend: empty, or holding the test organisation
    for the tests that use its fixtures (ORG_FIXTURES)."""
    yield from database_url_of(request, tmp_path)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(make_engine(database_url))
    try:
        yield db
    finally:
        db.dispose()
