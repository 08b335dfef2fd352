"""The server's secret (store/secrets.py) comes from the environment or a key file, never the database."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from firebell.store import secrets
from firebell.store.db import make_engine, sqlite_url
from firebell.store.secrets import MissingServerSecret, server_secret


@pytest.fixture(autouse=True)
def unconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIREBELL_SECRET_KEY", raising=False)
    monkeypatch.delenv("FIREBELL_SECRET_KEY_FILE", raising=False)
    monkeypatch.setattr(secrets, "_read", {})


def test_a_sqlite_server_makes_a_private_key_file_beside_its_database(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(sqlite_url(tmp_path / "firebell.db"))
    secret = server_secret(engine)
    key_file = tmp_path / "firebell.db.key"
    assert len(secret) >= 32 and key_file.read_bytes().strip() == secret
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    monkeypatch.setattr(secrets, "_read", {})  # as another process would
    assert server_secret(make_engine(sqlite_url(tmp_path / "firebell.db"))) == secret
    assert server_secret(make_engine(sqlite_url(tmp_path / "other.db"))) != secret
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_the_environment_wins_and_must_be_long_enough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(sqlite_url(tmp_path / "firebell.db"))
    monkeypatch.setenv("FIREBELL_SECRET_KEY", "k" * 40)
    assert server_secret(engine) == b"k" * 40
    assert not (tmp_path / "firebell.db.key").exists()
    monkeypatch.setenv("FIREBELL_SECRET_KEY", "short")
    with pytest.raises(MissingServerSecret, match="FIREBELL_SECRET_KEY is 5 bytes; use at least 32"):
        server_secret(engine)


def test_a_named_key_file_serves_any_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secret").write_text("f" * 48 + "\n")
    monkeypatch.setenv("FIREBELL_SECRET_KEY_FILE", str(tmp_path / "secret"))
    assert server_secret(make_engine("postgresql://firebell@db.example/firebell")) == b"f" * 48
    monkeypatch.setenv("FIREBELL_SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(MissingServerSecret, match="cannot read the server's key file"):
        server_secret(make_engine("postgresql://firebell@db.example/firebell"))


def test_postgresql_without_a_configured_secret_is_told_what_to_set() -> None:
    with pytest.raises(MissingServerSecret, match=r"set FIREBELL_SECRET_KEY .* or FIREBELL_SECRET_KEY_FILE"):
        server_secret(make_engine("postgresql://firebell@db.example/firebell"))


def test_verifying_without_the_key_file_says_so_and_makes_none(tmp_path: Path) -> None:
    """A database copied without its key file: verify must not make a new key and then report
    every entry as changed."""
    from datetime import UTC, datetime

    from firebell.audit.log import record, verify
    from firebell.store.migrate import upgrade
    from firebell.store.uow import Database

    db = Database(make_engine(sqlite_url(tmp_path / "firebell.db")))
    upgrade(db.engine)
    with db.unit_of_work() as session:
        record(session, actor="admin", action="token.create", now=datetime(2026, 11, 23, tzinfo=UTC))
    key_file = tmp_path / "firebell.db.key"
    key_file.unlink()
    secrets._read.clear()
    with pytest.raises(MissingServerSecret, match="cannot read the server's key file"), \
            db.unit_of_work(write=False) as session:
        verify(session)
    assert not key_file.exists()
    db.dispose()
