"""The request bodies of Statuspage's management API (v1), as scripts and Terraform providers send them.

Every body is wrapped in its resource's key (`{"component": {...}}`). Fields Statuspage takes and Firebell
has no use for (tweets, automation e-mail, metrics) are accepted and ignored, so an existing client can be
re-pointed without edits; a field of the wrong type or an unknown enumeration value is a 422 naming it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ComponentStatus = Literal["operational", "degraded_performance", "partial_outage", "major_outage",
                          "under_maintenance"]
IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved",
                         "scheduled", "in_progress", "verifying", "completed"]
Impact = Literal["none", "minor", "major", "critical", "maintenance"]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ComponentFields(_Lenient):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    status: ComponentStatus | None = None
    showcase: bool | None = None
    group_id: str | None = None
    only_show_if_degraded: bool | None = None
    start_date: date | None = None


class ComponentBody(_Lenient):
    component: ComponentFields


class ComponentGroupFields(_Lenient):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    components: list[str] | None = None


class ComponentGroupBody(_Lenient):
    component_group: ComponentGroupFields


class IncidentFields(_Lenient):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    status: IncidentStatus | None = None
    impact_override: Impact | None = None
    body: str | None = Field(default=None, max_length=25000)
    components: dict[str, ComponentStatus] | None = None
    component_ids: list[str] | None = None
    deliver_notifications: bool = True
    metadata: dict[str, Any] | None = None
    scheduled_for: AwareDatetime | None = None  # with its offset (a naive time is a 422 naming the field)
    scheduled_until: AwareDatetime | None = None
    scheduled_remind_prior: bool | None = None
    scheduled_auto_in_progress: bool | None = None
    scheduled_auto_completed: bool | None = None
    auto_transition_to_maintenance_state: bool | None = None
    auto_transition_to_operational_state: bool | None = None
    auto_transition_deliver_notifications_at_start: bool | None = None
    auto_transition_deliver_notifications_at_end: bool | None = None
    backfilled: bool | None = None
    backfill_date: str | None = None


class IncidentBody(_Lenient):
    incident: IncidentFields


class PostmortemFields(_Lenient):
    body: str | None = Field(default=None, max_length=100000)
    body_draft: str | None = Field(default=None, max_length=100000)
    notify_subscribers: bool = False
    published_at: datetime | None = None


class PostmortemBody(_Lenient):
    postmortem: PostmortemFields


class SubscriberFields(_Lenient):
    mode: Literal["email", "webhook", "slack", "teams", "sms"] | None = None
    email: str | None = Field(default=None, max_length=320)
    endpoint: str | None = Field(default=None, max_length=2000)
    component_ids: list[str] | None = None
    skip_confirmation_notification: bool = False


class SubscriberBody(_Lenient):
    subscriber: SubscriberFields
