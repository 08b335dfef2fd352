"""Single sign-on's pure decisions: what an ID token's claims must say, and who an address is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.config.schema import SLUG
from firebell.core.oidc import TokenRefused, handle_for, match_user, same_address, verified_email

NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Europe's clocks go forward: nothing here cares
ISSUER = "https://id.example.com"
CLIENT = "firebell"
NONCE = "n-0123456789"


def _claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER, "aud": CLIENT, "sub": "248289761001", "nonce": NONCE, "email": "alice@example.com",
        "email_verified": True, "iat": int(NOW.timestamp()) - 5, "exp": int(NOW.timestamp()) + 300,
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def _email(claims: dict[str, Any], now: datetime = NOW) -> str:
    return verified_email(claims, issuer=ISSUER, client_id=CLIENT, nonce=NONCE, now=now)


def test_a_good_token_gives_its_verified_email() -> None:
    assert _email(_claims()) == "alice@example.com"
    assert _email(_claims(aud=[CLIENT, "other"], azp=CLIENT, email_verified="true")) == "alice@example.com"


@pytest.mark.parametrize(("changes", "reason"), [
    ({"iss": "https://evil.example.com"}, "issued by"),
    ({"iss": None}, "issued by"),
    ({"aud": "another-client"}, "aud"),
    ({"aud": ["another-client"]}, "aud"),
    ({"aud": [CLIENT, "other"]}, "azp"),  # several audiences and no authorized party
    ({"aud": [CLIENT, "other"], "azp": "other"}, "azp"),
    ({"exp": int((NOW - timedelta(minutes=2)).timestamp())}, "expired"),
    ({"exp": None}, "exp"),
    ({"exp": "tomorrow"}, "exp"),
    ({"iat": int((NOW + timedelta(minutes=5)).timestamp())}, "future"),
    ({"nonce": "n-other"}, "nonce"),
    ({"nonce": None}, "nonce"),
    ({"nonce": "n-ö"}, "nonce"),  # not even ASCII: unequal, not an error
    ({"email": None}, "email"),
    ({"email_verified": False}, "email_verified"),
    ({"email_verified": None}, "email_verified"),
    ({"email_verified": "yes"}, "email_verified"),
])
def test_a_token_that_fails_one_check_is_refused(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(TokenRefused, match=reason):
        _email(_claims(**changes))


@given(st.integers(min_value=-3600, max_value=3600))
def test_expiry_allows_a_minute_of_clock_difference_and_no_more(offset: int) -> None:
    """A token is good until a minute past its exp, measured on this server's clock."""
    exp = NOW + timedelta(seconds=offset)
    claims = _claims(exp=int(exp.timestamp()))
    if offset > -60:
        assert _email(claims) == "alice@example.com"
    else:
        with pytest.raises(TokenRefused):
            _email(claims)


addresses = st.emails()


@given(addresses, st.randoms(use_true_random=False))
def test_an_address_matches_its_user_whatever_the_case(email: str, random: Any) -> None:
    shouted = "".join(c.upper() if random.random() < 0.5 else c.lower() for c in email)
    assert same_address(shouted, email)
    assert match_user(shouted, [("u1", email), ("u2", "someone.else@example.net")]).user_id == (
        "u1" if not same_address(email, "someone.else@example.net") else None)


@given(addresses)
def test_an_address_two_users_share_is_nobodys(email: str) -> None:
    match = match_user(email, [("u1", email), ("u2", email.upper())])
    assert match.user_id is None and match.ambiguous
    assert match_user(email, []).user_id is None and not match_user(email, []).ambiguous


@given(st.text(min_size=1, max_size=80).map(lambda local: f"{local}@example.com"),
       st.sets(st.text(alphabet="abc-2", max_size=6), max_size=8))
def test_a_made_users_name_is_a_valid_unused_name(email: str, taken: set[str]) -> None:
    name = handle_for(email, taken)
    assert SLUG.match(name) and name not in taken and len(name) <= 100


def test_a_made_users_name_reads_like_the_address() -> None:
    assert handle_for("Carol.Jones@example.org", set()) == "carol-jones"
    assert handle_for("carol_j@example.org", {"carol_j", "carol_j-2"}) == "carol_j-3"
    assert handle_for("été@example.org", set()) == "t"
    assert handle_for("+++@example.org", set()) == "user"
