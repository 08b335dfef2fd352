"""The SQLite database and the files SQLite keeps beside it are readable by their owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from firebell.cli.main import app
from firebell.store.db import make_engine, sqlite_url

runner = CliRunner()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask of most shells (022), under which files are world-readable unless made otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_db_upgrade_makes_the_database_and_its_wal_and_shm_readable_by_their_owner_only(
        tmp_path: Path, usual_umask: None) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    database = folder / "firebell.db"
    result = runner.invoke(app, ["db", "upgrade", "--database-url", sqlite_url(database)])
    assert result.exit_code == 0, result.output
    engine = make_engine(sqlite_url(database))
    try:
        with engine.begin() as conn:  # a write, so that SQLite makes its -wal and -shm files
            conn.execute(text("CREATE TABLE probe (x INTEGER)"))
            assert {mode(Path(f"{database}{suffix}")) for suffix in ("", "-wal", "-shm")} == {0o600}
    finally:
        engine.dispose()
    assert mode(folder) == 0o755  # a folder the user gave is theirs: left as it was
