"""The `templates:` section's checks: a known purpose on one of its channels, parts that channel has,
a configured service, one entry per (purpose, channel, service), and each part a template that
parses and uses only variables its purpose has (messages/sandbox.check), reported at the line
inside the template."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from firebell.config.errors import ConfigError, Mark
from firebell.config.located import Located, Path
from firebell.messages import catalogue
from firebell.messages.sandbox import check


def _items(tree: Located) -> Iterator[tuple[int, dict[str, Any]]]:
    value = tree.data.get("templates") if isinstance(tree.data, dict) else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


@cache
def _lines(file: str) -> list[str]:
    try:
        with open(file, encoding="utf-8") as handle:
            return handle.read().splitlines()
    except OSError:
        return []


def _first_line(mark: Mark) -> int:
    """The file line of a scalar's first line of text: a block scalar (`|`, `>`) starts on the next."""
    lines = _lines(mark.file)
    if 0 < mark.line <= len(lines):
        rest = lines[mark.line - 1][max(mark.column - 1, 0):].lstrip()
        if rest[:1] in ("|", ">"):
            return mark.line + 1
    return mark.line


def check_templates(tree: Located, services: set[str]) -> list[ConfigError]:
    errors: list[ConfigError] = []
    seen: dict[tuple[str, str, str], Mark] = {}
    for index, item in _items(tree):
        at: Path = ("templates", index)
        purpose, channel, service = item.get("purpose"), item.get("channel"), item.get("service")
        if not isinstance(purpose, str) or not isinstance(channel, str):
            continue  # the schema says what is missing
        if purpose not in catalogue.PURPOSES:
            errors.append(tree.mark((*at, "purpose")).error(
                f"unknown purpose '{purpose}'; purposes: {', '.join(sorted(catalogue.PURPOSES))}"))
            continue
        channels = catalogue.PURPOSES[purpose].channels
        if channel not in channels:
            errors.append(tree.mark((*at, "channel")).error(
                f"'{purpose}' is not rendered for channel '{channel}'; its channels: {', '.join(channels)}"))
            continue
        if isinstance(service, str) and catalogue.about_status_page(purpose):
            errors.append(tree.mark((*at, "service")).error(
                f"'{purpose}' has no service: status page subscribers' mail is the page's; leave `service` out"))
        elif isinstance(service, str) and service not in services:
            errors.append(tree.mark((*at, "service")).error(f"unknown service '{service}'"))
        scope = (purpose, channel, service if isinstance(service, str) else "")
        if scope in seen:
            errors.append(tree.mark(at).error(
                f"a second template for {'/'.join(p for p in scope if p)}; the first is at "
                f"{seen[scope].where(relative_to=tree.mark(at).file)}"))
        else:
            seen[scope] = tree.mark(at)
        parts = catalogue.parts_of(channel)
        for part in ("subject", "text", "html", "title", "body"):
            text = item.get(part)
            if text is None:
                continue
            mark = tree.mark((*at, part))
            if part not in parts:
                errors.append(mark.error(f"channel '{channel}' has no part '{part}'; its parts: {', '.join(parts)}"))
                continue
            if not isinstance(text, str):
                continue
            first = _first_line(mark)
            for problem in check(text, purpose, catalogue.escaping(channel, part)):
                errors.append(ConfigError(mark.file, first + problem.line - 1, 1 if problem.line > 1 else mark.column,
                                          f"template {purpose}/{channel} {part}: {problem.message}"))
    return errors
