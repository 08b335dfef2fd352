"""`firebell token create` as an admin runs it: a token's lifetime is what was asked for, and an
expiry that makes no sense is refused instead of silently becoming a token that never expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from firebell.auth.models import ApiToken
from firebell.cli.main import app
from firebell.store.uow import Database
from tests.api.conftest import setup_org

runner = CliRunner()


def _tokens(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        return int(session.execute(select(func.count()).select_from(ApiToken)).scalar_one())


@pytest.mark.parametrize("days", ["0", "-3"])
def test_a_token_expiring_after_zero_or_fewer_days_is_refused(database: Database, database_url: str,
                                                              days: str) -> None:
    setup_org(database, datetime.now(UTC))
    before = _tokens(database)
    result = runner.invoke(app, ["token", "create", "--user", "alice", "--expires-days", days,
                                 "--database-url", database_url])
    assert result.exit_code != 0
    assert "--expires-days" in result.output and "fb_" not in result.output
    assert _tokens(database) == before, "a token was made anyway"


def test_expires_days_sets_the_expiry(database: Database, database_url: str) -> None:
    setup_org(database, datetime.now(UTC))
    result = runner.invoke(app, ["token", "create", "--user", "alice", "--expires-days", "1",
                                 "--database-url", database_url])
    assert result.exit_code == 0, result.output
    with database.unit_of_work(write=False) as session:
        made = session.execute(select(ApiToken).order_by(ApiToken.created_at.desc()).limit(1)).scalar_one()
        assert made.expires_at is not None
        assert made.expires_at - made.created_at == timedelta(days=1)
