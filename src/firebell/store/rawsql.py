"""Driver-level statements for the few hot paths where SQLAlchemy's per-statement overhead is the
cost (ingestion spends ~90% of its time there otherwise; see bench/README.md).

Statements are written once with `:name` parameters and run on the session's own DBAPI connection,
inside the caller's transaction, so they mix freely with ORM work in the same unit of work. Values
are stored exactly as the ORM column types store them (UTC timestamps, JSON), so rows written here
read back through the models unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from firebell.store.txcache import per_transaction

_PARAM = re.compile(r"(?<![:\w]):(\w+)")
_ANY = re.compile(r"= ANY\(:(\w+)\)")
# SQLAlchemy's SQLite DateTime storage format: always with microseconds, so stored values compare
# correctly as strings.


class Statement:
    """One SQL text with `:name` parameters, rendered once per driver parameter style.

    `column = ANY(:name)` takes a list of strings on both stores: PostgreSQL gets a text array,
    SQLite (which has no arrays) the list as JSON, unpacked with json_each."""

    def __init__(self, sql: str) -> None:
        self.source = " ".join(sql.split())
        self.lists = frozenset(_ANY.findall(self.source))
        self.sql = _ANY.sub(r"IN (SELECT value FROM json_each(:\1))", self.source)
        pg = _ANY.sub(r"= ANY(CAST(:\1 AS text[]))", self.source)
        self._pyformat = _PARAM.sub(r"%(\1)s", pg.replace("%", "%%"))

    def for_dialect(self, dialect: str) -> str:
        return self.sql if dialect == "sqlite" else self._pyformat

    def then(self, suffix: str) -> Statement:
        """The same statement with `suffix` appended (e.g. a PostgreSQL-only row lock)."""
        return Statement(f"{self.source} {suffix}")


@dataclass(frozen=True)
class JsonText:
    """A value with its JSON text already made (SQLite stores the text; PostgreSQL gets the value)."""

    value: Any
    text: str


class Raw:
    """The session's connection, seen through the DBAPI driver."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.dialect = connection.dialect.name
        self._dbapi: Any = connection.connection.driver_connection
        self._sqlite = self.dialect == "sqlite"
        self._last_ts: datetime | None = None
        self._last_text = ""
        self._base_ts: datetime | None = None
        self._base_naive = datetime.min
        if not self._sqlite:
            from psycopg.types.json import Jsonb

            self._jsonb = Jsonb

    def _params(self, statement: Statement, params: Mapping[str, Any]) -> Mapping[str, Any]:
        if not (statement.lists and self._sqlite):
            return params
        return {**params, **{name: json.dumps(list(params[name])) for name in statement.lists}}

    def rows(self, statement: Statement, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        cursor = self._dbapi.cursor()
        try:
            cursor.execute(statement.for_dialect(self.dialect), self._params(statement, params))
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def one(self, statement: Statement, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        found = self.rows(statement, params)
        return found[0] if found else None

    def run(self, statement: Statement, params: Mapping[str, Any]) -> int:
        cursor = self._dbapi.cursor()
        try:
            cursor.execute(statement.for_dialect(self.dialect), self._params(statement, params))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def run_many(self, statement: Statement, params: Iterable[Mapping[str, Any]]) -> int:
        """Rows changed by all executions together (both drivers sum them)."""
        batch = list(params)
        if not batch:
            return 0
        cursor = self._dbapi.cursor()
        try:
            cursor.executemany(statement.for_dialect(self.dialect), batch)
            return int(cursor.rowcount)
        finally:
            cursor.close()

    # Values in and out, as the ORM's column types store them.

    def ts(self, value: datetime | None) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        if not self._sqlite:
            return value
        if value is not self._last_ts:  # one event stamps several rows with the same `now`
            # what the ORM stores ("2026-11-23 12:00:00.000000"); isoformat is a third faster than strftime
            self._last_ts = value
            self._last_text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return self._last_text

    def ts_after(self, value: datetime, microseconds: int) -> Any:
        """`ts(value + microseconds)`, for stamping many rows a microsecond apart (cheaper per row)."""
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        if not self._sqlite:
            return value + timedelta(microseconds=microseconds)
        if value is not self._base_ts:
            self._base_ts, self._base_naive = value, value.astimezone(UTC).replace(tzinfo=None)
        return (self._base_naive + timedelta(microseconds=microseconds)).isoformat(" ", "microseconds")

    def json(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, JsonText):
            return value.text if self._sqlite else self._jsonb(value.value)
        if self._sqlite:
            if not value and isinstance(value, list | dict):  # an escalation's `fired` is usually empty
                return "[]" if isinstance(value, list) else "{}"
            return json.dumps(value)
        return self._jsonb(value)

    def read_ts(self, value: Any) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def raw(session: Session) -> Raw:
    """One Raw per transaction: the connection is the transaction's for its whole life, and asking
    the session for it costs more than most of the statements run on it."""
    return per_transaction(session, "raw", lambda: Raw(session))  # Raw() begins the transaction
