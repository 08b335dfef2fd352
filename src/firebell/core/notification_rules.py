"""Personal notification rules: which of a user's contact methods a page reaches, and when.

A user's rules say "for high-urgency pages, push at once, SMS after 2 minutes, call after 5"; the
page's severity decides its urgency. The plan this module makes is what the notification sender
enqueues for one page to one user:

* Only rules for the page's urgency apply, in order of their time (ties keep the user's order).
  The same method at the same delay twice is one notification; at two delays it is two (a repeat).
* A method that is not verified is never used, because a typo'd number would page a stranger;
  each one is reported in `skipped` so the user can be told to verify it.
* When the rules reach nobody (no rules for this urgency, or every rule names an unverified or
  deleted method) the plan falls back rather than staying silent: every verified method at once
  for high urgency, the first verified method for low urgency, and with nothing verified the
  account email (the `ACCOUNT_EMAIL` sentinel; the caller knows the address). A page is never
  planned to reach no one.
* Quiet hours are a wall-clock night in the user's IANA zone (22:00-07:00 by default). A low-urgency
  step that would phone (SMS or voice) during it is deferred to the wall-clock end of that night,
  unless the user opted in. Email, chat and webhooks are silent, so they are not deferred; high
  urgency is never deferred: that is what high urgency means.
* Times are DST-correct: the night of a spring-forward change is an hour shorter in real time, the
  night of a fall-back change an hour longer. A quiet-hours boundary that the clocks skip moves
  forward by the jump and one they show twice means its first occurrence, as hand-offs do in
  firebell.core.rotations.
* A step whose time has already passed when the plan is made is due `now`, and the night rule is
  judged at that moment: an engine that was down until 23:00 must not phone for an evening page.

Every instant given must be aware; every instant returned is UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from firebell.core.rotations import as_utc, local_instant, zone_of

Channel = Literal["email", "sms", "voice", "slack", "webhook"]
CHANNELS: tuple[Channel, ...] = ("email", "sms", "voice", "slack", "webhook")
Urgency = Literal["high", "low"]
URGENCIES: tuple[Urgency, ...] = ("high", "low")

# The channels that ring or buzz a phone: the ones that wake people up.
PHONE_CHANNELS: frozenset[Channel] = frozenset({"sms", "voice"})

# P1/P2 need a human now; P3/P4 can wait for the morning (the OPS1 severity matrix).
DEFAULT_URGENCY: Mapping[str, Urgency] = {"P1": "high", "P2": "high", "P3": "low", "P4": "low"}

# Stands in for the contact method when the plan falls back to the user's account email.
ACCOUNT_EMAIL = "account-email"

_ONE_DAY = timedelta(days=1)


def masked_address(address: str) -> str:
    """Enough of an address to recognise it in a log without publishing it: "+46…89", "a…@example.com"."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}…@{domain}"
    if len(address) <= 5:
        return f"{address[:1]}…"
    return f"{address[:3]}…{address[-2:]}"


@dataclass(frozen=True)
class ContactMethod:
    id: str
    type: Channel
    verified: bool
    address: str = ""  # only shown, masked, in the reasons

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("a contact method needs an id")
        if self.type not in CHANNELS:
            raise ValueError(f"contact method {self.id!r}: type is one of {', '.join(CHANNELS)}, got {self.type!r}")

    def label(self) -> str:
        """How reasons name the method: "sms +46…89", or the id when the address is not known."""
        return f"{self.type} {masked_address(self.address) if self.address else self.id}"


@dataclass(frozen=True)
class Rule:
    """Notify `contact_method_id` `delay_minutes` after a page of `urgency` starts."""

    contact_method_id: str
    delay_minutes: int
    urgency: Urgency

    def __post_init__(self) -> None:
        delay = self.delay_minutes
        if not isinstance(delay, int) or isinstance(delay, bool) or delay < 0:
            raise ValueError(f"a rule's delay is a whole number of minutes >= 0, got {delay!r}")
        if self.urgency not in URGENCIES:
            raise ValueError(f"a rule's urgency is 'high' or 'low', got {self.urgency!r}")


@dataclass(frozen=True)
class QuietHours:
    """The night, as wall-clock times in the user's zone. `end` at or before `start` runs past
    midnight, so 22:00-07:00 is a night and 01:00-05:00 is within one day. `start` equal to `end`
    means no quiet hours. `phone_low_urgency_at_night`: the user accepts being phoned anyway."""

    start: time = time(22, 0)
    end: time = time(7, 0)
    phone_low_urgency_at_night: bool = False

    def __post_init__(self) -> None:
        for what, value in (("start", self.start), ("end", self.end)):
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f"quiet hours {what} is a time of day without a zone (the user's zone applies), "
                                 f"got {value!r}")
            if value.fold:
                object.__setattr__(self, what, value.replace(fold=0))


@dataclass(frozen=True)
class PlannedNotification:
    contact_method_id: str  # or ACCOUNT_EMAIL
    channel: Channel
    at: datetime  # UTC; when to send
    reason: str


@dataclass(frozen=True)
class Skipped:
    contact_method_id: str
    reason: str  # "sms +46…89 not verified"


@dataclass(frozen=True)
class NotificationPlan:
    notifications: list[PlannedNotification]  # by time; never empty
    skipped: list[Skipped]


def urgency_of(severity: str, mapping: Mapping[str, Urgency] | None = None) -> Urgency:
    """The urgency of a page for an incident of `severity`. A severity the mapping does not know is
    high: a gap in the configuration should wake someone, not let a real outage wait for morning."""
    table = DEFAULT_URGENCY if mapping is None else mapping
    return table.get(severity, "high")


def night_end(at: datetime, zone: str | ZoneInfo, quiet: QuietHours) -> datetime | None:
    """The UTC instant the night containing `at` ends, or None when `at` is not at night."""
    if quiet.start == quiet.end:
        return None
    tz = zone_of(zone)
    instant = as_utc(at, "instant")
    today = instant.astimezone(tz).date()
    crosses_midnight = quiet.end < quiet.start
    # A night opens on the local date of its start and lasts under a day (plus a DST jump), so
    # the one containing `at` opened today or, when it crosses midnight, yesterday.
    for opened in (today - _ONE_DAY, today):
        start = local_instant(tz, opened, quiet.start)
        end = local_instant(tz, opened + _ONE_DAY if crosses_midnight else opened, quiet.end)
        if start <= instant < end:
            return end
    return None


def _dedupe(rules: Iterable[Rule]) -> list[Rule]:
    seen: set[tuple[str, int]] = set()
    out = []
    for rule in rules:
        key = (rule.contact_method_id, rule.delay_minutes)
        if key not in seen:
            seen.add(key)
            out.append(rule)
    return out


def _fallback(urgency: Urgency, verified: list[ContactMethod], why: str) -> list[tuple[str, Channel, int, str]]:
    """(method id, channel, delay, reason) for a user whose rules reach no one."""
    if not verified:
        return [(ACCOUNT_EMAIL, "email", 0, f"{why}, and no verified contact method: the account email")]
    if urgency == "high":
        return [(m.id, m.type, 0, f"{why}: every verified method at once") for m in verified]
    first = verified[0]
    return [(first.id, first.type, 0, f"{why}: the first verified method")]


def plan_notifications(
    rules: Sequence[Rule],
    methods: Sequence[ContactMethod],
    urgency: Urgency,
    page_at: datetime,
    user_zone: str,
    quiet: QuietHours,
    now: datetime,
) -> NotificationPlan:
    """Which of the user's methods to notify for a page of `urgency` that started at `page_at`,
    and when. `methods` are in the user's order (the fallback's "first verified method")."""
    if urgency not in URGENCIES:
        raise ValueError(f"urgency is 'high' or 'low', got {urgency!r}")
    zone = zone_of(user_zone)
    start, current = as_utc(page_at, "page_at"), as_utc(now, "now")
    by_id = {m.id: m for m in methods}
    verified = [m for m in methods if m.verified]

    skipped: dict[str, Skipped] = {}
    steps: list[tuple[str, Channel, int, str]] = []
    mine = sorted(_dedupe(r for r in rules if r.urgency == urgency), key=lambda r: r.delay_minutes)
    for rule in mine:
        method = by_id.get(rule.contact_method_id)
        if method is None:
            skipped.setdefault(rule.contact_method_id, Skipped(
                rule.contact_method_id, f"a {urgency}-urgency rule names contact method "
                                        f"{rule.contact_method_id!r}, which no longer exists"))
        elif not method.verified:
            skipped.setdefault(method.id, Skipped(method.id, f"{method.label()} not verified"))
        else:
            steps.append((method.id, method.type, rule.delay_minutes,
                          f"{urgency}-urgency rule: {method.label()} {_after(rule.delay_minutes)}"))
    if not steps:
        why = f"no {urgency}-urgency rules" if not mine else f"no {urgency}-urgency rule reaches a verified method"
        steps = _fallback(urgency, verified, why)
        # The fallback passes over unverified methods too; say so, or the user never learns why.
        for method in methods:
            if not method.verified:
                skipped.setdefault(method.id, Skipped(method.id, f"{method.label()} not verified"))

    planned = []
    for method_id, channel, delay, reason in steps:
        at = max(start + timedelta(minutes=delay), current)
        if urgency == "low" and channel in PHONE_CHANNELS and not quiet.phone_low_urgency_at_night:
            end = night_end(at, zone, quiet)
            if end is not None:
                at = end
                reason = f"deferred to {end.astimezone(zone):%H:%M} {zone.key}: low urgency does not phone at night"
        planned.append(PlannedNotification(method_id, channel, at, reason))
    planned.sort(key=lambda p: p.at)  # stable: same-time steps keep the rules' order
    return NotificationPlan(notifications=planned, skipped=list(skipped.values()))


def _after(delay_minutes: int) -> str:
    if delay_minutes == 0:
        return "at once"
    return f"{delay_minutes} min after the page"
