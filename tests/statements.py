"""Counting the statements a piece of code sends: the tests that keep a page's round trips from
growing with its rows (tests/api/test_listing.py, tests/web/test_page_cost.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """The statements sent while the block runs (SQLite's explicit BEGIN is no round trip: left out)."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement != "BEGIN":
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
