"""The audit chain is keyed: someone who can write the database cannot rewrite history unseen."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from firebell.audit.log import record, verify
from firebell.cli.main import app
from firebell.store.db import make_engine, sqlite_url
from firebell.store.migrate import upgrade
from firebell.store.uow import Database

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
runner = CliRunner()


def _old_link(prev: str, row: dict[str, Any]) -> str:
    """The link of the unkeyed scheme, as anyone with the source can compute it."""
    at = row["occurred_at"]
    if isinstance(at, str):  # SQLite hands back text
        at = datetime.fromisoformat(at)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    details = json.loads(row["details"]) if isinstance(row["details"], str) else row["details"]
    body = json.dumps({"at": at.isoformat(), "actor": row["actor"], "action": row["action"],
                       "subject": row["subject"], "details": details}, sort_keys=True, separators=(",", ":"),
                      default=str)
    return hashlib.sha256((prev + body).encode()).hexdigest()


def _rows(session: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in session.execute(text("SELECT * FROM audit_log ORDER BY id"))]


def _drop_guard(db: Database, session: Any) -> None:
    if db.dialect == "sqlite":
        session.execute(text("DROP TRIGGER audit_log_no_update"))
    else:
        session.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))


def _rewrite_unkeyed(db: Database, edit: dict[int, dict[str, Any]], *, from_id: int) -> None:
    """What an attacker with write access does: change rows, then recompute every link from the first
    changed row on with the unkeyed scheme, so that the old verification passes."""
    with db.unit_of_work() as session:
        _drop_guard(db, session)
        for row_id, changes in edit.items():
            sets = ", ".join(f"{column} = :{column}" for column in changes)
            session.execute(text(f"UPDATE audit_log SET {sets} WHERE id = :id"), {"id": row_id, **changes})
        rows = _rows(session)
        prev = "0" * 64
        for row in rows:
            if row["id"] >= from_id:
                session.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :id"),
                                {"p": prev, "h": _old_link(prev, row), "id": row["id"]})
                prev = _old_link(prev, row)
            else:
                prev = row["hash"]


def _verify_cli(url: str) -> Any:
    return runner.invoke(app, ["audit", "verify", "--database-url", url])


def test_verify_catches_a_row_edited_and_rehashed_the_unkeyed_way(database_url: str) -> None:
    db = Database(make_engine(database_url))
    try:
        with db.unit_of_work() as session:
            ids = [record(session, actor="admin", action="token.create", subject=f"user{i}",
                          now=AT + timedelta(minutes=i)).id for i in range(4)]
        assert _verify_cli(database_url).exit_code == 0
        # Hide who got the second token: change the row and recompute the links after it.
        _rewrite_unkeyed(db, {ids[1]: {"subject": "nobody"}}, from_id=ids[1])
    finally:
        db.dispose()
    result = _verify_cli(database_url)
    assert result.exit_code != 0
    assert f"audit chain broken at entry {ids[1]}" in result.output


def _legacy_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Database, list[int]]:
    """A SQLite database of the release before keys, with three entries linked the unkeyed way."""
    monkeypatch.delenv("FIREBELL_SECRET_KEY", raising=False)
    db = Database(make_engine(sqlite_url(tmp_path / "firebell.db")))
    upgrade(db.engine, "0010")
    prev, ids = "0" * 64, []
    with db.unit_of_work() as session:
        for i in range(3):
            row = {"occurred_at": (AT + timedelta(minutes=i)).replace(tzinfo=None), "actor": "admin",
                   "action": "token.create", "subject": f"user{i}", "details": "{}"}
            link = _old_link(prev, row)
            ids.append(session.execute(text(
                "INSERT INTO audit_log (occurred_at, actor, action, subject, details, prev_hash, hash) "
                "VALUES (:occurred_at, :actor, :action, :subject, :details, :prev, :hash) RETURNING id"),
                row | {"prev": prev, "hash": link}).scalar_one())
            prev = link
    upgrade(db.engine)
    return db, ids


def test_a_chain_written_before_keys_still_verifies_and_goes_on_keyed(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    db, ids = _legacy_database(tmp_path, monkeypatch)
    with db.unit_of_work() as session:
        record(session, actor="admin", action="token.revoke", subject="user0", now=AT + timedelta(hours=1))
    with db.unit_of_work(write=False) as session:
        checkpoint, new = _rows(session)[len(ids):]
        assert checkpoint["action"] == "audit.keyed" and checkpoint["prev_hash"] == _rows(session)[2]["hash"]
        assert new["action"] == "token.revoke"
        assert verify(session) is None
    assert _verify_cli(str(db.engine.url)).exit_code == 0
    db.dispose()


def test_rewriting_entries_from_before_keys_breaks_the_checkpoint(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    db, ids = _legacy_database(tmp_path, monkeypatch)
    _rewrite_unkeyed(db, {ids[0]: {"subject": "nobody"}}, from_id=ids[0])
    with db.unit_of_work(write=False) as session:
        broken = verify(session)
        checkpoint_id = _rows(session)[len(ids)]["id"]
    assert broken is not None and broken.entry_id == checkpoint_id
    assert "unkeyed entries before it" in broken.reason
    db.dispose()


def test_rewriting_the_whole_chain_the_unkeyed_way_is_caught(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Turning the checkpoint into an ordinary entry makes every entry read as keyed: the first fails."""
    db, ids = _legacy_database(tmp_path, monkeypatch)
    with db.unit_of_work(write=False) as session:
        checkpoint_id = _rows(session)[len(ids)]["id"]
    _rewrite_unkeyed(db, {checkpoint_id: {"action": "config.apply"}}, from_id=ids[0])
    with db.unit_of_work(write=False) as session:
        broken = verify(session)
    assert broken is not None and broken.entry_id == ids[0]
    db.dispose()
