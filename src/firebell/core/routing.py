"""Ordered routing rules: the first rule whose matchers all hold applies (and the next ones too
when it says `continue`). A rule can move the alert to another service, set its severity, add tags
or suppress paging."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from firebell.core.matchers import Matcher


@dataclass(frozen=True)
class Rule:
    name: str
    matchers: tuple[Matcher, ...]
    set_service: str | None = None
    set_severity: str | None = None
    add_tags: tuple[str, ...] = ()
    suppress: bool = False
    continue_: bool = False


@dataclass(frozen=True)
class RoutingResult:
    service: str
    severity: str | None = None
    tags: tuple[str, ...] = ()
    suppressed_by: str | None = None
    matched: tuple[str, ...] = ()
    explanation: list[str] = field(default_factory=list)


def route(rules: Sequence[Rule], attributes: Mapping[str, str], service: str) -> RoutingResult:
    """Where an alert goes. `service` is the integration's service, used when no rule moves it."""
    severity: str | None = None
    tags: list[str] = []
    suppressed_by: str | None = None
    matched: list[str] = []
    explanation: list[str] = []
    for rule in rules:
        failing = next((m for m in rule.matchers if not m.matches(attributes)), None)
        if failing is not None:
            explanation.append(f"rule {rule.name!r} skipped: {failing} does not hold "
                               f"({failing.name}={attributes.get(failing.name, '')!r})")
            continue
        matched.append(rule.name)
        held = ", ".join(str(m) for m in rule.matchers) or "no matchers"
        explanation.append(f"rule {rule.name!r} matched ({held})")
        if rule.set_service:
            service = rule.set_service
        if rule.set_severity:
            severity = rule.set_severity
        tags.extend(t for t in rule.add_tags if t not in tags)
        if rule.suppress:
            suppressed_by = rule.name
        if not rule.continue_:
            break
    return RoutingResult(service=service, severity=severity, tags=tuple(tags), suppressed_by=suppressed_by,
                         matched=tuple(matched), explanation=explanation)
