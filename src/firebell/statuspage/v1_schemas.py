"""The request bodies of Statuspage's management API (v1), as scripts and Terraform providers send them.

Every body is wrapped in its resource's key (`{"component": {...}}`). Fields Statuspage takes and Firebell
has no use for (tweets, automation e-mail, metrics) are accepted and ignored, so an existing client can be
re-pointed without edits; a field of the wrong type or an unknown enumeration value is a 422 naming it.
So is text holding NUL (PostgreSQL keeps none: it was a 500 there, and stored as sent on SQLite) and a
time with an offset that puts it outside the years a datetime holds (it was a 500 on writing it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

ComponentStatus = Literal["operational", "degraded_performance", "partial_outage", "major_outage",
                          "under_maintenance"]
IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved",
                         "scheduled", "in_progress", "verifying", "completed"]
Impact = Literal["none", "minor", "major", "critical", "maintenance"]


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("contains a NUL character")
    return text


def _in_utc(at: datetime) -> datetime:
    try:
        return at.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the years 1 to 9999 once in UTC") from None


Text = Annotated[str, AfterValidator(_no_nul)]
Instant = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ComponentFields(_Lenient):
    name: Text | None = Field(default=None, min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=1000)
    status: ComponentStatus | None = None
    showcase: bool | None = None
    group_id: Text | None = None
    only_show_if_degraded: bool | None = None
    start_date: date | None = None


class ComponentBody(_Lenient):
    component: ComponentFields


class ComponentGroupFields(_Lenient):
    name: Text | None = Field(default=None, min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=1000)
    components: list[Text] | None = None


class ComponentGroupBody(_Lenient):
    component_group: ComponentGroupFields


class IncidentFields(_Lenient):
    name: Text | None = Field(default=None, min_length=1, max_length=255)
    status: IncidentStatus | None = None
    impact_override: Impact | None = None
    body: Text | None = Field(default=None, max_length=25000)
    components: dict[Text, ComponentStatus] | None = None
    component_ids: list[Text] | None = None
    deliver_notifications: bool = True
    metadata: dict[str, Any] | None = None
    scheduled_for: Instant | None = None  # with its offset (a naive time is a 422 naming the field)
    scheduled_until: Instant | None = None
    scheduled_remind_prior: bool | None = None
    scheduled_auto_in_progress: bool | None = None
    scheduled_auto_completed: bool | None = None
    auto_transition_to_maintenance_state: bool | None = None
    auto_transition_to_operational_state: bool | None = None
    auto_transition_deliver_notifications_at_start: bool | None = None
    auto_transition_deliver_notifications_at_end: bool | None = None
    backfilled: bool | None = None
    backfill_date: Text | None = None


class IncidentBody(_Lenient):
    incident: IncidentFields


class PostmortemFields(_Lenient):
    body: Text | None = Field(default=None, max_length=100000)
    body_draft: Text | None = Field(default=None, max_length=100000)
    notify_subscribers: bool = False
    published_at: datetime | None = None


class PostmortemBody(_Lenient):
    postmortem: PostmortemFields


class SubscriberFields(_Lenient):
    mode: Literal["email", "webhook", "slack", "teams", "sms"] | None = None
    email: Text | None = Field(default=None, max_length=320)
    endpoint: Text | None = Field(default=None, max_length=2000)
    component_ids: list[Text] | None = None
    skip_confirmation_notification: bool = False


class SubscriberBody(_Lenient):
    subscriber: SubscriberFields
