"""Signing in through the OpenID provider's own page in a real browser, against a live server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from firebell.auth.oidc_models import OidcProvider
from firebell.store.db import make_engine
from firebell.store.uow import Database
from tests.cli.test_cli_live import serving
from tests.oidc.provider import CLIENT_ID, CLIENT_SECRET, Provider, provider
from tests.web.browser.conftest import Site, shot

__all__ = ["provider"]  # the fixture
# The sign-in through the provider is tested without a browser on both stores (tests/web/test_oidc_pages.py);
# the browser goes through the provider's own page, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def sso_site(database_url: str, tmp_path: Path, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    # The server reads the client id and secret from its environment (FIREBELL_ names are not passed on).
    monkeypatch.setenv("PRIA_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PRIA_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    with serving(database_url, tmp_path) as live:
        db = Database(make_engine(database_url))
        try:
            with db.unit_of_work() as session:  # after `serve --config` applied the test organisation
                session.add(OidcProvider(name="oidc", title="Example SSO", discovery_url=provider.discovery_url,
                                         client_id_env="PRIA_OIDC_CLIENT_ID",
                                         client_secret_env="PRIA_OIDC_CLIENT_SECRET",
                                         create_users=False, default_access="viewer"))
            yield Site(live=live, db=db)
        finally:
            db.dispose()


def _at_provider(page: Page, subject: str) -> None:
    page.get_by_placeholder("sub").fill(subject)
    page.get_by_role("button", name="Authorize").click()


def test_a_person_signs_in_at_the_provider_and_lands_on_the_incidents(sso_site: Site, provider: Provider,
                                                                      desktop: Page) -> None:
    provider.add_person("alice@example.com", name="Alice Andersson")
    desktop.goto(f"{sso_site.url}/incidents")
    expect(desktop).to_have_url(re.compile(r"/sign-in\?next=/incidents$"))
    shot(desktop, "sign-in-with-sso")
    desktop.get_by_role("link", name="Sign in with Example SSO").click()
    expect(desktop).to_have_url(re.compile(f"^{re.escape(provider.url)}/oauth2/authorize"))
    _at_provider(desktop, "alice@example.com")
    expect(desktop).to_have_url(f"{sso_site.url}/incidents")
    expect(desktop.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()
    expect(desktop.locator("header .who")).to_contain_text("Alice Andersson")
    shot(desktop, "incidents-signed-in-with-sso")

    # Someone the provider knows and Firebell does not is told why, and what to do.
    desktop.get_by_role("button", name="Sign out").click()
    provider.add_person("mallory@example.org")
    desktop.get_by_role("link", name="Sign in with Example SSO").click()
    _at_provider(desktop, "mallory@example.org")
    expect(desktop.get_by_role("alert")).to_have_text(
        "There is no Firebell account for mallory@example.org; ask an admin to add you.")
    shot(desktop, "sso-unknown-email")
