"""Alertmanager-style matchers, including property tests against Python's own regex semantics."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.matchers import Op, parse_matcher

names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@pytest.mark.parametrize(("text", "labels", "expected"), [
    ('severity="critical"', {"severity": "critical"}, True),
    ('severity="critical"', {"severity": "warning"}, False),
    ('team!="db"', {}, True),  # a missing label is the empty string, as in Alertmanager
    ('alertname=~"Disk.*"', {"alertname": "DiskFull"}, True),
    ('alertname=~"Disk"', {"alertname": "DiskFull"}, False),  # anchored
    ('env!~"prod|staging"', {"env": "dev"}, True),
    ("severity=critical", {"severity": "critical"}, True),  # quotes optional
    ('@summary=~".*disk.*"', {"@summary": "db1 disk 97% full"}, True),
    ('msg="say \\"hi\\""', {"msg": 'say "hi"'}, True),
])
def test_semantics(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_matcher(text).matches(labels) is expected


@pytest.mark.parametrize(("text", "reason"), [
    ("severity", "is not a matcher"), ('x=~"("', "bad regular expression"), ('x="a"b"', "unescaped"),
    ("=value", "is not a matcher"),
])
def test_bad_matchers_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_matcher(text)


@given(names, st.sampled_from(list(Op)), values)
def test_printing_round_trips(name: str, op: Op, value: str) -> None:
    if op in (Op.RE, Op.NRE):
        value = re.escape(value)
    matcher = parse_matcher(f'{name}{op.value}"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
    assert (matcher.name, matcher.op, matcher.value) == (name, op, value)
    again = parse_matcher(str(matcher))
    assert (again.name, again.op, again.value) == (name, op, value)


@given(values, values)
def test_equality_and_regex_agree_with_python(label: str, wanted: str) -> None:
    eq = parse_matcher(f'x="{wanted.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"')
    assert eq.matches({"x": label}) is (label == wanted)
    rx = parse_matcher(f'x=~"{re.escape(wanted).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"')
    assert rx.matches({"x": label}) is (re.fullmatch(re.escape(wanted), label) is not None)
    nrx = parse_matcher(str(rx).replace("=~", "!~", 1))
    assert nrx.matches({"x": label}) is not rx.matches({"x": label})
