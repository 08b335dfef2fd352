"""The shape of the configuration tree, as Pydantic models.

Every model forbids unknown fields, so a typo (`titel:`) is an error instead of a silently ignored
setting. Field validators raise ValueError with a sentence meant for the person editing the YAML;
the loader turns them into `file:line:column: message`. Checks that need the whole tree (duplicate
names, references between sections, criterion bounds) live in `checks.py`, where positions are
known for every part of a rule.
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    ValidationInfo,
    field_validator,
    model_validator,
)

from firebell.config import defaults
from firebell.core.durations import parse_duration

SLUG = re.compile(r"^[a-z0-9][a-z0-9\-_]*$")
SEVERITY_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_]*$")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
ABBREVIATION = re.compile(r"^[A-Z]{3,5}$")
URL = re.compile(r"^https?://[^\s/]+\S*$")

AccessLevel = Literal["admin", "responder", "viewer"]
ContactType = Literal["email", "sms", "voice", "slack", "webhook"]


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError(
            f"{value!r} is not a valid name; use lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )
    return value


def _severity_key(value: str) -> str:
    if not SEVERITY_KEY.match(value):
        raise ValueError(f"{value!r} is not a valid severity key; use letters, digits, '-' and '_'"
                         " such as P1 or SEV-1")
    return value


def _identifier(value: str) -> str:
    if not IDENTIFIER.match(value):
        raise ValueError(f"{value!r} is not a valid signal name; use snake_case such as error_rate")
    return value


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(value, _zone_names(), n=1, cutoff=0.7)
        if ABBREVIATION.match(value):
            # 'CEST' or 'PST' name an offset, not a zone with DST rules; a close match such as
            # 'EST' would be a wrong suggestion.
            hint = "; abbreviations are not time zones, use an IANA name such as Europe/Stockholm"
        elif close:
            hint = f"; did you mean '{close[0]}'?"
        else:
            hint = "; use an IANA name such as Europe/Stockholm"
        raise ValueError(f"unknown time zone {value!r}{hint}") from None
    return value


def _email(value: str) -> str:
    # Only the syntax is checked: config must validate offline, without DNS lookups. The
    # address is kept as written so that plan and export compare exactly what the author wrote.
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid email address: {exc}") from None
    return value


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(value)  # its ValueError already says how to write one


def _policy_ref(value: Any) -> Any:
    """One policy name for every severity, or {severity key: policy name}. Checked by hand so the
    author gets one sentence instead of one complaint per union member."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return value
    raise ValueError(
        "escalation_policy must be a policy name or a mapping of severity key to policy name, "
        "such as {P1: ep-p1, P2: ep-p2}"
    )


Slug = Annotated[str, Field(max_length=100), AfterValidator(_slug)]
SeverityKey = Annotated[str, Field(max_length=20), AfterValidator(_severity_key)]
Identifier = Annotated[str, Field(max_length=100), AfterValidator(_identifier)]
TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_timezone)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
Duration = Annotated[timedelta, BeforeValidator(_duration)]
Title = Annotated[str, Field(max_length=200)]
Number = StrictFloat  # YAML gives real numbers; a quoted "10" is a mistake worth reporting


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganisationConfig(Model):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    timezone: TimeZone = "UTC"


class TeamConfig(Model):
    name: Slug
    description: str = ""


class RoleConfig(Model):
    name: Slug
    title: Title = ""
    description: str = ""


class ContactMethodConfig(Model):
    type: ContactType
    address: Annotated[str, Field(min_length=1, max_length=500)]
    label: Annotated[str, Field(max_length=100)] = ""

    @field_validator("address")
    @classmethod
    def _address_fits_type(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("type")  # absent when the type itself was invalid
        if kind == "email":
            return _email(value)
        if kind in ("sms", "voice") and not PHONE.match(value):
            raise ValueError(f"{value!r} is not a phone number; write it in E.164 form, such as "
                             "+46701234567")
        if kind == "webhook" and not URL.match(value):
            raise ValueError(f"{value!r} is not a webhook URL; it must start with https:// or http://")
        return value


class UserConfig(Model):
    name: Slug
    full_name: Title = ""
    email: Email
    timezone: TimeZone | None = None  # the organisation's zone when absent
    access: AccessLevel = "responder"
    roles: list[Slug] = Field(default_factory=list)
    teams: list[Slug] = Field(default_factory=list)
    contact_methods: list[ContactMethodConfig] = Field(default_factory=list)


class EscalationPolicyConfig(Model):
    name: Slug
    description: str = ""


class ServiceConfig(Model):
    name: Slug
    title: Title = ""
    team: Slug
    description: str = ""
    escalation_policy: Annotated[str | dict[str, str], BeforeValidator(_policy_ref)] | None = None
    status_page_component: Title | None = None


class SeverityConfig(Model):
    key: SeverityKey
    name: Annotated[str, Field(max_length=100)] = ""
    description: str = ""
    impact_examples: list[str] = Field(default_factory=list)
    acknowledge_within: Duration | None = None
    recover_within: Duration | None = None
    update_every: Duration | None = None
    external_comms_required: StrictBool = False
    external_comms: list[str] = Field(default_factory=list)
    postmortem_required: StrictBool = False
    postmortem_due: Duration | None = None


class CriterionConfig(Model):
    name: Slug
    description: str = ""
    severity: SeverityKey
    flag: Identifier | None = None
    metric: Identifier | None = None
    min: Number | None = None
    above: Number | None = None
    max: Number | None = None


class IncidentRoleConfig(Model):
    name: Slug
    title: Title = ""
    description: str = ""


class LifecycleStageConfig(Model):
    name: Slug
    title: Title = ""
    description: str = ""


def _default_severities() -> list[SeverityConfig]:
    return [SeverityConfig.model_validate(item) for item in defaults.SEVERITIES]


def _default_incident_roles() -> list[IncidentRoleConfig]:
    return [IncidentRoleConfig.model_validate(item) for item in defaults.INCIDENT_ROLES]


def _default_lifecycle_stages() -> list[LifecycleStageConfig]:
    return [LifecycleStageConfig.model_validate(item) for item in defaults.LIFECYCLE_STAGES]


class Config(Model):
    """The whole validated tree. Sections left out get their defaults (see defaults.py)."""

    organisation: OrganisationConfig
    teams: list[TeamConfig] = Field(default_factory=list)
    roles: list[RoleConfig] = Field(default_factory=list)
    users: list[UserConfig] = Field(default_factory=list)
    escalation_policies: list[EscalationPolicyConfig] = Field(default_factory=list)
    services: list[ServiceConfig] = Field(default_factory=list)
    severities: list[SeverityConfig] = Field(default_factory=_default_severities, min_length=1)
    severity_criteria: list[CriterionConfig] = Field(default_factory=list)
    incident_roles: list[IncidentRoleConfig] = Field(
        default_factory=_default_incident_roles, min_length=1
    )
    lifecycle_stages: list[LifecycleStageConfig] = Field(
        default_factory=_default_lifecycle_stages, min_length=1
    )

    @model_validator(mode="after")
    def _users_default_to_organisation_zone(self) -> Config:
        # Resolved once here so that plan, apply and export all see a concrete zone.
        for user in self.users:
            if user.timezone is None:
                user.timezone = self.organisation.timezone
        return self


SECTIONS: tuple[str, ...] = tuple(Config.model_fields)
