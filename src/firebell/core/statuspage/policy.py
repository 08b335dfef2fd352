"""The status page's severity policy: when an internal incident of a severity opens a public one,
whether that public incident waits as a draft, and which status it gives the incident's components;
and who may speak on the page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from firebell.core.statuspage.rollup import ComponentStatus, Impact, impact_of


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


def auto_open_due(policy: SeverityPolicy | None, declared_at: datetime, now: datetime, *,
                  resolved: bool, already_public: bool) -> bool:
    """Whether an internal incident should open its public incident now. A private incident never
    reaches here (the caller refuses it); a resolved one, or one already public, does not open one."""
    if policy is None or policy.auto_open_after is None or resolved or already_public:
        return False
    return now - declared_at >= policy.auto_open_after


def may_edit(*, is_admin: bool, is_viewer: bool, roles_held: set[str], editor_roles: set[str]) -> bool:
    """Admins, and anyone (not a viewer) holding one of the page's editor roles (`status_page.editors`)."""
    return is_admin or (not is_viewer and bool(roles_held & editor_roles))
