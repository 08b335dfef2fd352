"""Single sign-on decisions (OpenID Connect), pure: what a verified ID token says about who signed in,
which user that is, and the name a user made by sign-in gets. The shell (auth/oidc.py) does the
HTTP, checks the token's signature against the provider's keys and hands the claims here.

Refusals carry a reason for the log and the audit trail; the person sees a plain sentence instead
(a token's details help an attacker more than a colleague at 3 a.m.).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from firebell.core.constant_time import constant_time_equals

# Clocks of the provider and of this server differ a little.
CLOCK_LEEWAY = timedelta(seconds=60)
_HANDLE_CHARACTERS = re.compile(r"[^a-z0-9_\-]+")
_MAX_HANDLE = 100


class TokenRefused(Exception):
    """The ID token does not sign this person in here; the message says why (for logs, not people)."""


def _instant(value: object, claim: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenRefused(f"the ID token's {claim} is not a number of seconds")
    return datetime.fromtimestamp(value, UTC)


def verified_email(claims: Mapping[str, object], *, issuer: str, client_id: str, nonce: str,
                   now: datetime, leeway: timedelta = CLOCK_LEEWAY) -> str:
    """The email address the provider vouches for, from the claims of an ID token whose signature
    the caller has checked; TokenRefused when the token was not issued by `issuer` to `client_id` for
    the sign-in that sent `nonce`, is out of date, or carries no verified email (OpenID Connect Core,
    section 3.1.3.7)."""
    if claims.get("iss") != issuer:
        raise TokenRefused(f"the ID token was issued by {claims.get('iss')!r}, not {issuer!r}")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if client_id not in audiences:
        raise TokenRefused("the ID token is not meant for this client (aud)")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise TokenRefused("the ID token has several audiences and this client is not its authorized party (azp)")
    if now >= _instant(claims.get("exp"), "exp") + leeway:
        raise TokenRefused("the ID token has expired (exp)")
    if "iat" in claims and _instant(claims["iat"], "iat") > now + leeway:
        raise TokenRefused("the ID token was issued in the future (iat)")
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not constant_time_equals(sent, nonce):
        raise TokenRefused("the ID token's nonce is not the one this sign-in sent")
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise TokenRefused("the ID token carries no email address (is the email scope granted?)")
    # Some providers send the boolean as a string.
    if claims.get("email_verified") not in (True, "true"):
        raise TokenRefused(f"the provider has not verified {email} (email_verified)")
    return email


def same_address(a: str, b: str) -> bool:
    """Email addresses compared as people use them: case does not matter, surrounding spaces neither."""
    return a.strip().casefold() == b.strip().casefold()


@dataclass(frozen=True)
class UserMatch:
    """The user an address belongs to: `user_id`, or None with `ambiguous` when several users share it."""

    user_id: str | None
    ambiguous: bool = False


def match_user(email: str, users: Sequence[tuple[str, str]]) -> UserMatch:
    """The one active user (id, address) whose address is `email`. Two users with the same address make
    it nobody's: signing in as either would be a guess."""
    found = [user_id for user_id, address in users if same_address(address, email)]
    if len(found) > 1:
        return UserMatch(None, ambiguous=True)
    return UserMatch(found[0] if found else None)


def handle_for(email: str, taken: set[str]) -> str:
    """The name of a user made by sign-in: the address's local part as a configuration name (lowercase
    letters, digits, '-' and '_'), with -2, -3, ... when it is taken."""
    local = email.rsplit("@", 1)[0].casefold()
    base = _HANDLE_CHARACTERS.sub("-", local).strip("-_")[: _MAX_HANDLE - 4] or "user"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name
