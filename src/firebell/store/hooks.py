"""Work tied to one transaction: run just before it commits or once it has committed, and dropped
with it when it rolls back (explicitly or by an error).

The unit of work (store/uow.py) runs them. A domain registers what its transaction needs (buffered
rows to write, engines to wake) here, on its own session, instead of listening on every Session of
the process from import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, SessionTransaction

BeforeCommit = Callable[[Session], None]
AfterCommit = Callable[[], None]
_KEY = "firebell.commit_hooks"


@dataclass
class _Hooks:
    """One transaction's hooks, each once (a dict keeps the order they were first registered in)."""

    transaction: SessionTransaction
    before: dict[BeforeCommit, None] = field(default_factory=dict)
    after: dict[AfterCommit, None] = field(default_factory=dict)


def _registering(session: Session) -> _Hooks:
    # Begun here if nothing has yet: a hook registered before the first statement belongs to the
    # transaction that statement will run in.
    transaction = session.get_transaction() or session.begin()
    found = session.info.get(_KEY)
    if not isinstance(found, _Hooks) or found.transaction is not transaction:
        found = session.info[_KEY] = _Hooks(transaction)
    return found


def _current(session: Session) -> _Hooks | None:
    """The hooks of the session's current transaction; None after a rollback dropped them."""
    found = session.info.get(_KEY)
    if isinstance(found, _Hooks) and found.transaction is session.get_transaction():
        return found
    return None


def before_commit(session: Session, fn: BeforeCommit) -> None:
    """Run `fn(session)` just before this transaction commits, inside it (buffered writes go out).
    Registering the same function again in one transaction runs it once."""
    _registering(session).before[fn] = None


def after_commit(session: Session, fn: AfterCommit) -> None:
    """Run `fn()` once this transaction has committed; never if it rolls back. Registering the same
    function again in one transaction runs it once."""
    _registering(session).after[fn] = None


def run_before_commit(session: Session) -> None:
    """The unit of work's last step before COMMIT. A hook may register another (a flush whose
    statements buffer more): those run too, in order."""
    hooks = _current(session)
    if hooks is None:
        return
    ran: set[BeforeCommit] = set()
    while pending := [fn for fn in hooks.before if fn not in ran]:
        for fn in pending:
            ran.add(fn)
            fn(session)


def take_after_commit(session: Session) -> list[AfterCommit]:
    """Just before COMMIT: what to run once it has succeeded (the session forgets them)."""
    hooks = _current(session)
    session.info.pop(_KEY, None)
    return list(hooks.after) if hooks is not None else []
