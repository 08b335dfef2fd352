"""The status page's severity policy: when an internal incident of a severity opens a public one,
whether that public incident waits as a draft, and which status it gives the incident's components;
and who may speak on the page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from firebell.core.durations import parse_duration
from firebell.core.statuspage.rollup import ComponentStatus, Impact, impact_of

# An incident tagged so is an exercise: the public never hears of it.
DRILL_TAG = "drill"


class Publish(StrEnum):
    IMMEDIATELY = "immediately"
    DRAFT = "draft"


@dataclass(frozen=True)
class SeverityPolicy:
    severity: str
    # None: only by hand; timedelta(0): at once (OPS1: P1); otherwise once the incident is that old
    # and still unresolved (OPS1: P2 "status page if > 1 h").
    auto_open_after: timedelta | None
    publish: Publish
    component_status: ComponentStatus

    @property
    def impact(self) -> Impact:
        return impact_of(self.component_status)


def policy_from(entry: Mapping[str, Any]) -> SeverityPolicy:
    """One entry of the page's stored `severities` (config/status_page.py writes `auto_open` as
    `immediately`, `manual` or `after 1h`)."""
    auto = str(entry.get("auto_open", "manual"))
    after = (timedelta(0) if auto == "immediately" else
             parse_duration(auto.removeprefix("after ").strip()) if auto.startswith("after ") else None)
    return SeverityPolicy(severity=str(entry["severity"]), auto_open_after=after,
                          publish=Publish(entry.get("publish", Publish.IMMEDIATELY)),
                          component_status=ComponentStatus(entry.get("component_status", "partial_outage")))


def policies(entries: Iterable[Mapping[str, Any]]) -> dict[str, SeverityPolicy]:
    return {policy.severity: policy for policy in map(policy_from, entries)}


def auto_open_due(policy: SeverityPolicy | None, declared_at: datetime, now: datetime, *,
                  resolved: bool, already_public: bool, private: bool = False, drill: bool = False) -> bool:
    """Whether an internal incident should open its public incident now. Never for a private incident
    or a drill; a resolved one, or one already public, does not open one. The age counts from the
    declaration, whatever the severity was then: an incident raised from P3 to P1 opens at once, one
    raised to P2 once it is an hour old."""
    if policy is None or policy.auto_open_after is None or resolved or already_public or private or drill:
        return False
    return now - declared_at >= policy.auto_open_after


def resolution_publishes(policy: SeverityPolicy | None) -> bool:
    """When the internal incident is resolved, whether its public incident is resolved at once
    (`publish: immediately`) or a resolved update is proposed for the comms lead to publish."""
    return policy is not None and policy.publish is Publish.IMMEDIATELY


def may_edit(*, is_admin: bool, is_viewer: bool, roles_held: set[str], editor_roles: set[str]) -> bool:
    """Admins, and anyone (not a viewer) holding one of the page's editor roles (`status_page.editors`)."""
    return is_admin or (not is_viewer and bool(roles_held & editor_roles))
