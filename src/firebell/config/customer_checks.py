"""The `customers:` section's checks, each at its line: recipients name configured services, and each
(service, address) once; severities are configured ones, each once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from firebell.config.errors import ConfigError, Mark
from firebell.config.located import Located, Path


def _entries(tree: Located, part: str) -> Iterator[tuple[int, dict[str, Any]]]:
    section = tree.data.get("customers") if isinstance(tree.data, dict) else None
    value = section.get(part) if isinstance(section, dict) else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _unknown(noun: str, value: str, known: set[str]) -> str:
    defined = f" (defined: {', '.join(sorted(known))})" if known else f"; no {noun} is defined"
    return f"unknown {noun} '{value}'{defined}"


def check_customers(tree: Located, services: set[str], severities: set[str]) -> list[ConfigError]:
    errors: list[ConfigError] = []
    seen: dict[tuple[str, str], Mark] = {}
    for index, item in _entries(tree, "recipients"):
        at: Path = ("customers", "recipients", index)
        service, email = item.get("service"), item.get("email")
        if isinstance(service, str) and service not in services:
            errors.append(tree.mark((*at, "service")).error(_unknown("service", service, services)))
        if isinstance(service, str) and isinstance(email, str):
            key = (service, email.strip().lower())
            if key in seen:
                here = tree.mark((*at, "email"))
                errors.append(here.error(
                    f"{email} is already a customer of {service}, at {seen[key].where(relative_to=here.file)}"))
            else:
                seen[key] = tree.mark(at)
    first: dict[str, Mark] = {}
    for index, item in _entries(tree, "severities"):
        severity = item.get("severity")
        if not isinstance(severity, str):
            continue
        mark = tree.mark(("customers", "severities", index, "severity"))
        if severity not in severities:
            errors.append(mark.error(_unknown("severity", severity, severities)))
        elif severity in first:
            errors.append(mark.error(f"severity {severity} is listed twice; the first is at "
                                     f"{first[severity].where(relative_to=mark.file)}"))
        else:
            first[severity] = mark
    return errors
