"""JSON from outside, refused when nested deeper than anything a genuine sender writes.

Python's json module, and everything after it that walks a document (validation, storage, templates),
recurses once per level: about a thousand levels of `[` raise RecursionError, which surfaces as a 500
with a traceback, and a few hundred still cost a deep walk on every layer. The depth is measured on the
raw bytes, before parsing, without recursion and in C-speed passes (string contents do not count).
"""

from __future__ import annotations

import json
from itertools import accumulate, count
from operator import sub
from typing import Any

MAX_DEPTH = 64  # an Alertmanager message is 4 levels deep; the deepest real payloads are a few dozen

_BRACKETS_ONLY = bytes(b for b in range(256) if b not in b"[]{}")
# An opener becomes 2 and a closer 0, so the running sum minus the position is the depth there.
_WEIGHTS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


def _outside_strings(raw: bytes) -> bytes:
    """`raw` without the contents of its strings. Escaped backslashes go first, so that in `\\\\"` the
    quote still ends the string, then escaped quotes; what is left alternates outside, inside, outside
    at each quote, as a parser reads it (an unterminated string runs to the end, as for the parser)."""
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    return b"".join(unescaped.split(b'"')[::2])


def nesting_depth(raw: bytes) -> int:
    """How many arrays and objects deep `raw` goes at its deepest (0 for a scalar). Unbalanced input
    counts the openers a parser would descend into before failing."""
    if raw.count(b"[") + raw.count(b"{") == 0:
        return 0
    weights = _outside_strings(raw).translate(None, _BRACKETS_ONLY).translate(_WEIGHTS)
    return max(0, max(map(sub, accumulate(weights), count(1)), default=0))


def too_deep(raw: bytes, max_depth: int = MAX_DEPTH) -> bool:
    # Fewer openers than the limit cannot nest past it: the check costs two counts on most bodies.
    return raw.count(b"[") + raw.count(b"{") > max_depth and nesting_depth(raw) > max_depth


def too_deep_message(max_depth: int = MAX_DEPTH) -> str:
    return f"the JSON is nested too deeply: at most {max_depth} levels of arrays and objects"


def loads_bounded(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads(raw)`, or ValueError with a reason for people: not JSON (json.JSONDecodeError, a
    ValueError), not UTF-8, or nested deeper than `max_depth`. Never RecursionError."""
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    if too_deep(data, max_depth):
        raise ValueError(too_deep_message(max_depth))
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        raise ValueError("the JSON is not valid UTF-8") from None
