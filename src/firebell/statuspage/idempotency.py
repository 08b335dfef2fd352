"""`Idempotency-Key` on the management API's writes: a script that retries a POST after a timeout
must not open a second public incident or mail every subscriber twice.

The first request with a key does its write and stores its answer in the same transaction; a later one
with the same key, from the same token, within a day, gets that stored answer back without writing
again. The key names one request: reused for a different one (another method, path or body) it is a 422,
never a silent replay of the wrong answer. Two requests with one key at the same moment cannot both
write: the unique (token, key) pair makes the second transaction fail, and it then answers with the
first one's stored reply, or a 409 while the first is still running.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from firebell.errors import Conflict, Invalid
from firebell.store.base import Base, JSONType, UTCDateTime, id_column
from firebell.store.uow import Database

KEPT_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotentWrite(Base):
    """The answer to one keyed write, kept for a day."""

    __tablename__ = "statuspage_idempotent_writes"
    __table_args__ = (UniqueConstraint("token_id", "key"),)
    id: Mapped[str] = id_column()
    token_id: Mapped[str] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and body
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Reply:
    status_code: int
    body: Any
    replayed: bool = False


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def checked_key(raw: str | None) -> str | None:
    """The header's value, or None without one; a key no client could mean is refused, not truncated."""
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters")
    return key


def _earlier(session: Session, token_id: str, key: str, print_: str, now: datetime) -> Reply | None:
    row = session.execute(select(IdempotentWrite).where(IdempotentWrite.token_id == token_id,
                                                        IdempotentWrite.key == key)).scalar_one_or_none()
    if row is None or row.created_at <= now - KEPT_FOR:
        return None
    if row.fingerprint != print_:
        raise Invalid("this Idempotency-Key was used for a different request; use a new key for a new request")
    return Reply(row.status_code, row.body, replayed=True)


def run_once(db: Database, *, token_id: str, key: str | None, request_print: str, now: datetime,
             write: Callable[[Session], Reply]) -> Reply:
    """Run `write` in one unit of work, or answer what the same keyed request answered before."""
    if key is None:
        with db.unit_of_work() as session:
            return write(session)
    claimed = False  # our row reached the database: an IntegrityError after this is the write's own
    try:
        with db.unit_of_work() as session:
            earlier = _earlier(session, token_id, key, request_print, now)
            if earlier is not None:
                return earlier
            # A key older than a day is free again; so are the token's other expired keys.
            session.execute(delete(IdempotentWrite).where(IdempotentWrite.token_id == token_id,
                                                          IdempotentWrite.created_at <= now - KEPT_FOR))
            # The key first: on PostgreSQL a second request with it waits here for the first to finish.
            row = IdempotentWrite(token_id=token_id, key=key, fingerprint=request_print, status_code=0,
                                  body=None, created_at=now)
            session.add(row)
            session.flush()
            claimed = True
            reply = write(session)
            row.status_code, row.body = reply.status_code, reply.body
            return reply
    except IntegrityError:
        if claimed:
            raise
    with db.unit_of_work(write=False) as session:
        earlier = _earlier(session, token_id, key, request_print, now)
    if earlier is not None:
        return earlier
    raise Conflict("a request with this Idempotency-Key is still being processed; retry it shortly")
