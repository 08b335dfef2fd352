"""The server's secret material: kept out of the database, so that write access to the database is
not enough to forge what the server signs or seals with it. Every use derives its own key from it
(the audit chain: core/audit_chain.audit_key).

Where it comes from, first found wins:
1. FIREBELL_SECRET_KEY (at least 32 bytes);
2. the file FIREBELL_SECRET_KEY_FILE names (e.g. a container secret);
3. for a SQLite database file, a key file beside it (firebell.db -> firebell.db.key), made with
   random bytes on first use and readable by its owner only. Back it up with the database, apart
   from it: without it, the audit chain cannot be verified;
4. none: PostgreSQL has no "beside" shared by every instance, so it needs 1 or 2.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from firebell.core.errors import DecisionError
from firebell.store.db import sqlite_file

SECRET_ENV = "FIREBELL_SECRET_KEY"
SECRET_FILE_ENV = "FIREBELL_SECRET_KEY_FILE"
MIN_SECRET_BYTES = 32
KEY_FILE_SUFFIX = ".key"

_read: dict[Path, bytes] = {}  # a key file is made once and never changed: read it once
_lock = threading.Lock()


class MissingServerSecret(DecisionError):
    """The server has no usable secret: a configuration problem, not the request's."""

    kind = "misconfigured"


def server_secret(engine: Engine, *, create: bool = True) -> bytes:
    """The secret of the server whose database `engine` opens (see the module's docstring).
    `create=False` for checks of what was sealed before: a key made now could not verify it."""
    configured = os.environ.get(SECRET_ENV, "")
    if configured:
        return _usable(configured.encode(), SECRET_ENV)
    named = os.environ.get(SECRET_FILE_ENV, "")
    if named:
        return _from_file(Path(named), create=False)
    beside = key_file_beside(engine)
    if beside is None:
        raise MissingServerSecret(
            f"set {SECRET_ENV} (at least {MIN_SECRET_BYTES} random bytes, the same on every instance) or "
            f"{SECRET_FILE_ENV}: a {engine.dialect.name} database has no key file beside it")
    return _from_file(beside, create=create)


def key_file_beside(engine: Engine) -> Path | None:
    database = sqlite_file(engine.url)
    return None if database is None else Path(f"{database}{KEY_FILE_SUFFIX}")


def _usable(secret: bytes, source: str) -> bytes:
    if len(secret) < MIN_SECRET_BYTES:
        raise MissingServerSecret(
            f"{source} is {len(secret)} bytes; use at least {MIN_SECRET_BYTES} random bytes, e.g. "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    return secret


def _from_file(path: Path, *, create: bool) -> bytes:
    with _lock:
        known = _read.get(path)
        if known is not None:
            return known
        if create and not path.exists():
            _make(path)
        try:
            secret = _usable(path.read_bytes().strip(), str(path))
        except OSError as exc:
            raise MissingServerSecret(f"cannot read the server's key file {path}: {exc.strerror}") from None
        _read[path] = secret
        return secret


def _make(path: Path) -> None:
    """Write the key to a private temporary file, then link it into place: another process making
    it at the same moment either wins the link (and both use its key) or loses, never reads half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process's key is in place: theirs is ours
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def link_secret(session: Session) -> bytes:
    """The key that signs action links and calendar feed URLs: the server's secret itself, never in
    the database, so reading the database is not enough to forge a link. It is used as it is, as
    links and feeds were signed before; each signs its own kind of message (core/action_links,
    oncall/feeds), and the audit chain derives a key of its own."""
    return server_secret(session.get_bind().engine)
