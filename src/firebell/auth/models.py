"""API tokens (stored hashed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from firebell.org.models import User
from firebell.store.base import Base, UTCDateTime, id_column


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings, never enough to use
    # What the token opens: "api" (Firebell's API, by its role) or "statuspage" (only the status page's
    # management API, Statuspage's v1: a key handed to a Terraform provider or a script opens nothing else).
    scope: Mapped[str] = mapped_column(String(20), default="api", server_default="api")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user: Mapped[User] = relationship(lazy="joined")


class Password(Base):
    """A person's password for signing in to the web console, as an argon2id hash. A user without a
    row cannot sign in by password (single sign-on, or not invited yet). Its own table, not a column
    of `users`: the organisation's tables are written by configuration, this one only by auth."""

    __tablename__ = "passwords"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A signed-in browser. The cookie holds a random secret; only its SHA-256 is stored, so a copy of
    the database signs nobody in. `id` is the session's public name (listing, revoking)."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = id_column()
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    idle_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # absolute: no use extends it
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    csrf_secret: Mapped[str] = mapped_column(String(64))  # every form of this session carries it
    via: Mapped[str] = mapped_column(String(20), default="password")  # how the person signed in
    client_address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    user: Mapped[User] = relationship(lazy="joined")


class SignInFailure(Base):
    """A failed password sign-in, kept for the throttle's window (core/sign_in.locked_until): per the
    name tried (whether or not such an account exists) and per client address."""

    __tablename__ = "sign_in_failures"
    id: Mapped[str] = id_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_name: Mapped[str] = mapped_column(String(100), index=True)
    client_address: Mapped[str] = mapped_column(String(64), index=True)


class PasswordLink(Base):
    """A one-time link to set a password: an invitation, or a reset. Only the SHA-256 of the link's
    secret is stored; it works once, for a while."""

    __tablename__ = "password_links"
    id: Mapped[str] = id_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invite, reset
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user: Mapped[User] = relationship(lazy="joined")
