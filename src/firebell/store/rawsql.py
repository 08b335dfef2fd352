"""Driver-level statements for the few hot paths where SQLAlchemy's per-statement overhead is the
cost (ingestion spends ~90% of its time there otherwise; see bench/README.md).

Statements are written once with `:name` parameters and run on the session's own DBAPI connection,
inside the caller's transaction, so they mix freely with ORM work in the same unit of work. Values
are stored exactly as the ORM column types store them (UTC timestamps, JSON), so rows written here
read back through the models unchanged.

Writes whose result nobody reads can be deferred (`defer`, `defer_many`): on PostgreSQL they wait
on the connection and go out in one pipeline with the transaction's next statement, whoever issues
it (this module, the ORM, or the commit), so a batch of ingested events costs one round trip for its
writes instead of one per row. Every read on the connection sends them first, so nothing reads
around them. On SQLite, in process, there is no round trip to save: they run at once.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from firebell.store.txcache import per_transaction

_IDLE = 0  # libpq's PQTRANS_IDLE: no transaction open on the connection
_DEFERRED = "firebell_deferred_writes"  # in the DBAPI connection's info: [(sql, params, how)]
# How a deferred write is sent: one execute with named parameters, executemany, one execute of a
# `$n` text with positional parameters (psycopg's RawCursor: the text goes to the server as it is),
# or the rows of one-row inserts of one statement deferred one after another, as multi-row inserts.
_ONE, _MANY, _POSITIONAL, _ROWS = "one", "many", "positional", "rows"
_PARAM = re.compile(r"(?<![:\w]):(\w+)")
_ANY = re.compile(r"= ANY\(:(\w+)\)")
_ONE_ROW = re.compile(r"^(INSERT INTO [\w.]+ \([\w, ]+\) VALUES )(\([^()]*\))$")  # a plain one-row insert
_MAX_ROWS = 64  # rows per multi-row insert; sizes are powers of two, so few texts get prepared
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
        self._multi: dict[int, str] = {}  # rows -> text, for rows_at_once
        self.one_row_insert = _ONE_ROW.match(self.source) is not None

    def for_dialect(self, dialect: str) -> str:
        return self.sql if dialect == "sqlite" else self._pyformat

    def rows_at_once(self, rows: list[Mapping[str, Any]]) -> list[tuple[str, list[Any]]] | None:
        """PostgreSQL: a plain one-row INSERT as a few multi-row ones (sizes in powers of two, so
        few texts get prepared), in `$n` form with positional parameters; None if this is not a plain
        INSERT ... VALUES. (With named parameters psycopg parses a text of over 50 of them again at
        every execute: 2.6 ms for 64 rows, a fifth of a big Alertmanager message's time.)"""
        found = _ONE_ROW.match(self.source)
        if found is None:
            return None
        head, values = found.groups()
        names = _PARAM.findall(values)
        out: list[tuple[str, list[Any]]] = []
        start = 0
        while start < len(rows):
            size = min(_MAX_ROWS, 1 << ((len(rows) - start).bit_length() - 1))
            text = self._multi.get(size)
            if text is None:
                text = head + ", ".join(_numbered(values, row * len(names)) for row in range(size))
                self._multi[size] = text
            out.append((text, [row[name] for row in rows[start:start + size] for name in names]))
            start += size
        return out

    def then(self, suffix: str) -> Statement:
        """The same statement with `suffix` appended (e.g. a PostgreSQL-only row lock)."""
        return Statement(f"{self.source} {suffix}")


def _numbered(values: str, before: int) -> str:
    """`values` with its `:name` parameters as `$n`, numbered on from `before`."""
    numbers = iter(range(before + 1, before + 1 + len(_PARAM.findall(values))))
    return _PARAM.sub(lambda _: f"${next(numbers)}", values)


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
        self._info = connection.info
        self._sqlite = self.dialect == "sqlite"
        self._ts_texts: dict[datetime, str] = {}
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
            with self._sending_deferred() as pipeline:
                cursor.execute(statement.for_dialect(self.dialect), self._params(statement, params))
                if pipeline is not None:
                    pipeline.sync()  # the results arrive (and say whether there are rows) at a sync
                return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def one(self, statement: Statement, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        found = self.rows(statement, params)
        return found[0] if found else None

    def rows_together(self, reads: Sequence[tuple[Statement, Mapping[str, Any]]]) -> list[list[tuple[Any, ...]]]:
        """Several independent reads, in order; on PostgreSQL in one round trip (a pipeline)."""
        if self._sqlite:
            return [self.rows(statement, params) for statement, params in reads]
        cursors = [self._dbapi.cursor() for _ in reads]
        try:
            with _pipelined(self._dbapi, self._info.pop(_DEFERRED, None) or []) as pipeline:
                for cursor, (statement, params) in zip(cursors, reads, strict=True):
                    cursor.execute(statement.for_dialect(self.dialect), self._params(statement, params))
                pipeline.sync()
                return [list(cursor.fetchall()) if cursor.description else [] for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()

    def run(self, statement: Statement, params: Mapping[str, Any]) -> int:
        cursor = self._dbapi.cursor()
        try:
            with self._sending_deferred():
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
            with self._sending_deferred():
                cursor.executemany(statement.for_dialect(self.dialect), batch)
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def defer(self, statement: Statement, params: Mapping[str, Any]) -> None:
        """Run a write whose outcome nobody reads (no row count, no rows) with the next statement."""
        if self._sqlite:
            self.run(statement, params)
            return
        pending = self._info.setdefault(_DEFERRED, [])
        if not statement.one_row_insert:
            pending.append((statement.for_dialect(self.dialect), self._params(statement, params), _ONE))
        elif pending and pending[-1][0] is statement:  # the row after another of the same insert: one statement
            pending[-1][1].append(params)
        else:
            pending.append((statement, [params], _ROWS))

    def defer_many(self, statement: Statement, params: Iterable[Mapping[str, Any]]) -> None:
        batch = list(params)
        if not batch:
            return
        if self._sqlite:
            self.run_many(statement, batch)
            return
        pending = self._info.setdefault(_DEFERRED, [])
        # An insert's rows go as a few multi-row statements: in a pipeline every statement is a
        # message and a wait of its own, and those, not the rows, were the cost.
        merged = statement.rows_at_once(batch)
        if merged is None:
            pending.append((statement.for_dialect(self.dialect), batch, _MANY))
        else:
            pending.extend((sql, values, _POSITIONAL) for sql, values in merged)

    def _sending_deferred(self) -> contextlib.AbstractContextManager[Any]:
        """A pipeline carrying the deferred writes ahead of the statement run inside it, if any wait."""
        if self._sqlite:
            return contextlib.nullcontext()
        pending = self._info.pop(_DEFERRED, None)
        # The transaction's first statement: in a pipeline, the driver's BEGIN goes with it instead
        # of taking a round trip of its own.
        if pending or self._dbapi.info.transaction_status == _IDLE:
            return _pipelined(self._dbapi, pending or [])
        return contextlib.nullcontext()

    # Values in and out, as the ORM's column types store them.

    def ts(self, value: datetime | None) -> Any:
        if value is None:
            return None
        if not self._sqlite:
            return _aware(value)
        text = self._ts_texts.get(value)  # a pass stamps many rows with a few instants
        if text is None:
            _aware(value)
            # what the ORM stores ("2026-11-23 12:00:00.000000"); isoformat is a third faster than strftime
            text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            if len(self._ts_texts) >= 4096:
                self._ts_texts.clear()
            self._ts_texts[value] = text
        return text

    def ts_after(self, value: datetime, microseconds: int) -> Any:
        """`ts(value + microseconds)`, for stamping many rows a microsecond apart (cheaper per row)."""
        _aware(value)
        if not self._sqlite:
            return value + timedelta(microseconds=microseconds)
        if value is not self._base_ts:
            self._base_ts, self._base_naive = value, value.astimezone(UTC).replace(tzinfo=None)
        return (self._base_naive + timedelta(microseconds=microseconds)).isoformat(" ", "microseconds")

    def json(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, JsonText):  # serialised already: PostgreSQL gets the same text, not a second dump
            return value.text if self._sqlite else self._jsonb(value.text, dumps=_as_is)
        if not value and isinstance(value, list | dict):  # an escalation's `fired`, an alert's links, tags
            empty = "[]" if isinstance(value, list) else "{}"
            return empty if self._sqlite else self._jsonb(empty, dumps=_as_is)
        if self._sqlite:
            return json.dumps(value)
        return self._jsonb(value)

    def read_ts(self, value: Any) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _as_is(text: str) -> str:
    return text


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
    return value


def raw(session: Session) -> Raw:
    """One Raw per transaction: the connection is the transaction's for its whole life, and asking
    the session for it costs more than most of the statements run on it."""
    return per_transaction(session, "raw", lambda: Raw(session))  # Raw() begins the transaction


@contextlib.contextmanager
def _pipelined(dbapi: Any, pending: list[tuple[Any, Any, str]]) -> Iterator[Any]:
    """One round trip: the pending writes, then whatever the block sends, results read at its end
    (or at the block's `sync()`). The writes go on a cursor of their own, so their row counts do not
    add to those of the block's statements."""
    from psycopg import RawCursor

    with dbapi.pipeline() as pipeline, dbapi.cursor() as cursor, RawCursor(dbapi) as positional:
        for sql, params, how in pending:
            if how == _MANY:
                cursor.executemany(sql, params)
            elif how == _POSITIONAL:
                positional.execute(sql, params)
            elif how == _ROWS:
                for text, values in sql.rows_at_once(params) or ():
                    positional.execute(text, values)
            else:
                cursor.execute(sql, params)
        yield pipeline


def _send_deferred(connection: Any, *, commit: bool = False) -> None:
    """Send the connection's deferred writes (and, with `commit`, the COMMIT in the same round trip;
    the driver's own commit, which SQLAlchemy calls next, then finds the transaction ended)."""
    pending = connection.info.pop(_DEFERRED, None)
    if pending:
        dbapi = connection.connection.driver_connection
        with _pipelined(dbapi, pending):
            if commit:
                dbapi.commit()


@event.listens_for(Engine, "before_cursor_execute")
def _before_statement(conn: Any, _cursor: Any, _statement: Any, _params: Any, _context: Any, _many: Any) -> None:
    _send_deferred(conn)  # an ORM statement (or the ORM's read) comes after the writes it follows


@event.listens_for(Engine, "commit")
def _before_commit(conn: Any) -> None:
    _send_deferred(conn, commit=True)


@event.listens_for(Engine, "rollback")
def _drop_on_rollback(conn: Any) -> None:
    # A connection that was lost has nothing to drop (closing it cleared its info), and asking it
    # for its info would try to reconnect and hide the error that lost it.
    if not conn.invalidated:
        conn.info.pop(_DEFERRED, None)


@event.listens_for(Pool, "checkin")
def _drop_on_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:  # a connection back in the pool carries nothing into its next transaction
        record.info.pop(_DEFERRED, None)
