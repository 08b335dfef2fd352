"""JSON from senders, made safe to store once, at parse time, for both stores.

What a sender may put in valid-looking JSON that no store keeps, and what happens to it here:
- a lone UTF-16 surrogate (`"\\ud800"`): neither SQLite nor PostgreSQL can encode it; it becomes
  U+FFFD, as a UTF-8 decoder does with a bad byte;
- NUL (`"\\u0000"`): PostgreSQL refuses it in text and jsonb; it becomes U+FFFD too;
- NaN and Infinity (Python's and JavaScript's encoders write them; RFC 8259 has no such numbers),
  and numbers too large for a double (`1e400`): PostgreSQL's jsonb refuses them; they are kept as
  the strings "NaN", "Infinity", "-Infinity";
- nesting deeper than `MAX_DEPTH`, integers longer than Python parses, text that is not UTF-8:
  refused with a message saying where.
Normalising rather than refusing is deliberate for the common cases: a sender retries a 4xx never
and a 5xx forever, so refusing an alert over one odd character in its details loses the page.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from firebell.core.formats import PayloadError
from firebell.core.jsonsafe import MAX_DEPTH

_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str) -> str:
    """`text` with the characters no store keeps (NUL, lone surrogates) made U+FFFD: for text from
    outside that is not JSON, such as a form field."""
    return _BAD_CHARS.sub("\ufffd", text)


class _NonFinite(str):
    """A NaN or Infinity literal, kept as its name."""


def loads(raw: bytes) -> Any:
    """The sender's JSON, normalised as the module says; PayloadError naming what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError([f"the body is not UTF-8 (byte {exc.start})"], "the body is not valid JSON") from None
    try:
        value = json.loads(text, parse_constant=_NonFinite)
    except RecursionError:
        raise PayloadError([f"the JSON is nested more than {MAX_DEPTH} levels deep"],
                           "the body is not valid JSON") from None
    except ValueError as exc:  # JSONDecodeError, or an integer longer than Python will parse
        raise PayloadError([_reason(exc)], "the body is not valid JSON") from None
    # Escapes are the only way to these characters in valid JSON text, so most bodies skip the walk's
    # string checks entirely.
    try:
        return _clean(value, "\\u" in text, 0)
    except _TooDeep as exc:
        # The keys are the sender's, not yet cleaned: one that no encoder writes (a lone surrogate) would
        # make the refusal itself fail, and a long one would fill it.
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{storable_text(p[:40])}"
                        for p in reversed(exc.path[-4:])).lstrip(".")
        raise PayloadError([f"'{where}...' is nested more than {MAX_DEPTH} levels deep"],
                           "the body is not valid JSON") from None


class _TooDeep(Exception):
    def __init__(self) -> None:
        self.path: list[str | int] = []  # innermost first, filled in on the way out


def _reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    return "the body holds a number too long to read"


def _clean(value: Any, fix_text: bool, depth: int) -> Any:
    """`value`, changed in place (json.loads made it; nobody else holds it) where it must be."""
    if isinstance(value, str):
        if isinstance(value, _NonFinite):
            return str(value)
        return storable_text(value) if fix_text else value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict | list):
        if depth >= MAX_DEPTH:
            raise _TooDeep
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(item, str | float | dict | list):
                try:
                    cleaned = _clean(item, fix_text, depth + 1)
                except _TooDeep as exc:
                    exc.path.append(key)
                    raise
                if cleaned is not item:
                    value[key] = cleaned  # same key: the dict's size does not change while iterating
        if fix_text and isinstance(value, dict) and any(_BAD_CHARS.search(k) for k in value):
            return {storable_text(k): v for k, v in value.items()}
    return value
