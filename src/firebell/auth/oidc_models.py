"""Single sign-on with OpenID Connect: the provider configuration applies, and the sign-ins under way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.base import Base, UTCDateTime


class OidcProvider(Base):
    """The provider of `sign_in.oidc`, written by config apply (one row, named "oidc"). The client id
    and secret stay in the environment: only the names of their variables are stored."""

    __tablename__ = "oidc_providers"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    title: Mapped[str] = mapped_column(String(60), default="")
    discovery_url: Mapped[str] = mapped_column(String(2000))
    client_id_env: Mapped[str] = mapped_column(String(200))
    client_secret_env: Mapped[str] = mapped_column(String(200))
    create_users: Mapped[bool] = mapped_column(Boolean, default=False)
    default_access: Mapped[str] = mapped_column(String(20), default="viewer")


class OidcAttempt(Base):
    """A sign-in sent to the provider and not back yet. Kept in the database (not in a cookie) so that
    every server instance can finish it and so that it is used once: the callback deletes it. The
    browser that started it holds a random secret whose hash is `browser_hash`; a callback from any
    other browser (a link an attacker sends, with their own code) finds no attempt to finish."""

    __tablename__ = "oidc_attempts"
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of `state`
    browser_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(2000))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
