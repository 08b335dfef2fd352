from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.action_links import ActionClaim, InvalidToken, make_token, read_token

SECRET = b"s" * 32
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(hours=1)


def _token(
    *,
    secret: bytes = SECRET,
    action: str = "acknowledge",
    incident_id: str = "inc-42",
    user_id: str = "user-7",
    nonce: str = "n0nce",
    expires_at: datetime = EXPIRES,
) -> str:
    return make_token(secret, action, incident_id, user_id, nonce, expires_at)


TOKEN = _token()


def test_round_trip_returns_every_bound_field() -> None:
    assert read_token(SECRET, TOKEN, NOW) == ActionClaim("acknowledge", "inc-42", "user-7", "n0nce", EXPIRES)


def test_token_is_url_safe_without_padding() -> None:
    assert all(c.isalnum() or c in "-_." for c in TOKEN)
    assert "=" not in TOKEN


def test_non_ascii_fields_survive() -> None:
    claim = read_token(SECRET, _token(user_id="jörg@example.com", incident_id="事件-1"), NOW)
    assert (claim.user_id, claim.incident_id) == ("jörg@example.com", "事件-1")


def test_different_claims_give_different_tokens() -> None:
    assert _token(action="resolve") != TOKEN
    assert _token(nonce="other") != TOKEN


@pytest.mark.parametrize("index", range(len(TOKEN)))
def test_changing_any_character_is_rejected(index: int) -> None:
    replacement = "A" if TOKEN[index] != "A" else "B"
    tampered = TOKEN[:index] + replacement + TOKEN[index + 1 :]
    with pytest.raises(InvalidToken) as caught:
        read_token(SECRET, tampered, NOW)
    assert caught.value.reason in {"malformed", "bad signature"}


def test_swapping_in_another_claim_with_the_old_signature_is_a_bad_signature() -> None:
    resolve_payload = _token(action="resolve").split(".")[0]
    forged = resolve_payload + "." + TOKEN.split(".")[1]
    with pytest.raises(InvalidToken, match="bad signature"):
        read_token(SECRET, forged, NOW)


def test_wrong_secret_is_a_bad_signature() -> None:
    with pytest.raises(InvalidToken) as caught:
        read_token(b"x" * 32, TOKEN, NOW)
    assert caught.value.reason == "bad signature"


def test_valid_until_the_last_second_and_expired_at_the_boundary() -> None:
    assert read_token(SECRET, TOKEN, EXPIRES - timedelta(microseconds=1)).nonce == "n0nce"
    with pytest.raises(InvalidToken) as caught:
        read_token(SECRET, TOKEN, EXPIRES)
    assert caught.value.reason == "expired"
    assert str(caught.value) == "action link is invalid: expired"


def test_sub_second_expiry_is_rounded_down_never_extended() -> None:
    token = _token(expires_at=EXPIRES + timedelta(milliseconds=999))
    with pytest.raises(InvalidToken, match="expired"):
        read_token(SECRET, token, EXPIRES)


def test_expiry_in_another_timezone_means_the_same_instant() -> None:
    tokyo = EXPIRES.astimezone(ZoneInfo("Asia/Tokyo"))
    assert read_token(SECRET, _token(expires_at=tokyo), NOW).expires_at == EXPIRES


@pytest.mark.parametrize("garbage", ["", ".", "abc", "a.b.c", "!!!.???", "a" * 5000, "é.é", TOKEN + "."])
def test_garbage_is_malformed(garbage: str) -> None:
    with pytest.raises(InvalidToken, match="malformed"):
        read_token(SECRET, garbage, NOW)


def test_forged_expiry_is_reported_as_bad_signature_not_expired() -> None:
    with pytest.raises(InvalidToken, match="bad signature"):
        read_token(b"x" * 32, TOKEN, EXPIRES + timedelta(days=1))


def test_refuses_short_secret_naive_times_and_empty_fields() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        _token(secret=b"short")
    with pytest.raises(ValueError, match="timezone-aware"):
        _token(expires_at=datetime(2024, 5, 1, 13))
    with pytest.raises(ValueError, match="timezone-aware"):
        read_token(SECRET, TOKEN, datetime(2024, 5, 1, 12))
    with pytest.raises(ValueError, match="nonce must not be empty"):
        _token(nonce="")


@given(st.data())
def test_any_modified_token_is_rejected(data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(TOKEN)))
    cut = data.draw(st.integers(0, len(TOKEN) - position))
    inserted = data.draw(st.text(max_size=4))
    modified = TOKEN[:position] + inserted + TOKEN[position + cut :]
    if modified == TOKEN:
        return
    with pytest.raises(InvalidToken):
        read_token(SECRET, modified, NOW)


@given(st.binary(min_size=16, max_size=64))
def test_no_other_secret_accepts_the_token(other: bytes) -> None:
    if other == SECRET:
        return
    with pytest.raises(InvalidToken, match="bad signature"):
        read_token(other, TOKEN, NOW)
