"""Web console fixtures: the test organisation applied, a clock the test moves, and browsers
(TestClients keeping their own cookies) anonymous or signed in as anyone of tests/fixtures/org.yaml.

    def test_x(web: Web) -> None:
        alice = web.signed_in("alice")
        assert alice.get("/incidents").status_code == 200
        alice.post("/sign-out")            # carries alice's CSRF token
        alice.post("/sign-out", csrf=None)  # carries none: refused with a 403
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.app import create_app
from firebell.auth.passwords import set_password
from firebell.auth.web_sessions import start_session
from firebell.org.models import User
from firebell.store.uow import Database
from tests.api.conftest import ORG_APPLIED_AT, FakeClock, org_tokens
from tests.conftest import BACKENDS, database_url_of

_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
_KEEP = object()


def csrf_in(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF_INPUT.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class Browser:
    client: TestClient
    csrf: str | None = None  # this browser's token: set once signed in, or read from a page

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.get(path, **kwargs)
        if "csrf_token" in response.text:
            self.csrf = csrf_in(response.text)
        return response

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: object = _KEEP,
             **kwargs: Any) -> httpx.Response:
        """A form POST carrying this browser's CSRF token, or `csrf` instead (None: no token)."""
        token = self.csrf if csrf is _KEEP else csrf
        fields = dict(data or {}) | ({"csrf_token": str(token)} if token is not None else {})
        return self.client.post(path, data=fields, **kwargs)


@dataclass
class Web:
    app: FastAPI
    db: Database
    clock: FakeClock
    tokens: dict[str, str]  # an API token per person, for arranging things through the API

    def browser(self) -> Browser:
        return Browser(TestClient(self.app, follow_redirects=False))

    def signed_in(self, user_name: str) -> Browser:
        """A browser with a fresh session of `user_name` (made in the store: no password needed)."""
        with self.db.unit_of_work() as session:
            user = session.execute(select(User).where(User.name == user_name)).scalar_one()
            started = start_session(session, user, now=self.clock(),
                                    lifetimes=self.app.state.web_settings.lifetimes, via="test")
        browser = self.browser()
        # The domain a TestClient's own cookies get, so that a sign-in later replaces this one.
        browser.client.cookies.set(self.app.state.web_settings.session_cookie, started.secret,
                                   domain="testserver.local")
        browser.csrf = started.csrf_secret
        return browser

    def set_password(self, user_name: str, password: str) -> None:
        with self.db.unit_of_work() as session:
            set_password(session, user_name=user_name, plain=password, now=self.clock(), actor="test")


# CI time: the console's pages show what the services and queries the API uses return, and those are
# tested on both stores there (tests/api, tests/incidents, ...); a page test runs on SQLite. A test
# whose point is the store's own behaviour (string matching, ordering and paging, NUL, cross-process
# wake-ups, the private 404's work) runs on both: mark it BOTH_STORES.
BOTH_STORES = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database_url_of(request, tmp_path)


@pytest.fixture
def web(request: pytest.FixtureRequest, database: Database) -> Web:
    clock = FakeClock(ORG_APPLIED_AT)
    tokens = org_tokens(request, database)
    return Web(app=create_app(database, clock), db=database, clock=clock, tokens=tokens)
