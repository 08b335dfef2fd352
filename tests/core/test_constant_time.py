"""Secret comparison that any text an outsider sends can reach: equal or not, never an exception."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from firebell.core.constant_time import constant_time_equals

# Every code point, lone surrogates included (what surrogateescape-decoded bytes turn into).
any_text = st.text(st.characters(exclude_categories=()), max_size=20)


@given(st.one_of(any_text, st.binary(max_size=20)), st.one_of(any_text, st.binary(max_size=20)))
def test_any_two_values_compare_without_raising(a: str | bytes, b: str | bytes) -> None:
    assert constant_time_equals(a, b) == (_utf8(a) == _utf8(b))


@given(any_text)
def test_text_equals_itself_and_its_bytes(a: str) -> None:
    assert constant_time_equals(a, a) and constant_time_equals(a, _utf8(a))


def test_a_non_ascii_forgery_is_simply_unequal() -> None:
    assert not constant_time_equals("0f" * 32, "é✓" + "0" * 62)
    assert not constant_time_equals("abc", "abc\udcff")


def _utf8(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
