"""The JSON every ingestion route reads: what no store keeps is normalised or refused at parse time."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.formats import PayloadError
from firebell.core.formats.wire_json import MAX_DEPTH, loads


def test_lone_surrogates_and_nul_become_replacement_characters_in_values_and_keys() -> None:
    body = loads(b'{"summary": "disk \\ud800 full\\u0000", "\\udfffkey": ["\\u0000"]}')
    assert body == {"summary": "disk \ufffd full\ufffd", "\ufffdkey": ["\ufffd"]}
    json.dumps(body).encode("utf-8")  # now storable as UTF-8


def test_a_valid_surrogate_pair_is_kept() -> None:
    assert loads(b'"\\ud83d\\udd25"') == "\U0001f525"


def test_nan_infinity_and_overflowing_numbers_are_kept_as_strings() -> None:
    assert loads(b'{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e400, "e": -1e400, "f": 1.5}') == {
        "a": "NaN", "b": "Infinity", "c": "-Infinity", "d": "Infinity", "e": "-Infinity", "f": 1.5}


def test_nesting_past_the_limit_is_refused_with_where() -> None:
    ok = b'{"a":' + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"}"
    assert loads(ok)["a"]
    with pytest.raises(PayloadError) as too_deep:
        loads(b'{"payload": {"custom_details":' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}}")
    assert "payload.custom_details" in too_deep.value.errors[0]
    assert f"more than {MAX_DEPTH} levels" in too_deep.value.errors[0]
    with pytest.raises(PayloadError, match="nested"):  # deeper than Python's own recursion limit
        loads(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize(("raw", "reason"), [
    (b"\xff\xfe{}", "not UTF-8"), (b"1" * 5000, "number too long"), (b'{"a": ', "not valid JSON: Expecting value"),
])
def test_bodies_no_store_could_read_are_refused_with_the_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(PayloadError) as refused:
        loads(raw)
    assert reason in refused.value.errors[0]


hostile_text = st.text(alphabet=st.characters(blacklist_categories=()) | st.sampled_from(["\x00", "\ud800", "\udfff"]))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | hostile_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=30)


def _storable(value: object) -> bool:
    text = json.dumps(value, allow_nan=False)  # raises on NaN/Infinity, as PostgreSQL's jsonb refuses them
    text.encode("utf-8")  # raises on lone surrogates
    return "\\u0000" not in text


@given(json_values)
def test_whatever_a_sender_encodes_is_storable_or_refused(value: object) -> None:
    raw = json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")
    try:
        parsed = loads(raw)
    except PayloadError:
        return
    assert _storable(parsed)


plain_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@given(st.recursive(st.none() | st.booleans() | st.integers() | plain_text
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(plain_text, children, max_size=4),
                    max_leaves=30))
def test_ordinary_json_is_read_unchanged(value: object) -> None:
    assert loads(json.dumps(value).encode()) == value
