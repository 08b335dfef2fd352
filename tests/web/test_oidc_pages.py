"""Signing in through the OpenID provider from the pages: the browser (a TestClient keeping its own
cookies) follows every redirect by hand, to Firebell and to the real provider over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from firebell.auth.models import WebSession
from firebell.auth.oidc_models import OidcProvider
from firebell.org.models import User
from tests.oidc.provider import CLIENT_ID, CLIENT_SECRET, Provider, provider
from tests.web.conftest import Browser, Web

__all__ = ["provider"]  # the fixture


def configure_sso(web: Web, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> Web:
    """The test organisation with single sign-on through `provider` (as `config apply` would store it)."""
    monkeypatch.setenv("PRIA_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PRIA_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    with web.db.unit_of_work() as session:
        session.add(OidcProvider(name="oidc", title="Example SSO", discovery_url=provider.discovery_url,
                                 client_id_env="PRIA_OIDC_CLIENT_ID", client_secret_env="PRIA_OIDC_CLIENT_SECRET",
                                 create_users=False, default_access="viewer"))
    web.clock.now = datetime.now(UTC)  # the provider's tokens carry the real time
    return web


@pytest.fixture
def sso(web: Web, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> Web:
    return configure_sso(web, provider, monkeypatch)


def _via_provider(browser: Browser, provider: Provider, subject: str, *, start: str = "/sign-in/oidc?next=/incidents",
                  tamper: dict[str, str] | None = None) -> httpx.Response:
    """Click "Sign in with ...", sign in at the provider as `subject`, and come back: Firebell's answer."""
    to_provider = browser.get(start)
    assert to_provider.status_code == 303, to_provider.text
    url = to_provider.headers["location"]
    if tamper:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} | tamper
        url = parts._replace(query=urlencode(query)).geturl()
    back = provider.authorize(url, subject)
    parts = urlsplit(back)
    return browser.get(f"{parts.path}?{parts.query}")


def _sessions(web: Web) -> int:
    with web.db.unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(WebSession)) or 0


def test_the_sign_in_page_offers_the_provider_only_when_configured(web: Web, provider: Provider,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assert "Sign in with" not in web.browser().get("/sign-in").text
    page = configure_sso(web, provider, monkeypatch).browser().get("/sign-in?next=/incidents/INC-4").text
    assert 'href="/sign-in/oidc?next=/incidents/INC-4">Sign in with Example SSO</a>' in page


def test_a_person_signs_in_through_the_provider_and_lands_where_they_were_going(sso: Web,
                                                                               provider: Provider) -> None:
    provider.add_person("Alice@Example.com")
    browser = sso.browser()
    assert browser.get("/incidents").headers["location"] == "/sign-in?next=/incidents"
    answer = _via_provider(browser, provider, "Alice@Example.com")
    assert answer.status_code == 303 and answer.headers["location"] == "/incidents"
    page = browser.get("/incidents")
    assert page.status_code == 200 and "Alice Andersson" in page.text
    with sso.db.unit_of_work(write=False) as session:
        assert session.scalars(select(WebSession.via)).all() == ["oidc"]
    # The sign-in's own cookie is spent.
    assert not any(name.endswith("firebell_oidc") for name in browser.client.cookies)


def test_next_never_leaves_firebell(sso: Web, provider: Provider) -> None:
    provider.add_person("bob@example.com")
    answer = _via_provider(sso.browser(), provider, "bob@example.com", start="/sign-in/oidc?next=//evil.example/x")
    assert answer.headers["location"] == "/incidents"


@pytest.mark.parametrize(("tamper", "status", "says"), [
    ({"nonce": "an-old-nonce"}, 403, "could not be trusted, so nobody was signed in"),
    ({"state": "forged"}, 400, "expired or was already used"),
])
def test_a_wrong_nonce_or_state_signs_nobody_in(sso: Web, provider: Provider, tamper: dict[str, str], status: int,
                                                says: str) -> None:
    provider.add_person("alice@example.com")
    browser = sso.browser()
    answer = _via_provider(browser, provider, "alice@example.com", tamper=tamper)
    assert answer.status_code == status and says in answer.text
    assert _sessions(sso) == 0
    assert browser.get("/incidents").status_code == 303  # still not signed in


def test_a_callback_in_another_browser_signs_nobody_in(sso: Web, provider: Provider) -> None:
    """Login CSRF: an attacker's own finished sign-in, sent as a link to someone else."""
    provider.add_person("otto@example.com")
    attacker = sso.browser()
    to_provider = attacker.get("/sign-in/oidc").headers["location"]
    parts = urlsplit(provider.authorize(to_provider, "otto@example.com"))
    answer = sso.browser().get(f"{parts.path}?{parts.query}")
    assert answer.status_code == 400 and _sessions(sso) == 0


def test_an_unknown_email_is_told_to_ask_an_admin(sso: Web, provider: Provider) -> None:
    provider.add_person("mallory@example.org")
    answer = _via_provider(sso.browser(), provider, "mallory@example.org")
    assert answer.status_code == 403
    assert "There is no Firebell account for mallory@example.org; ask an admin to add you." in answer.text
    assert 'href="/sign-in"' in answer.text
    with sso.db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.email == "mallory@example.org")) == 0
    assert _sessions(sso) == 0


def test_with_create_users_an_unknown_email_gets_a_viewer(sso: Web, provider: Provider) -> None:
    with sso.db.unit_of_work() as session:
        row = session.get(OidcProvider, "oidc")
        assert row is not None
        row.create_users = True
    provider.add_person("nina@example.org", name="Nina Nilsson")
    browser = sso.browser()
    assert _via_provider(browser, provider, "nina@example.org").headers["location"] == "/incidents"
    assert "Nina Nilsson" in browser.get("/incidents").text
    with sso.db.unit_of_work(write=False) as session:
        nina = session.scalars(select(User).where(User.email == "nina@example.org")).one()
        assert (nina.name, nina.access, nina.origin) == ("nina", "viewer", "sign-in")


def test_an_unset_client_secret_is_a_clear_page_not_an_error(sso: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIA_OIDC_CLIENT_SECRET")
    answer = sso.browser().get("/sign-in/oidc")
    assert answer.status_code == 503 and "Single sign-on is not available" in answer.text
