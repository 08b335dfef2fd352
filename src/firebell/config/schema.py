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
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal, cast, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from firebell.config import defaults
from firebell.core.durations import format_duration, parse_duration
from firebell.core.escalation import parse_delay
from firebell.core.link_templates import LINK_NAME, template_problem
from firebell.core.matchers import parse_matcher
from firebell.org.addresses import URL, check_address, check_email

SLUG = re.compile(r"^[a-z0-9][a-z0-9\-_]*$")
SEVERITY_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_]*$")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
ABBREVIATION = re.compile(r"^[A-Z]{3,5}$")
INTEGRATION_KEY = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]*$")
LABEL_NAME = re.compile(r"^@?[A-Za-z_][A-Za-z0-9_.]*$")  # what a matcher may name
JSON_PATH = re.compile(r"^[^.\s]+(?:\.[^.\s]+)*$")
TAG = re.compile(r"^\S+$")
TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2})$")
SLACK_MEMBER = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
SLACK_MENTION = re.compile(r"^[UWS][A-Z0-9]{2,}$")  # a member, or a user group (S...)

AccessLevel = Literal["admin", "responder", "viewer"]
ContactType = Literal["email", "sms", "voice", "slack", "webhook"]
SettingsOwner = Literal["managed", "personal"]
IntegrationType = Literal["alertmanager", "pagerduty", "grafana", "webhook", "heartbeat"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
Urgency = Literal["high", "low"]
URGENCIES: tuple[str, ...] = get_args(Urgency)

DEFAULT_SIGNATURE_HEADER = "X-Grafana-Alerting-Signature"
DEFAULT_RESOLVED_VALUES = ("resolved", "ok")
DEFAULT_HEARTBEAT_SEVERITY = "P2"
MIN_HEARTBEAT_INTERVAL = timedelta(minutes=1)
MAX_RULE_DELAY = timedelta(hours=24)


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


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(value)  # its ValueError already says how to write one


def _matcher(value: str) -> str:
    """Checked with the parser ingestion uses; kept as written (state.py normalises it)."""
    try:
        parse_matcher(value)
    except ValueError as exc:
        reason = str(exc)
        raise ValueError(reason if repr(value) in reason else f"invalid matcher {value!r}: {reason}") from None
    return value


def _pattern(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not {what}")
        return value
    return AfterValidator(check)


def _link_template(value: str) -> str:
    problem = template_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _integration_key(value: str) -> str:
    # The message never repeats the value: it is a credential, and errors end up in CI logs.
    if not INTEGRATION_KEY.match(value):
        problem = (f"it is {len(value)} characters long" if not 16 <= len(value) <= 128
                   else "it holds other characters")
        raise ValueError(f"key is not a valid integration key ({problem}); use 16 to 128 letters, "
                         "digits, '-' and '_'")
    return value


def _discovery_url(value: str) -> str:
    # Over plain HTTP anyone on the path could swap the provider's keys and sign anybody in; a provider
    # on this machine (a test, a development setup) is the one exception.
    if not URL.match(value):
        raise ValueError(f"{value!r} is not a URL; write the provider's discovery document, such as "
                         "https://accounts.example.com/.well-known/openid-configuration")
    if value.startswith("http://") and urlsplit(value).hostname not in ("localhost", "127.0.0.1", "::1"):
        raise ValueError(f"{value!r} is plain HTTP; a provider must be reached over https:// "
                         "(http:// is accepted for localhost only)")
    return value


def _webhook_url_env(value: str) -> str:
    # A pasted webhook URL is a credential: the message does not repeat it (errors end up in CI logs).
    if URL.match(value) or "://" in value:
        raise ValueError("this field names the environment variable that holds the incoming webhook's URL, "
                         "such as SLACK_WEBHOOK_EXEC; the URL itself is a credential, so put it in that variable "
                         "and keep it out of the tree")
    if not ENV_NAME.match(value):
        raise ValueError(f"{value!r} is not an environment variable name; use letters, digits and '_', such as "
                         "SLACK_WEBHOOK_EXEC")
    return value


def _timestamp(value: Any) -> datetime:
    """A point in time with its zone: YAML timestamps and ISO 8601 strings with Z or an offset.
    A time without a zone would be read differently by every reader, so it is refused."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a timestamp; write one such as 2026-12-01T22:00:00Z "
                             "or 2026-12-01T23:00:00+01:00") from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone; add Z for UTC or an "
                             "offset such as +01:00")
        return value
    if isinstance(value, date):
        raise ValueError(f"{value.isoformat()} is a date, not a timestamp; add a time and a zone, "
                         f"such as {value.isoformat()}T22:00:00Z")
    raise ValueError("expected a timestamp such as 2026-12-01T22:00:00Z")


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


def _delay(value: Any) -> timedelta:
    """An escalation delay or trigger condition, parsed as the engine does (`parse_delay`). A bare
    number is refused although parse_delay reads it as seconds: `delay: 5` next to a runbook that
    says "5 min" is far more likely a missing unit than five seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("expected a duration such as 5m, 1h or 90s")
    if not isinstance(value, str):
        raise ValueError(f"{value} has no unit; write {value}m for {value} minutes, or {value}s if seconds "
                         "are meant")
    return parse_delay(value)  # its ValueError already says how to write one


def _whole_hours(value: timedelta) -> timedelta:
    """Rotations hand off on the hour: a shift is a positive whole number of hours, days or weeks."""
    if value <= timedelta(0):
        raise ValueError("a shift must be longer than 0s; write its length such as 12h, 1d or 1w")
    if value % timedelta(hours=1):
        raise ValueError(f"{format_duration(value)} is not a whole number of hours, days or weeks; a shift "
                         "length is written such as 12h, 1d or 1w")
    return value


def _clock(value: Any) -> str:
    """HH:MM as written in quotes. YAML 1.1 reads an unquoted 17:00 as the number 1020 (base 60),
    while 09:00 stays text, so a number here gets a message that explains the quotes."""
    if isinstance(value, int) and not isinstance(value, bool):
        hours, minutes = divmod(value, 60)
        meant = f' ("{hours:02d}:{minutes:02d}")' if 0 <= value < 24 * 60 else ""
        raise ValueError(f"the number {value} is not a time of day; YAML reads an unquoted time such as "
                         f"17:00 as a number, so put the time in quotes{meant}")
    match = TIME_OF_DAY.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a time of day; write HH:MM in quotes, such as \"09:00\"")
    hours, minutes = int(match[1]), int(match[2])
    if hours > 23 or minutes > 59:
        raise ValueError(f"{value!r} is not a time of day; use 00:00 to 23:59 (00:00 to 00:00 is a whole day)")
    return f"{hours:02d}:{minutes:02d}"


def _rule_delay(value: timedelta) -> timedelta:
    """Notification rules wait whole minutes (the store keeps minutes), at most a day."""
    if value % timedelta(minutes=1):
        raise ValueError(f"{format_duration(value)} is not a whole number of minutes; a rule waits whole "
                         "minutes after the page, such as 0m, 5m or 1h")
    if value > MAX_RULE_DELAY:
        raise ValueError(f"{format_duration(value)} is longer than a day; a rule waits at most 24h after the page")
    return value


def _local_date(value: Any) -> date:
    if isinstance(value, datetime):  # a subclass of date: test it first
        raise ValueError(f"{value.isoformat()} has a time of day; start is a date such as "
                         f"{value.date().isoformat()} (the time is the layer's handoff)")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date; write one such as 2026-01-05")


Slug = Annotated[str, Field(max_length=100), AfterValidator(_slug)]
SeverityKey = Annotated[str, Field(max_length=20), AfterValidator(_severity_key)]
Identifier = Annotated[str, Field(max_length=100), AfterValidator(_identifier)]
TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_timezone)]
Email = Annotated[str, Field(max_length=320), AfterValidator(check_email)]
Duration = Annotated[timedelta, BeforeValidator(_duration)]
Title = Annotated[str, Field(max_length=200)]
Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]
MatcherText = Annotated[str, Field(max_length=1000), AfterValidator(_matcher)]
Matchers = Annotated[list[MatcherText], Field(min_length=1)]
IntegrationKey = Annotated[str, AfterValidator(_integration_key)]
LinkName = Annotated[str, _pattern(
    LINK_NAME, "a link name; use lowercase letters, digits, '-' and '_', such as trace or logs")]
LinkTemplate = Annotated[str, Field(max_length=2000), AfterValidator(_link_template)]
# Links built from an alert's labels, by name: {trace: "https://tempo.example/trace/{traceID}"}.
LinkTemplates = dict[LinkName, LinkTemplate]
Sha256 = Annotated[str, _pattern(
    SHA256, "a SHA-256 digest; write 64 lowercase hexadecimal digits (sha256sum prints one)")]
EnvName = Annotated[str, Field(max_length=200), _pattern(
    ENV_NAME, "an environment variable name; use letters, digits and '_', such as PRIA_API_PD_KEY")]
HeaderName = Annotated[str, Field(max_length=100), _pattern(
    HEADER_NAME, "an HTTP header name such as X-Grafana-Alerting-Timestamp")]
LabelName = Annotated[str, Field(max_length=100), _pattern(
    LABEL_NAME, "a label name; use letters, digits and '_', such as alertname")]
JsonPath = Annotated[str, Field(max_length=300), _pattern(
    JSON_PATH, "a path into the JSON body; write dotted keys such as alert.labels.host, with list "
               "indexes as numbers such as items.0.name")]
Tag = Annotated[str, Field(min_length=1, max_length=100), _pattern(TAG, "a tag; tags have no spaces")]
Number = StrictFloat  # YAML gives real numbers; a quoted "10" is a mistake worth reporting
Delay = Annotated[timedelta, BeforeValidator(_delay)]
ShiftLength = Annotated[timedelta, BeforeValidator(_delay), AfterValidator(_whole_hours)]
TimeOfDay = Annotated[str, BeforeValidator(_clock)]
LocalDate = Annotated[date, BeforeValidator(_local_date)]
WebhookUrl = Annotated[str, Field(max_length=2000), _pattern(
    URL, "a webhook URL; it must start with https:// or http://")]
OidcDiscoveryUrl = Annotated[str, Field(max_length=2000), AfterValidator(_discovery_url)]
SlackWebhookEnv = Annotated[str, Field(max_length=100), AfterValidator(_webhook_url_env)]
RuleDelay = Annotated[timedelta, BeforeValidator(_delay), AfterValidator(_rule_delay)]
SlackMemberId = Annotated[str, Field(max_length=50), _pattern(
    SLACK_MEMBER, "a Slack member id; write U or W followed by capital letters and digits, such as U0123ABCD "
                  "(in Slack: their profile, More, Copy member ID)")]
SlackMention = Annotated[str, Field(max_length=50), _pattern(
    SLACK_MENTION, "a Slack member id (U or W followed by capital letters and digits, such as U0123ABCD) or a user "
                   "group id (S followed by capital letters and digits, such as S0123ABCD)")]
SlackChannelId = Annotated[str, Field(max_length=50), _pattern(
    SLACK_CHANNEL, "a Slack channel id; write C or G followed by capital letters and digits, such as C0123ABCD "
                   "(in Slack: the channel's details, at the bottom); the #name goes in name")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganisationConfig(Model):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    timezone: TimeZone = "UTC"
    support_contact: Annotated[str, Field(max_length=200)] = ""  # named in customer emails
    links: LinkTemplates = Field(default_factory=dict)  # every service's, unless it sets its own


class TeamConfig(Model):
    name: Slug
    description: str = ""


class _TitledEntry(Model):
    """Shape shared by named vocabularies: organisational roles, incident roles, stages."""

    name: Slug
    title: Title = ""
    description: str = ""


class RoleConfig(_TitledEntry):
    pass


class ContactMethodConfig(Model):
    type: ContactType
    address: Annotated[str, Field(min_length=1, max_length=500)]
    label: Annotated[str, Field(max_length=100)] = ""
    # true: the admin vouches that the method is verified (it was verified in the paging tool it was
    # migrated from, say), and apply marks it verified if it is not yet. Leaving it out (or false)
    # asserts nothing: it never clears a verification, such as one the user made themselves with a code.
    verified: StrictBool = False

    @field_validator("address")
    @classmethod
    def _address_fits_type(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("type")  # absent when the type itself was invalid
        return check_address(kind, value) if kind is not None else value


def names_method(use: str, kind: Any, address: Any, label: Any) -> bool:
    """Whether a notification rule's `use` names this contact method: by its label, its type or its
    address. checks.py makes sure that exactly one of a user's methods answers to each `use`."""
    return bool(use) and use in (label, kind, address)


class QuietHoursConfig(Model):
    """The user's night, wall-clock in their own zone: a low-urgency page that would ring their phone
    (SMS, voice) then waits for `end`, unless phone_low_urgency is true. High urgency is never held.
    An `end` before `start` runs past midnight, so 22:00 to 07:00 is a night."""

    start: TimeOfDay = defaults.QUIET_HOURS["start"]
    end: TimeOfDay = defaults.QUIET_HOURS["end"]
    phone_low_urgency: StrictBool = defaults.QUIET_HOURS["phone_low_urgency"]

    @model_validator(mode="after")
    def _start_is_not_end(self) -> QuietHoursConfig:
        # A model check, not a field one: the clash may come from a default (`{start: "07:00"}`).
        if self.start == self.end:
            raise ValueError(f"quiet_hours start and end are both {self.start}, which could mean no night or "
                             "a whole day; give the night as start and end such as \"22:00\" and \"07:00\" "
                             "(to be phoned for low urgency at night as well, set phone_low_urgency: true)")
        return self


class NotificationRuleConfig(Model):
    """Notify the contact method that `use` names (its label, type or address) `after` the page,
    unless it was acknowledged by then."""

    use: Annotated[str, Field(min_length=1, max_length=500)]
    after: RuleDelay = timedelta(0)


class NotificationRulesConfig(Model):
    """A user's rules per urgency (the severity of the page decides it). Rules are kept in the order
    written; rules with the same `after` go out together."""

    high: list[NotificationRuleConfig] = Field(default_factory=list)
    low: list[NotificationRuleConfig] = Field(default_factory=list)


class UserConfig(Model):
    name: Slug
    full_name: Title = ""
    email: Email
    slack_user: SlackMemberId | None = None  # unique across users
    timezone: TimeZone | None = None  # the organisation's zone when absent
    access: AccessLevel = "responder"
    roles: list[Slug] = Field(default_factory=list)
    teams: list[Slug] = Field(default_factory=list)
    quiet_hours: QuietHoursConfig = Field(default_factory=QuietHoursConfig)
    contact_methods: list[ContactMethodConfig] = Field(default_factory=list)
    notification_rules: NotificationRulesConfig = Field(default_factory=NotificationRulesConfig)
    # Who keeps the three settings above (docs/config-reaching-people.md, "Who keeps a person's
    # settings"): left out, the tree manages them when the entry lists any of them, else the person.
    notification_settings: SettingsOwner | None = None

    @property
    def settings_owner(self) -> SettingsOwner:
        if self.notification_settings is not None:
            return self.notification_settings
        listed = self.model_fields_set & {"quiet_hours", "contact_methods", "notification_rules"}
        return "managed" if listed else "personal"


# --- on-call: outbound webhooks, escalation policies, schedules ---------------------------------

# A target's kind -> the section that defines the name it gives. `ticket` and `webhook` both name
# an outbound webhook; the kind tells the engine (and the reader) what the call is for.
TARGET_SECTIONS: dict[str, str] = {
    "user": "users", "schedule": "schedules", "role": "roles", "team": "teams",
    "ticket": "outbound_webhooks", "webhook": "outbound_webhooks",
}
# Every kind of target: those naming an entry of a section, and a Slack mention (named by its id).
TARGET_KINDS: tuple[str, ...] = (*TARGET_SECTIONS, "slack_mention")
# Trigger condition keys (core.escalation.TRIGGER_CONDITIONS); all but `tag` are durations.
TRIGGER_CONDITIONS: tuple[str, ...] = ("unacknowledged_for", "no_update_for", "open_for", "tag")


class OutboundWebhookConfig(Model):
    """A call Firebell makes to another system when a `ticket:` or `webhook:` target is reached: a
    follow-up ticket in a tracker, a chat mention. `secret_env` names the environment variable that
    holds the signing secret; the secret itself is never written in the tree."""

    name: Slug
    url: WebhookUrl
    secret_env: EnvName | None = None
    description: str = ""


def _target_shape(value: Any) -> Any:
    if isinstance(value, dict):
        return value
    raise ValueError("a target is a mapping with one of user, schedule, role, team, ticket, webhook or slack_mention, "
                     "such as {schedule: primary} or {role: cto, note: pager}")


class TargetConfig(Model):
    """Exactly one of the kind fields is given (checks.py says so with positions)."""

    user: Slug | None = None
    schedule: Slug | None = None
    role: Slug | None = None
    team: Slug | None = None
    ticket: Slug | None = None
    webhook: Slug | None = None
    # The bot posts in `channel`, mentioning this member or user group (checks.py: both or neither).
    slack_mention: SlackMention | None = None
    channel: SlackChannelId | None = None
    note: Annotated[str, Field(max_length=500)] = ""  # carried to the message, e.g. "handled next business day"

    @property
    def kind(self) -> str:
        return next(kind for kind in TARGET_KINDS if getattr(self, kind) is not None)

    @property
    def name(self) -> str:
        return str(getattr(self, self.kind))


TargetEntry = Annotated[TargetConfig, BeforeValidator(_target_shape)]
Targets = Annotated[list[TargetEntry], Field(min_length=1)]


class LevelConfig(Model):
    """One rung of the ladder: who is paged, and how long to wait for an acknowledgement before the
    next rung. The delay is required on every level but the last; on the last it is the wait before
    the ladder starts over, so it is required there only when the policy repeats."""

    targets: Targets
    delay: Delay | None = None


class TriggerConfig(Model):
    """A page beyond the ladder, fired at most once per incident when its one condition holds:
    unacknowledged_for / no_update_for / open_for a duration, or the incident carries `tag`.
    `severities` limits it to incidents of those severities (none: every severity)."""

    name: Slug
    unacknowledged_for: Delay | None = None
    no_update_for: Delay | None = None
    open_for: Delay | None = None
    tag: Tag | None = None
    severities: list[SeverityKey] = Field(default_factory=list)
    targets: Targets

    @property
    def condition(self) -> str:
        return next(key for key in TRIGGER_CONDITIONS if getattr(self, key) is not None)


class EscalationPolicyConfig(Model):
    name: Slug
    description: str = ""
    repeat: Annotated[StrictInt, Field(ge=0, le=100)] = 0  # further runs of the whole ladder
    levels: Annotated[list[LevelConfig], Field(min_length=1)]
    triggers: list[TriggerConfig] = Field(default_factory=list)


class PatternStepConfig(Model):
    """One step of a shift pattern: `on` is a shift (the next participant takes it), `off` a gap in
    which this layer covers nobody and the layers below show through."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    on: ShiftLength | None = None
    off: ShiftLength | None = None


class RotationConfig(Model):
    """Either `every`: back-to-back shifts of one length, or `pattern`: a repeating cycle of on and off
    steps. Lengths are whole hours, days or weeks."""

    every: ShiftLength | None = None
    pattern: Annotated[list[PatternStepConfig], Field(min_length=1)] | None = None


class RestrictionConfig(Model):
    """A window the layer covers, opening on each of `days` at `from`, in the schedule's zone. A `to`
    at or before `from` runs past midnight to `to` the next day (as in firebell.core.rotations), so
    22:00 to 06:00 is a night and 00:00 to 00:00 a whole day. A layer with restrictions covers only
    their union; the rotation keeps turning underneath."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    days: Annotated[list[Weekday], Field(min_length=1)]
    from_: TimeOfDay = Field(alias="from")
    to: TimeOfDay


class LayerConfig(Model):
    """Participants take turns through the rotation. The first shift starts on `start` (a date in the
    schedule's zone) at `handoff`; shifts of whole days or weeks hand off at that wall-clock time
    every time, across daylight saving changes."""

    name: Slug
    participants: Annotated[list[Slug], Field(min_length=1)]
    rotation: RotationConfig
    handoff: TimeOfDay
    start: LocalDate
    restrictions: list[RestrictionConfig] = Field(default_factory=list)


class ScheduleConfig(Model):
    """Who is on call. Layers are listed lowest first: where a later layer has someone on call, it
    wins. Overrides (holiday cover, swaps) are made at run time, not here."""

    name: Slug
    title: Title = ""
    description: str = ""
    team: Slug | None = None
    timezone: TimeZone | None = None  # the organisation's zone when absent
    layers: Annotated[list[LayerConfig], Field(min_length=1)]


class SeverityMapRuleConfig(Model):
    match: Matchers
    severity: SeverityKey


class FlappingConfig(Model):
    max_refires: Annotated[StrictInt, Field(ge=1)] = 4
    window: Duration = timedelta(minutes=30)

    @field_validator("window")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("window must be longer than 0s, such as 30m")
        return value


class AlertingConfig(Model):
    """How a service's alerts become incidents; see firebell.alerts.settings for the defaults of
    what is left out."""

    paging_threshold: SeverityKey | None = None
    default_severity: SeverityKey | None = None
    auto_resolve: StrictBool | None = None
    group_by: list[LabelName] | None = None
    severity_map: list[SeverityMapRuleConfig] | None = None
    flapping: FlappingConfig | None = None


class WebhookMappingConfig(Model):
    """Where a generic webhook's JSON body keeps each alert field, as dotted paths."""

    summary: JsonPath
    severity: JsonPath | None = None
    dedup_key: JsonPath | None = None
    status: JsonPath | None = None
    resolved_values: list[str] = Field(default_factory=lambda: list(DEFAULT_RESOLVED_VALUES))
    acknowledged_values: list[str] = Field(default_factory=list)
    source: JsonPath | None = None
    group_key: JsonPath | None = None
    links: list[JsonPath] = Field(default_factory=list)
    details: JsonPath | None = None


# Fields that only one integration type accepts (checks.py reports them on any other type).
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "grafana": ("hmac_secret", "hmac_secret_env", "keep_hmac_secret", "timestamp_header", "signature_header"),
    "webhook": ("mapping",),
    "heartbeat": ("interval", "grace", "severity", "summary"),
}


class IntegrationConfig(Model):
    """An inbound endpoint. With none of key, key_env and key_sha256, Firebell generates the key
    when the integration is first created and keeps it."""

    name: Slug
    type: IntegrationType
    key: IntegrationKey | None = None
    key_env: EnvName | None = None
    key_sha256: Sha256 | None = None
    # grafana
    hmac_secret: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    hmac_secret_env: EnvName | None = None
    # What `config export` writes instead of the secret: keep the one the database holds.
    keep_hmac_secret: bool = False
    timestamp_header: HeaderName | None = None
    signature_header: HeaderName | None = None
    # webhook
    mapping: WebhookMappingConfig | None = None
    # heartbeat
    interval: Duration | None = None
    grace: Duration | None = None
    severity: SeverityKey | None = None
    summary: Annotated[str, Field(max_length=1024)] | None = None

    @field_validator("interval")
    @classmethod
    def _interval_at_least_a_minute(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < MIN_HEARTBEAT_INTERVAL:
            raise ValueError(f"interval {format_duration(value)} is too short; a heartbeat interval "
                             "must be at least 1m")
        return value


def default_grace(interval: timedelta) -> timedelta:
    """A fifth of the interval, in whole seconds."""
    return timedelta(seconds=round(interval.total_seconds() / 5))


def default_heartbeat_summary(service: str, integration: str) -> str:
    return f"No heartbeat from {service}/{integration}"


class ServiceConfig(Model):
    name: Slug
    title: Title = ""
    team: Slug
    description: str = ""
    escalation_policy: Annotated[str | dict[str, str], BeforeValidator(_policy_ref)] | None = None
    status_page_component: Title | None = None
    alerting: AlertingConfig | None = None
    integrations: list[IntegrationConfig] = Field(default_factory=list)
    links: LinkTemplates = Field(default_factory=dict)  # replace the organisation's of the same name


class SeverityConfig(Model):
    key: SeverityKey
    name: Annotated[str, Field(max_length=100)] = ""
    description: str = ""
    impact_examples: list[str] = Field(default_factory=list)
    acknowledge_within: Duration | None = None
    recover_within: Duration | None = None
    update_every: Duration | None = None
    urgency: Urgency | None = None  # defaults.urgency_for(key, rank) when absent
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


class IncidentRoleConfig(_TitledEntry):
    pass


class LifecycleStageConfig(_TitledEntry):
    pass


class RoutingRuleConfig(Model):
    """One global routing rule; rules are tried in list order and all matchers must hold."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: Slug
    match: Matchers
    set_service: Slug | None = None
    set_severity: SeverityKey | None = None
    add_tags: list[Tag] = Field(default_factory=list)
    suppress: StrictBool = False
    continue_: StrictBool = Field(default=False, alias="continue")


class MaintenanceWindowConfig(Model):
    name: Slug
    service: Slug
    starts_at: Timestamp
    ends_at: Timestamp
    reason: str = ""

    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts = info.data.get("starts_at")  # absent when starts_at itself was invalid
        if starts is not None and value <= starts:
            raise ValueError(f"ends_at {value.isoformat()} is not after starts_at "
                             f"{starts.isoformat()}; a window must end after it starts")
        return value


class SlackChannelConfig(Model):
    """A Slack channel that gets a message for every incident of one of `severities` or carrying one
    of `tags` (at least one of the two is needed; checks.py says so), kept up to date as the incident
    moves. Firebell posts with its bot token, or, with `webhook_url_env`, through the incoming webhook
    whose URL is in that environment variable (the URL is a credential, so it is never written here).
    An incoming webhook can only post, not update what it posted."""

    channel: SlackChannelId
    name: Annotated[str, Field(max_length=100)] = ""  # "#incident-active", for people reading plans
    severities: list[SeverityKey] = Field(default_factory=list)
    tags: list[Tag] = Field(default_factory=list)
    webhook_url_env: SlackWebhookEnv | None = None
    # coordination: the incident's card, redrawn as it moves; stakeholders: a new message when it is
    # declared, updated and resolved (docs/stakeholder-updates.md), posted by the bot.
    purpose: Literal["coordination", "stakeholders"] = "coordination"


class SlackFallbackConfig(Model):
    """Where messages for Slack channels go while Slack fails: once calls to a channel have failed
    for `after` without a success between, its incident messages are posted to the chat route
    `route` instead, until Slack answers again."""

    after: Delay
    route: Slug


class SlackConfig(Model):
    channels: list[SlackChannelConfig] = Field(default_factory=list)
    fallback: SlackFallbackConfig | None = None


ChatKind = Literal["google_chat", "teams"]


class ChatRouteConfig(Model):
    """A Google Chat space or Microsoft Teams channel, reached through its incoming webhook whose URL
    is in the environment variable `url_env` (a credential, never written here). It gets one message
    per change worth telling (declared, updated, resolved) of incidents of one of `severities` or
    carrying one of `tags`; with neither, only what `slack.fallback` sends it."""

    name: Slug
    kind: ChatKind
    url_env: SlackWebhookEnv
    description: str = ""
    severities: list[SeverityKey] = Field(default_factory=list)
    tags: list[Tag] = Field(default_factory=list)


class ChatConfig(Model):
    routes: list[ChatRouteConfig] = Field(default_factory=list)


class StakeholderWhen(Model):
    """Which incidents a stakeholder list hears about: all the conditions given hold (none: every one)."""

    severities: list[SeverityKey] = Field(default_factory=list)
    teams: list[Slug] = Field(default_factory=list)
    services: list[Slug] = Field(default_factory=list)


class StakeholderListConfig(Model):
    """People told when an incident is declared, at each status update and when it is resolved, by
    email (`people`: user names, whose email is used; `addresses`) and through `webhooks` (names of
    outbound webhooks). Private incidents are told to no list."""

    name: Slug
    description: Annotated[str, Field(max_length=500)] = ""
    people: list[Slug] = Field(default_factory=list)
    addresses: list[Email] = Field(default_factory=list)
    webhooks: list[Slug] = Field(default_factory=list)
    when: StakeholderWhen = Field(default_factory=StakeholderWhen)


class OidcConfig(Model):
    """Single sign-on through an OpenID Connect provider (authorization code with PKCE). The client id
    and secret are credentials, so the tree names the environment variables that hold them; the
    server reads them when someone signs in. People are matched to users by their verified email."""

    discovery_url: OidcDiscoveryUrl
    title: Annotated[str, Field(max_length=60)] = ""  # the button says "Sign in with <title>"
    client_id_env: EnvName
    client_secret_env: EnvName
    create_users: StrictBool = False  # an unknown verified email gets a user (default_access) instead of a refusal
    default_access: AccessLevel = "viewer"


class SignInConfig(Model):
    oidc: OidcConfig | None = None


TemplateText = Annotated[str, Field(max_length=20_000)]


class TemplateConfig(Model):
    """Overrides the built-in words of one purpose on one channel (messages/catalogue.py), for the
    organisation or, with `service`, for incidents of that service. Parts left out keep the built-in."""

    purpose: Annotated[str, Field(max_length=50)]
    channel: Annotated[str, Field(max_length=20)]
    service: Slug | None = None
    subject: TemplateText | None = None
    text: TemplateText | None = None
    html: TemplateText | None = None
    title: TemplateText | None = None
    body: TemplateText | None = None

    def parts(self) -> dict[str, str]:
        return {part: value for part in TEMPLATE_PARTS if (value := getattr(self, part)) is not None}

    def name(self) -> str:
        return "/".join(p for p in (self.purpose, self.channel, self.service) if p)


TEMPLATE_PARTS = ("subject", "text", "html", "title", "body")


class CustomerConfig(Model):
    """A customer of a service, written to by the customer email ("Dear <name>,")."""

    service: Slug
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Email

    def identity(self) -> str:
        return f"{self.service}/{self.email.lower()}"


class CustomerSeverityConfig(Model):
    """A severity whose incidents may email customers (TenSafe: P1 only), and who approves: a second
    person (the default) or the writer alone."""

    severity: SeverityKey
    approval: Literal["second_person", "single_person"] = "second_person"


class CustomersConfig(Model):
    severities: list[CustomerSeverityConfig] = Field(default_factory=list)
    recipients: list[CustomerConfig] = Field(default_factory=list)


# --- status_page: (docs/status-page.md) -----------------------------------------------------------

PageUrl = Annotated[str, Field(max_length=2000), _pattern(URL, "a URL; it must start with https:// or http://")]
Colour = Annotated[str, _pattern(re.compile(r"^#[0-9a-fA-F]{6}$"), "a colour; write it as #rrggbb, such as #0b5fff")]
ComponentStatusName = Literal["operational", "degraded_performance", "partial_outage", "major_outage"]


def _auto_open(value: Any) -> Any:
    """`immediately`, `manual`, or `{after: 1h}` (also written `after 1h`)."""
    if isinstance(value, str) and value.startswith("after "):
        return {"after": value.removeprefix("after ").strip()}
    if isinstance(value, str) and value not in ("immediately", "manual"):
        raise ValueError(f"{value!r} is not a way to open; write immediately, manual or {{after: 1h}}")
    return value


class AutoOpenAfter(Model):
    after: Duration


class StatusFooterLink(Model):
    label: Annotated[str, Field(min_length=1, max_length=100)]
    url: PageUrl


class StatusBrandingConfig(Model):
    logo_url: PageUrl | None = None
    accent: Colour = "#0b5fff"
    custom_css: Annotated[str, Field(max_length=20_000)] | None = None
    footer_links: list[StatusFooterLink] = Field(default_factory=list)
    support_url: PageUrl | None = None


class StatusComponentConfig(Model):
    """A component of the public page; `position` defaults to its place in the list."""

    name: Title
    description: Annotated[str, Field(max_length=1000)] = ""
    position: StrictInt | None = None
    showcase: StrictBool = True
    only_show_if_degraded: StrictBool = False


class StatusGroupConfig(StatusComponentConfig):
    """A group of components (one level: a group holds components, never groups)."""

    components: list[StatusComponentConfig] = Field(default_factory=list)


class StatusSeverityConfig(Model):
    """What an internal incident of `severity` does to the public page (OPS1: P1 at once, P2 after an hour)."""

    severity: SeverityKey
    auto_open: Annotated[Literal["immediately", "manual"] | AutoOpenAfter, BeforeValidator(_auto_open)] = "manual"
    publish: Literal["immediately", "draft"] = "immediately"
    component_status: ComponentStatusName = "partial_outage"


class StatusIncidentNotices(Model):
    created: StrictBool = True
    updated: StrictBool = True
    resolved: StrictBool = True


class StatusMaintenanceNotices(Model):
    scheduled: StrictBool = True
    rescheduled: StrictBool = True
    started: StrictBool = True
    completed: StrictBool = True


class StatusComponentNotices(Model):
    """Component status changes, by the subscriber's mode: machines take them, mail does not."""

    email: StrictBool = False
    webhook: StrictBool = True
    slack: StrictBool = True
    teams: StrictBool = True
    google_chat: StrictBool = True


class StatusNotifyConfig(Model):
    """What the page's subscribers hear of (core/statuspage/notices.py); left out, everything but
    component changes by mail."""

    incidents: StatusIncidentNotices = Field(default_factory=StatusIncidentNotices)
    maintenance: StatusMaintenanceNotices = Field(default_factory=StatusMaintenanceNotices)
    component_status: StatusComponentNotices = Field(default_factory=StatusComponentNotices)


class StatusPageConfig(Model):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    url: PageUrl
    time_zone: TimeZone = "Etc/UTC"
    export_dir: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    editors: list[Slug] = Field(default_factory=list)  # org roles that may speak on the page, besides admins
    branding: StatusBrandingConfig = Field(default_factory=StatusBrandingConfig)
    components: list[StatusComponentConfig] = Field(default_factory=list)
    groups: list[StatusGroupConfig] = Field(default_factory=list)
    severities: list[StatusSeverityConfig] = Field(default_factory=list)
    notify: StatusNotifyConfig = Field(default_factory=StatusNotifyConfig)


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
    schedules: list[ScheduleConfig] = Field(default_factory=list)
    outbound_webhooks: list[OutboundWebhookConfig] = Field(default_factory=list)
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
    routing_rules: list[RoutingRuleConfig] = Field(default_factory=list)
    maintenance_windows: list[MaintenanceWindowConfig] = Field(default_factory=list)
    slack: SlackConfig = Field(default_factory=SlackConfig)
    chat: ChatConfig = Field(default_factory=ChatConfig)
    templates: list[TemplateConfig] = Field(default_factory=list)
    customers: CustomersConfig = Field(default_factory=CustomersConfig)
    stakeholders: list[StakeholderListConfig] = Field(default_factory=list)
    sign_in: SignInConfig = Field(default_factory=SignInConfig)
    status_page: StatusPageConfig | None = None

    @model_validator(mode="after")
    def _users_default_to_organisation_zone(self) -> Config:
        # Resolved once here so that plan, apply and export all see a concrete zone (and urgency).
        for user in self.users:
            if user.timezone is None:
                user.timezone = self.organisation.timezone
        for schedule in self.schedules:
            if schedule.timezone is None:
                schedule.timezone = self.organisation.timezone
        for rank, level in enumerate(self.severities):
            if level.urgency is None:
                level.urgency = cast(Urgency, defaults.urgency_for(level.key, rank))
        return self


SECTIONS: tuple[str, ...] = tuple(Config.model_fields)
