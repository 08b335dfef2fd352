"""Single sign-on against a real OpenID provider over HTTP (oidc-provider-mock on 127.0.0.1), on
SQLite and PostgreSQL: the protocol half, below the pages (tests/web/test_oidc_pages.py drives the
routes)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from firebell.audit.models import AuditEntry
from firebell.auth.oidc import Refused, SignedIn
from firebell.auth.oidc_models import OidcAttempt
from firebell.org.models import User
from firebell.store.uow import Database
from tests.oidc.helpers import REDIRECT_URI, come_back, configure, go_to_provider
from tests.oidc.provider import CLIENT_ID, Provider


def _users(database: Database) -> list[str]:
    with database.unit_of_work(write=False) as session:
        return sorted(session.scalars(select(User.name)))


def test_a_verified_email_signs_in_its_user_whatever_its_case(database: Database, provider: Provider,
                                                              tmp_path: Path) -> None:
    configure(database, provider, tmp_path)
    provider.add_person("alice@example.COM")
    journey = go_to_provider(database, provider, "alice@example.COM")
    outcome = come_back(database, journey)
    assert isinstance(outcome, SignedIn), outcome
    assert (outcome.user_name, outcome.next_path, outcome.created) == ("alice", "/incidents/INC-7", False)
    # Authorization code with PKCE S256: the verifier sent with the code is the one the challenge was made of.
    sent = {k: v[0] for k, v in parse_qs(urlsplit(journey.authorization_url).query).items()}
    assert sent["code_challenge_method"] == "S256" and sent["response_type"] == "code"
    assert sent["redirect_uri"] == REDIRECT_URI and sent["client_id"] == CLIENT_ID
    assert "openid" in sent["scope"].split() and "email" in sent["scope"].split()
    [token_request] = [r for r in provider.token_requests if r.get("code") == journey.callback_params["code"]]
    digest = hashlib.sha256(token_request["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == sent["code_challenge"]
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(OidcAttempt)) == 0  # used up


def test_the_same_answer_cannot_sign_in_twice(database: Database, provider: Provider, tmp_path: Path) -> None:
    configure(database, provider, tmp_path)
    provider.add_person("bob@example.com")
    journey = go_to_provider(database, provider, "bob@example.com")
    assert isinstance(come_back(database, journey), SignedIn)
    again = come_back(database, journey)
    assert isinstance(again, Refused) and "already used" in again.message


def test_a_token_for_another_nonce_signs_nobody_in(database: Database, provider: Provider, tmp_path: Path) -> None:
    configure(database, provider, tmp_path)
    provider.add_person("alice@example.com")
    # The provider is asked for a token with a nonce other than the one this sign-in recorded.
    journey = go_to_provider(database, provider, "alice@example.com", tamper=("nonce", "replayed-nonce"))
    outcome = come_back(database, journey)
    assert isinstance(outcome, Refused) and "nonce" in outcome.reason
    assert "nobody was signed in" in outcome.message


def test_a_wrong_state_or_another_browser_signs_nobody_in(database: Database, provider: Provider,
                                                          tmp_path: Path) -> None:
    configure(database, provider, tmp_path)
    provider.add_person("alice@example.com")
    journey = go_to_provider(database, provider, "alice@example.com")
    forged = {**journey.callback_params, "state": "guessed-state"}
    assert isinstance(come_back(database, journey, params=forged), Refused)
    # The right state from a browser that did not start the sign-in (a link sent to a victim):
    other = come_back(database, journey, browser_secret="another-browser")
    assert isinstance(other, Refused) and other.status_code == 400
    # ... and the attempt is used up by that, so the real browser must start again.
    assert isinstance(come_back(database, journey), Refused)


def test_an_unknown_email_is_told_to_ask_an_admin_and_no_user_is_made(database: Database, provider: Provider,
                                                                      tmp_path: Path) -> None:
    configure(database, provider, tmp_path)
    provider.add_person("mallory@example.org")
    before = _users(database)
    outcome = come_back(database, go_to_provider(database, provider, "mallory@example.org"))
    assert isinstance(outcome, Refused)
    assert outcome.message == "There is no Firebell account for mallory@example.org; ask an admin to add you."
    assert _users(database) == before
    with database.unit_of_work(write=False) as session:
        assert session.scalars(select(AuditEntry.action).where(AuditEntry.subject == "mallory@example.org")).all() \
            == ["sign_in.oidc.refused"]


def test_an_unverified_email_signs_nobody_in(database: Database, provider: Provider, tmp_path: Path) -> None:
    configure(database, provider, tmp_path, create_users=True)
    provider.add_person("bob@example.com", verified=False)
    outcome = come_back(database, go_to_provider(database, provider, "bob@example.com"))
    assert isinstance(outcome, Refused) and "email_verified" in outcome.reason


def test_create_users_makes_a_viewer_that_the_next_apply_leaves_alone(database: Database, provider: Provider,
                                                                      tmp_path: Path) -> None:
    configure(database, provider, tmp_path, create_users=True)
    provider.add_person("Carol.Jones@example.org", name="Carol Jones")
    outcome = come_back(database, go_to_provider(database, provider, "Carol.Jones@example.org"))
    assert isinstance(outcome, SignedIn) and outcome.created
    # The tree does not name carol-jones: applying it again must not archive her.
    configure(database, provider, tmp_path, create_users=True)
    with database.unit_of_work(write=False) as session:
        carol = session.scalars(select(User).where(User.name == "carol-jones")).one()
        assert (carol.id, carol.access, carol.full_name) == (outcome.user_id, "viewer", "Carol Jones")
        assert carol.archived_at is None and carol.origin == "sign-in" and carol.timezone == "Europe/Stockholm"
    # Signing in again finds her rather than making another.
    again = come_back(database, go_to_provider(database, provider, "Carol.Jones@example.org"))
    assert isinstance(again, SignedIn) and not again.created and again.user_name == "carol-jones"
