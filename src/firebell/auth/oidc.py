"""Single sign-on with OpenID Connect: the authorization code flow with PKCE (S256), `state` and
`nonce`, against the provider of `sign_in.oidc`.

`begin` records the sign-in (oidc_attempts, keyed by the hash of `state`, bound to the browser by a
random secret the browser keeps in a cookie) and gives the provider's URL; `finish` takes the
provider's answer, uses up the attempt whatever happens, exchanges the code, checks the ID token's
signature with the provider's published keys (JWKS) and hands its claims to core/oidc for the rest
(issuer, audience, expiry, nonce, verified email), then finds the user by that email, or makes one
when the configuration allows. Starting the browser session is the caller's (web).

Each opens its own units of work, none of them open while the provider is asked anything (on SQLite a
write holds the database's one lock). `finish` returns an outcome rather than raising, so that the
used-up attempt and the audit entry of a refusal are committed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote_plus

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete
from sqlalchemy.orm import Session

from firebell.audit.log import record
from firebell.auth.oidc_models import OidcAttempt, OidcProvider
from firebell.core.constant_time import constant_time_equals
from firebell.core.oidc import TokenRefused, handle_for, match_user, verified_email
from firebell.org.models import User
from firebell.org.people import active_addresses, add_signed_in_user, taken_names
from firebell.store.uow import Database

log = logging.getLogger(__name__)

ATTEMPT_LIFETIME = timedelta(minutes=10)  # from the click to the provider's answer, a password typed included
SCOPES = "openid email profile"
# Asymmetric algorithms only: with HS256 the "key" is the client secret, and a token could be made by
# anyone who holds it (every instance of this server, for one).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
METADATA_LIFETIME = 600.0  # seconds a discovery document and its keys are reused
HTTP_TIMEOUT = 10.0


class SignInUnavailable(Exception):
    """Single sign-on is not configured here, or cannot be used now (a variable unset, the provider down)."""


@dataclass(frozen=True)
class OidcSettings:
    title: str  # what the sign-in page calls the provider
    discovery_url: str
    client_id: str
    client_secret: str
    create_users: bool
    default_access: str


def provider_title(session: Session) -> str | None:
    """The provider's name for the sign-in page, or None when single sign-on is not configured."""
    row = session.get(OidcProvider, "oidc")
    if row is None:
        return None
    return row.title or _host(row.discovery_url)


def _host(url: str) -> str:
    return httpx.URL(url).host or url


def load_settings(session: Session, env: Mapping[str, str] | None = None) -> OidcSettings:
    """The configured provider with its client id and secret read from the environment now (config
    validation checked them when the tree was applied; the server's environment may still differ)."""
    row = session.get(OidcProvider, "oidc")
    if row is None:
        raise SignInUnavailable("single sign-on is not configured")
    env = os.environ if env is None else env
    client_id, client_secret = env.get(row.client_id_env, ""), env.get(row.client_secret_env, "")
    if not client_id or not client_secret:
        missing = row.client_id_env if not client_id else row.client_secret_env
        raise SignInUnavailable(f"environment variable {missing} is not set on this server")
    return OidcSettings(title=row.title or _host(row.discovery_url), discovery_url=row.discovery_url,
                        client_id=client_id, client_secret=client_secret, create_users=row.create_users,
                        default_access=row.default_access)


# --- the provider's metadata and keys ---------------------------------------------------------------

@dataclass(frozen=True)
class _Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    keys: KeySet
    fetched: float


_cache: dict[str, _Provider] = {}
_cache_lock = threading.Lock()


def _provider(discovery_url: str, *, refresh: bool = False) -> _Provider:
    """The discovery document and keys, fetched at most every METADATA_LIFETIME seconds (or again on
    `refresh`: the provider may have rotated its keys)."""
    with _cache_lock:
        cached = _cache.get(discovery_url)
    if cached is not None and not refresh and time.monotonic() - cached.fetched < METADATA_LIFETIME:
        return cached
    try:
        with httpx.Client(timeout=HTTP_TIMEOUT) as http:
            metadata = _json(http.get(discovery_url))
            found = _Provider(
                issuer=str(metadata["issuer"]),
                authorization_endpoint=str(metadata["authorization_endpoint"]),
                token_endpoint=str(metadata["token_endpoint"]),
                jwks_uri=str(metadata["jwks_uri"]),
                keys=KeySet.import_key_set(_json(http.get(str(metadata["jwks_uri"])))),  # type: ignore[arg-type]
                fetched=time.monotonic())
    except (httpx.HTTPError, KeyError, ValueError, JoseError) as exc:
        raise SignInUnavailable(f"cannot read the provider's discovery document or keys at {discovery_url}: "
                                f"{exc!r}") from exc
    with _cache_lock:
        _cache[discovery_url] = found
    return found


def _json(response: httpx.Response) -> dict[str, Any]:
    response.raise_for_status()
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"{response.url} did not answer with a JSON object")
    return body


def _client_auth(settings: OidcSettings) -> httpx.BasicAuth:
    """client_secret_basic, the method every provider supports: id and secret form-encoded first
    (RFC 6749, section 2.3.1), which httpx's BasicAuth does not do."""
    return httpx.BasicAuth(quote_plus(settings.client_id), quote_plus(settings.client_secret))


# --- the flow -------------------------------------------------------------------------------------

def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Begun:
    authorization_url: str
    browser_secret: str  # the caller puts it in a short-lived HttpOnly cookie


def begin(db: Database, *, redirect_uri: str, next_path: str, now: datetime, browser_secret: str | None = None,
          env: Mapping[str, str] | None = None) -> Begun:
    """Record a sign-in and give the provider's URL to send the browser to. `next_path` must already be
    a safe path of this site. A browser starting a second sign-in keeps its secret, so two tabs both work.
    The provider is asked for its metadata outside any transaction (a write would hold SQLite's lock)."""
    with db.unit_of_work(write=False) as session:
        settings = load_settings(session, env)
    provider = _provider(settings.discovery_url)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    browser_secret = browser_secret or secrets.token_urlsafe(32)
    with db.unit_of_work() as session:
        session.execute(delete(OidcAttempt).where(OidcAttempt.expires_at <= now))  # old ones, abandoned
        session.add(OidcAttempt(state_hash=_hash(state), browser_hash=_hash(browser_secret), nonce=nonce,
                                code_verifier=verifier, next_path=next_path, redirect_uri=redirect_uri,
                                expires_at=now + ATTEMPT_LIFETIME))
    url = prepare_grant_uri(provider.authorization_endpoint, client_id=settings.client_id, response_type="code",
                            redirect_uri=redirect_uri, scope=SCOPES, state=state, nonce=nonce,
                            code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256")
    return Begun(authorization_url=url, browser_secret=browser_secret)


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    user_name: str
    next_path: str
    created: bool  # the user was made by this sign-in


@dataclass(frozen=True)
class Refused:
    """Why nobody was signed in: `message` for the person, `reason` for the log and the audit trail."""

    message: str
    reason: str
    status_code: int = 403


@dataclass(frozen=True)
class _Taken:
    """What the sign-in under way recorded, once it is used up."""

    nonce: str
    code_verifier: str
    next_path: str
    redirect_uri: str


STALE = ("This sign-in link has expired or was already used, or was started in another browser. "
         "Start again from the sign-in page.")
UNTRUSTED = ("The sign-in provider's answer could not be trusted, so nobody was signed in. Start again from the "
             "sign-in page.")


def finish(db: Database, *, params: Mapping[str, str], browser_secret: str | None, now: datetime,
           env: Mapping[str, str] | None = None) -> SignedIn | Refused:
    """The provider sent the browser back with `params` (the callback's query string). Three steps: use
    up the attempt (committed whatever follows), talk to the provider outside any transaction, then find
    or make the user."""
    with db.unit_of_work(write=False) as session:
        settings = load_settings(session, env)
    with db.unit_of_work() as session:
        taken = _take(session, params, browser_secret, now)
    if isinstance(taken, Refused):
        return taken
    try:
        claims = _exchange(settings, taken, params["code"])
        email = verified_email(claims, issuer=_provider(settings.discovery_url).issuer,
                               client_id=settings.client_id, nonce=taken.nonce, now=now)
    except TokenRefused as exc:
        with db.unit_of_work() as session:
            return _refuse(session, now, Refused(UNTRUSTED, str(exc)))
    with db.unit_of_work() as session:
        return _person(session, settings, email, str(claims.get("name") or ""), taken.next_path, now)


def _take(session: Session, params: Mapping[str, str], browser_secret: str | None, now: datetime) -> _Taken | Refused:
    state = params.get("state", "")
    attempt = session.get(OidcAttempt, _hash(state)) if state else None
    if attempt is None:  # logged, not audited: anyone can send a made-up state
        log.warning("single sign-on refused: no sign-in under way has this state")
        return Refused(STALE, "no sign-in under way has this state", 400)
    session.delete(attempt)  # used once, whatever follows
    if attempt.expires_at <= now or not browser_secret or not constant_time_equals(
            _hash(browser_secret), attempt.browser_hash):
        return _refuse(session, now, Refused(STALE, "the sign-in expired or another browser finished it", 400))
    if "error" in params or not params.get("code"):
        reason = f"the provider answered {params.get('error', 'without a code')}: {params.get('error_description', '')}"
        return _refuse(session, now, Refused("The sign-in provider did not sign you in. Start again from the "
                                             "sign-in page, or ask an admin.", reason.strip(": ")))
    return _Taken(attempt.nonce, attempt.code_verifier, attempt.next_path, attempt.redirect_uri)


def _exchange(settings: OidcSettings, attempt: _Taken, code: str) -> dict[str, Any]:
    """The code for tokens (with the PKCE verifier), and the ID token's claims once its signature is good."""
    provider = _provider(settings.discovery_url)
    body = prepare_token_request("authorization_code", code=code, redirect_uri=attempt.redirect_uri,
                                 code_verifier=attempt.code_verifier)
    try:
        with httpx.Client(timeout=HTTP_TIMEOUT) as http:
            token = _json(http.post(provider.token_endpoint, content=body, auth=_client_auth(settings), headers={
                "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}))
    except (httpx.HTTPError, ValueError) as exc:
        raise TokenRefused(f"the provider did not exchange the code: {exc!r}") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise TokenRefused("the provider's token answer holds no ID token")
    for refresh in (False, True):
        try:
            keys = _provider(settings.discovery_url, refresh=refresh).keys
            return dict(jwt.decode(id_token, keys, algorithms=ALGORITHMS).claims)
        except JoseError as exc:
            if refresh:
                raise TokenRefused(f"the ID token's signature does not verify: {exc!r}") from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _person(session: Session, settings: OidcSettings, email: str, name: str, next_path: str,
            now: datetime) -> SignedIn | Refused:
    match = match_user(email, active_addresses(session))
    if match.ambiguous:
        return _refuse(session, now, Refused(f"More than one Firebell account has the address {email}, so "
                                             "signing in cannot tell which is yours; ask an admin.",
                                             f"several users have {email}"), email)
    if match.user_id is not None:
        user = session.get(User, match.user_id)
        assert user is not None
        record(session, actor=user.name, action="sign_in.oidc", subject=user.name,
               details={"email": email}, now=now)
        return SignedIn(user.id, user.name, next_path, created=False)
    if not settings.create_users:
        return _refuse(session, now, Refused(f"There is no Firebell account for {email}; ask an admin to add "
                                             "you.", f"no user has {email}"), email)
    user = add_signed_in_user(session, name=handle_for(email, taken_names(session)), email=email,
                              full_name=name, access=settings.default_access)
    record(session, actor=user.name, action="user.create", subject=user.name,
           details={"email": email, "access": user.access, "via": "sign_in.oidc"}, now=now)
    record(session, actor=user.name, action="sign_in.oidc", subject=user.name, details={"email": email}, now=now)
    return SignedIn(user.id, user.name, next_path, created=True)


def _refuse(session: Session, now: datetime, refused: Refused, email: str = "") -> Refused:
    log.warning("single sign-on refused: %s", refused.reason)
    record(session, actor="sign-in", action="sign_in.oidc.refused", subject=email,
           details={"reason": refused.reason}, now=now)
    return refused
