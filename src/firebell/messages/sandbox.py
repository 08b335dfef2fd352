"""Jinja2's sandbox, set up once per escaping, and the checks `config validate` runs on a template.

Templates come from the config tree, so they run in `ImmutableSandboxedEnvironment`: no attribute
starting with an underscore, no calls that change a value, no access to Python's internals. An
undefined variable is an error (StrictUndefined) rather than an empty string, so a typo shows up as a
fallback on the timeline (messages/render.py) instead of a silently empty field in a page.

Escaping is per part (catalogue.ESCAPING): values put into an email's HTML are HTML-escaped
(autoescape); values put into Slack text have Slack's control characters `& < >` turned into entities,
while the template's own text keeps them, so a template can write `<@U123>` or `<url|label>`.
Values that are already safe in Slack (mentions, links built by Firebell) are `SlackSafe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from firebell.messages import variables


class SlackSafe(str):
    """Text Firebell made for Slack (a `<@U123>` mention, a `<url|label>` link): not escaped again."""


def escape_slack(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_finalize(value: Any) -> Any:
    if isinstance(value, SlackSafe) or value is None:
        return value
    return escape_slack(str(value))



@cache
def environment(escaping: str) -> ImmutableSandboxedEnvironment:
    options: dict[str, Any] = {"undefined": StrictUndefined, "keep_trailing_newline": False,
                               "trim_blocks": True, "lstrip_blocks": True}
    if escaping == "html":
        options["autoescape"] = True
    elif escaping == "slack":
        options["finalize"] = _slack_finalize
    return ImmutableSandboxedEnvironment(**options)


# Compiled templates by (escaping, text): config holds a few dozen, and a page is rendered per send.
_COMPILED: dict[tuple[str, str], Template] = {}
_COMPILED_MAX = 512


def compiled(escaping: str, text: str) -> Template:
    key = (escaping, text)
    template = _COMPILED.get(key)
    if template is None:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        template = _COMPILED[key] = environment(escaping).from_string(text)
    return template


@dataclass(frozen=True)
class Problem:
    line: int  # within the template text, from 1
    message: str


def check(text: str, purpose: str, escaping: str = "none") -> list[Problem]:
    """A template's syntax error, or the variables it uses that `purpose` does not have (with lines)."""
    env = environment(escaping)
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        return [Problem(exc.lineno or 1, f"template syntax error: {exc.message}")]
    known = variables.known(purpose)
    problems: list[Problem] = []
    unknown = meta.find_undeclared_variables(tree) - set(known)
    for name in sorted(unknown):
        line = next((n.lineno for n in tree.find_all(nodes.Name) if n.name == name), 1)
        problems.append(Problem(line, f"unknown variable {name!r}; {_choices(sorted(known))}"))
    for node in tree.find_all(nodes.Getattr):
        owner = node.node
        if isinstance(owner, nodes.Name) and isinstance(known.get(owner.name), dict):
            fields = known[owner.name]
            assert isinstance(fields, dict)
            if node.attr not in fields:
                problems.append(Problem(node.lineno, f"unknown variable '{owner.name}.{node.attr}'; "
                                                     f"{_choices(sorted(fields))}"))
    return sorted(problems, key=lambda p: (p.line, p.message))


def _choices(names: list[str]) -> str:
    return "known here: " + ", ".join(names)
