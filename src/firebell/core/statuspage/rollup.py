"""The roll-up: one indicator for the whole page, and a group's status from its children.

Our rule (Atlassian does not publish theirs; comms-and-learning 1.2):
    indicator = max(component-derived, impact of every unresolved incident)
with components mapped: any `major_outage` -> critical, any `partial_outage` -> major, any
`degraded_performance` -> minor, else none. `maintenance` only when nothing is worse than none and
a maintenance is active (a component under maintenance, or a maintenance in progress or verifying):
an outage during a maintenance still shows as the outage. A group's status is its worst child's.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class ComponentStatus(StrEnum):
    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"


class Impact(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class Indicator(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"
    MAINTENANCE = "maintenance"


# How bad a component status is, for "worst": maintenance is better than any trouble (it is planned)
# but worse than operational (something is not as usual).
COMPONENT_BADNESS: dict[ComponentStatus, int] = {
    ComponentStatus.OPERATIONAL: 0, ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2, ComponentStatus.PARTIAL_OUTAGE: 3, ComponentStatus.MAJOR_OUTAGE: 4,
}
_IMPACT_RANK = {Impact.NONE: 0, Impact.MINOR: 1, Impact.MAJOR: 2, Impact.CRITICAL: 3}
_COMPONENT_IMPACT = {
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL, ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
}
DESCRIPTIONS: dict[Indicator, str] = {
    Indicator.NONE: "All Systems Operational",
    Indicator.MINOR: "Minor Service Outage",
    Indicator.MAJOR: "Partial System Outage",
    Indicator.CRITICAL: "Major Service Outage",
    Indicator.MAINTENANCE: "Service Under Maintenance",
}


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    """The worst of `statuses` (operational when there are none): a group's status."""
    return max(statuses, key=COMPONENT_BADNESS.__getitem__, default=ComponentStatus.OPERATIONAL)


def impact_of(status: ComponentStatus) -> Impact:
    return _COMPONENT_IMPACT.get(status, Impact.NONE)


def indicator(components: Iterable[ComponentStatus], unresolved_impacts: Iterable[Impact],
              *, maintenance_active: bool = False) -> Indicator:
    """The page's indicator: the worst of the components' impacts and the unresolved incidents'."""
    listed = list(components)
    impacts = [impact_of(status) for status in listed] + list(unresolved_impacts)
    top = max(impacts, key=_IMPACT_RANK.__getitem__, default=Impact.NONE)
    if top is Impact.NONE and (maintenance_active or ComponentStatus.UNDER_MAINTENANCE in listed):
        return Indicator.MAINTENANCE
    return Indicator(top.value)


def indicator_rank(value: Indicator) -> int:
    """For comparing indicators: maintenance ranks just above none and below every trouble."""
    return {Indicator.NONE: 0, Indicator.MAINTENANCE: 1, Indicator.MINOR: 2, Indicator.MAJOR: 3,
            Indicator.CRITICAL: 4}[value]


def description(value: Indicator) -> str:
    return DESCRIPTIONS[value]
