"""Hostile input for the fuzz suite: JSON with hostile leaves, valid payloads with one field made
hostile, raw bodies that are not JSON, and header values a real server would pass on.

Values are Python objects serialised by `dumps`, which writes lone surrogates and NUL as JSON escapes
(`"\\ud800"`, `"\\u0000"`: valid JSON text that no store keeps) and NaN/Infinity as the literals
Python and JavaScript encoders emit. `Raw` embeds JSON text Python cannot produce from a value: an
integer longer than Python prints, 1e400, nesting past the parser's recursion limit.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st


@dataclass(frozen=True)
class Raw:
    """JSON text placed verbatim where a value would be."""

    text: str


def dumps(value: Any) -> bytes:
    """`value` as JSON bytes (ASCII: escapes for everything else), `Raw` pieces spliced in."""
    pieces: dict[str, str] = {}

    def swap(node: Any) -> Any:
        if isinstance(node, Raw):
            marker = f"raw-{uuid.uuid4().hex}"
            pieces[marker] = node.text
            return marker
        if isinstance(node, dict):
            return {k: swap(v) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return node

    text = json.dumps(swap(value))  # allow_nan: NaN and Infinity are written as literals, as senders do
    for marker, raw in pieces.items():
        text = text.replace(json.dumps(marker), raw, 1)
    return text.encode("ascii")


# Every code point, lone surrogates included (st.text() leaves them out by default).
any_char = st.characters(codec=None, exclude_categories=())
NASTY_STRINGS = ["", " ", "\x00", "\ud800", "\udfff", "a\ud83dz", "\x00\ud800\x00", "\u202e\u0644\u0627", "\ufeff",
                 "\U0001f525" * 3, "'; DROP TABLE alerts; --", "%s%n%x", "{{ 7*7 }}", "${jndi:x}", "<script>x</script>",
                 "../../etc/passwd", "\r\n\r\nX-Injected: 1", "null", "true", "0", "-1", "NaN", "1e400",
                 "9" * 40, "INC-" + "9" * 30, "2026-11-23T03:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                 "-9999-01-01T00:00:00Z", "2026-02-30T25:61:61Z", "\\", '"', "\t\n"]
hostile_text = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.text(any_char, max_size=40),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "\u00e9", "\U0001f525", "\x00", "\ud800"]),
              st.sampled_from([256, 1_025, 70_000])),
)
# For a path segment: a URL over 64 KB is refused by every client and server before any route sees it.
hostile_segment = st.one_of(st.sampled_from(NASTY_STRINGS), st.text(any_char, max_size=40),
                            st.sampled_from(["x" * 1_025, "\U0001f525" * 1_025]))
hostile_number = st.one_of(
    st.sampled_from([0, -0.0, 1, -1, 2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 2**64, 10**30, 1e308, -1e308, 5e-324,
                     float("nan"), float("inf"), float("-inf")]),
    st.integers(),
    st.floats(),
    st.sampled_from([Raw("1e400"), Raw("-1e400"), Raw("1" * 5_000), Raw("-0"), Raw("NaN"), Raw("-Infinity")]),
)
hostile_scalar = st.one_of(st.none(), st.booleans(), hostile_number, hostile_text)
hostile_key = st.one_of(st.sampled_from(["", "\x00", "\ud800", "__proto__", "constructor", "a.b", "$where", "summary"]),
                        st.text(any_char, max_size=12))


def nested(depth: int, leaf: Any = 1) -> Any:
    """`depth` levels of arrays and objects around `leaf`."""
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


deep_value = st.one_of(
    st.integers(min_value=1, max_value=200).map(nested),
    # Past the parser's recursion limit: text only, as no Python value this deep can be encoded.
    st.integers(min_value=900, max_value=3_000).map(lambda n: Raw("[" * n + "]" * n)),
)
hostile_json = st.one_of(
    st.recursive(hostile_scalar, lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(hostile_key, inner, max_size=4), max_leaves=12),
    deep_value,
)
# What replaces one field of a valid payload: a hostile value, a value of the wrong type, or nothing.
DELETE = object()
replacement = st.one_of(hostile_json, st.just(DELETE), st.sampled_from([{}, [], [[]], {"": {}}, "", None]))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    head, *rest = path
    if isinstance(value, dict):
        copy: Any = dict(value)
    else:
        copy = list(value)
    if rest:
        copy[head] = _replaced(value[head], tuple(rest), new)
    elif new is DELETE:
        del copy[head]
    else:
        copy[head] = new
    return copy


@st.composite
def mutated(draw: st.DrawFn, valid: Any) -> Any:
    """`valid` with one field (at any depth) replaced by a hostile value or removed, or a hostile
    field added beside the real ones."""
    paths = _paths(valid)
    if draw(st.integers(0, 9)) == 0:  # a stray field, in an object that exists
        objects = [p for p in [(), *paths] if isinstance(_at(valid, p), dict)]
        at = draw(st.sampled_from(objects))
        target = dict(_at(valid, at)) | {draw(hostile_key): draw(hostile_json)}
        return target if not at else _replaced(valid, at, target)
    path = draw(st.sampled_from(paths))
    return _replaced(valid, path, draw(replacement))


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


@st.composite
def broken_bytes(draw: st.DrawFn, valid: Any) -> bytes:
    """Bodies that are not JSON, or not UTF-8: cut short, a bad byte inside, another encoding, a BOM."""
    text = dumps(valid)
    kind = draw(st.sampled_from(["cut", "bad byte", "utf-16", "bom", "binary", "empty", "trailing"]))
    if kind == "cut":
        return text[:draw(st.integers(0, max(0, len(text) - 1)))]
    if kind == "bad byte":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xf4\x90\x80\x80"])) \
            + text[at:]
    if kind == "utf-16":
        return json.dumps(valid, ensure_ascii=False).encode("utf-16")
    if kind == "bom":
        return b"\xef\xbb\xbf" + text
    if kind == "binary":
        return draw(st.binary(max_size=200))
    if kind == "empty":
        return b""
    return text + draw(st.sampled_from([b"}", b",", b" x", b"\x00", b"{}"]))


# Header values an HTTP server passes on: any byte but CR, LF and NUL (h11 refuses those), so
# non-ASCII text arrives as latin-1 decoded bytes. Long ones stay under servers' 16 KB header limit.
header_value = st.one_of(
    st.sampled_from([b"", b" ", b"\xff\xfe", "é".encode(), "\U0001f525".encode(), b"Bearer", b"Bearer ",
                     b"Bearer \xc3\xa9", b"bearer  x  y", b"v0=", b"v0=" + b"0" * 64, b"1" * 5_000, b"-1", b"+1",
                     b"1e3", b"\xb2", b"0x10", b"application/json; charset=utf-16", b"text/plain",
                     b"application/x-www-form-urlencoded", b"multipart/form-data; boundary=x", b"*/*;;;=",
                     b"sha256=" + b"a" * 64]),
    st.binary(max_size=60).map(lambda b: bytes(c for c in b if c not in b"\r\n\x00")),
    st.builds(lambda c, n: c * n, st.sampled_from([b"a", b"\xe9", b"9"]), st.sampled_from([300, 8_000])),
)
