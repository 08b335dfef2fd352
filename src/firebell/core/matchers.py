"""Alertmanager-style matchers: `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`.

As in Alertmanager, regexes are anchored (they must match the whole value) and a missing label
matches as the empty string, so `team!="db"` matches an alert without a `team` label. Quotes around
the value are optional; inside quotes, backslash escapes `"` and `\\`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

_NAME = r"@?[A-Za-z_][A-Za-z0-9_.]*"
_MATCHER = re.compile(rf"^\s*({_NAME})\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.DOTALL)


class Op(StrEnum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"


@dataclass(frozen=True)
class Matcher:
    name: str
    op: Op
    value: str
    _compiled: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, attributes: Mapping[str, str]) -> bool:
        actual = attributes.get(self.name, "")
        if self.op is Op.EQ:
            return actual == self.value
        if self.op is Op.NE:
            return actual != self.value
        assert self._compiled is not None
        found = self._compiled.fullmatch(actual) is not None
        return found if self.op is Op.RE else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op.value}"{escaped}"'


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        body, out, i = raw[1:-1], [], 0
        while i < len(body):
            if body[i] == "\\" and i + 1 < len(body):
                out.append(body[i + 1])
                i += 2
                continue
            if body[i] == '"':
                raise ValueError('unescaped " inside a quoted value')
            out.append(body[i])
            i += 1
        return "".join(out)
    if '"' in raw:
        raise ValueError("value has a stray double quote; quote the whole value")
    return raw


def parse_matcher(text: str) -> Matcher:
    """Parse one matcher; ValueError says what is wrong."""
    match = _MATCHER.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a matcher; write name=\"value\", name!=\"value\", "
                         f"name=~\"regex\" or name!~\"regex\"")
    name, op_text, raw = match.groups()
    value = _unquote(raw)
    op = Op(op_text)
    compiled = None
    if op in (Op.RE, Op.NRE):
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad regular expression {value!r}: {exc}") from None
    return Matcher(name=name, op=op, value=value, _compiled=compiled)


def parse_all(texts: Iterable[str]) -> list[Matcher]:
    return [parse_matcher(t) for t in texts]


def all_match(matchers: Iterable[Matcher], attributes: Mapping[str, str]) -> bool:
    return all(m.matches(attributes) for m in matchers)
