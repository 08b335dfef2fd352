"""Depth-bounded JSON: the depth is measured right (strings do not count) and nothing but ValueError
ever comes out, however deep or broken the input."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.jsonsafe import loads_bounded, nesting_depth

tricky_text = st.text(st.sampled_from('[]{}"\\ aé\n'), max_size=8)
documents = st.recursive(st.none() | st.booleans() | st.integers() | tricky_text,
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
                         max_leaves=30)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@given(documents, st.booleans())
def test_depth_is_that_of_the_document(document: Any, ascii_only: bool) -> None:
    raw = json.dumps(document, ensure_ascii=ascii_only).encode()
    assert nesting_depth(raw) == _depth(document)
    assert loads_bounded(raw, max_depth=_depth(document)) == document
    if _depth(document):
        with pytest.raises(ValueError, match="nested too deeply: at most"):
            loads_bounded(raw, max_depth=_depth(document) - 1)


@given(st.binary(max_size=200) | st.text(max_size=100).map(str.encode))
def test_anything_else_is_a_value_error_or_json(raw: bytes) -> None:
    with contextlib.suppress(ValueError):  # anything else, RecursionError included, fails the test
        loads_bounded(raw)


@pytest.mark.parametrize("raw", ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 200_000,
                                 '{"a":[' * 50_000, "[" * 100 + '"' + "]" * 100])
def test_deep_or_unbalanced_input_is_refused_before_parsing(raw: str) -> None:
    with pytest.raises(ValueError, match="the JSON is nested too deeply: at most 64 levels"):
        loads_bounded(raw.encode())


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"summary": "[" * 500 + '\\"{' * 100})
    assert nesting_depth(text.encode()) == 1 and loads_bounded(text) == json.loads(text)
