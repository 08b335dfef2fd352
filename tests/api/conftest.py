"""API fixtures: the test organisation applied, a token per person, a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from firebell.app import create_app
from firebell.auth.service import create_token
from firebell.config import apply, load
from firebell.store.uow import Database

ORG = Path(__file__).parent.parent / "fixtures" / "org.yaml"
ORG_APPLIED_AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # the test organisation's, and the clock's start
PEOPLE = {"admin": "admin", "alice": "responder", "bob": "responder", "sam": "responder", "vera": "viewer",
          "otto": "viewer"}


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    clock: FakeClock
    db: Database

    def _headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    def get(self, path: str, who: str | None = "admin", **params: Any) -> Any:
        return self.client.get(path, headers=self._headers(who), params=params)

    def post(self, path: str, body: Any = None, who: str | None = "admin") -> Any:
        return self.client.post(path, json=body, headers=self._headers(who))

    def patch(self, path: str, body: Any, who: str | None = "admin") -> Any:
        return self.client.patch(path, json=body, headers=self._headers(who))

    def declare(self, who: str = "admin", **fields: Any) -> dict[str, Any]:
        body = {"title": "API 5xx above 5%", "severity": "P1", "services": ["api"]} | fields
        response = self.post("/api/v1/incidents", body, who=who)
        assert response.status_code == 201, response.text
        return dict(response.json())


def setup_org(db: Database, at: datetime) -> dict[str, str]:
    result = load(ORG)
    assert not result.errors and result.config is not None
    with db.unit_of_work() as session:
        apply(session, result.config, now=at)
        return {name: create_token(session, user_name=name, role=role, name="test", now=at).token
                for name, role in PEOPLE.items()}


def org_tokens(request: pytest.FixtureRequest, database: Database) -> dict[str, str]:
    """The tokens of the test organisation `database` was copied with (tests/conftest.py: ORG_FIXTURES)."""
    tokens: dict[str, str] = request.getfixturevalue("org_templates").tokens[database.engine.dialect.name]
    return tokens


@pytest.fixture
def api(request: pytest.FixtureRequest, database: Database) -> Api:
    clock = FakeClock(ORG_APPLIED_AT)
    tokens = org_tokens(request, database)
    return Api(client=TestClient(create_app(database, clock)), tokens=tokens, clock=clock, db=database)
