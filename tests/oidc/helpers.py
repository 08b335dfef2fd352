"""A small organisation with single sign-on configured against the test provider, and one sign-in
driven over HTTP the way a browser would go: Firebell -> the provider's form -> Firebell's callback."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from firebell.auth.oidc import Refused, SignedIn, begin, finish
from firebell.config import apply, load
from firebell.store.uow import Database
from tests.oidc.provider import CLIENT_ID, CLIENT_SECRET, Provider

ENV = {"FIREBELL_OIDC_CLIENT_ID": CLIENT_ID, "FIREBELL_OIDC_CLIENT_SECRET": CLIENT_SECRET}
REDIRECT_URI = "http://firebell.test/sign-in/oidc/callback"


def tree(provider: Provider, *, create_users: bool = False) -> str:
    return textwrap.dedent(f"""\
        organisation: {{name: PRIA, timezone: Europe/Stockholm}}
        teams: [{{name: platform}}]
        users:
          - {{name: alice, full_name: Alice Andersson, email: Alice@Example.com, access: admin, teams: [platform]}}
          - {{name: bob, email: bob@example.com, teams: [platform]}}
        sign_in:
          oidc:
            title: Example SSO
            discovery_url: {provider.discovery_url}
            client_id_env: FIREBELL_OIDC_CLIENT_ID
            client_secret_env: FIREBELL_OIDC_CLIENT_SECRET
            create_users: {str(create_users).lower()}
            default_access: viewer
        """)


def configure(database: Database, provider: Provider, directory: Path, *, create_users: bool = False) -> None:
    path = directory / "firebell.yaml"
    path.write_text(tree(provider, create_users=create_users), encoding="utf-8")
    result = load(path, ENV)
    assert result.config is not None, "\n".join(map(str, result.errors))
    with database.unit_of_work() as session:
        apply(session, result.config, now=datetime.now(UTC), env=ENV)


@dataclass
class Journey:
    authorization_url: str
    callback_params: dict[str, str]
    browser_secret: str


def go_to_provider(database: Database, provider: Provider, subject: str, *, next_path: str = "/incidents/INC-7",
                   tamper: tuple[str, str] | None = None) -> Journey:
    """Start a sign-in and sign in at the provider as `subject`; `tamper` replaces one parameter of the
    authorization request on its way to the provider (what an attacker in the middle could try)."""
    begun = begin(database, redirect_uri=REDIRECT_URI, next_path=next_path, now=datetime.now(UTC), env=ENV)
    url = begun.authorization_url
    if tamper is not None:
        name, value = tamper
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        query[name] = value
        url = urlsplit(url)._replace(query="&".join(f"{k}={v}" for k, v in query.items())).geturl()
    callback = provider.authorize(url, subject)
    assert callback.startswith(REDIRECT_URI), callback
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    return Journey(begun.authorization_url, params, begun.browser_secret)


def come_back(database: Database, journey: Journey, *, params: dict[str, str] | None = None,
              browser_secret: str | None = "same") -> SignedIn | Refused:
    secret = journey.browser_secret if browser_secret == "same" else browser_secret
    return finish(database, params=params or journey.callback_params, browser_secret=secret, now=datetime.now(UTC),
                  env=ENV)
