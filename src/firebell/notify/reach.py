"""How each person is reached: their verified contact methods, personal rules, zone and night.

Loaded for a whole engine pass at once (three queries for any number of people), then asked, per
page, which methods to use and when:

- A person with rules for the page's urgency gets what their rules say (`core.notification_rules`):
  several methods at their delays, low-urgency SMS and calls deferred to the end of their night.
- A person without such rules gets their first verified method now; a method that fails hands the
  page to the next one (the sender's failover).
- Unverified methods are never used. With none verified, the account email is: nobody is silently
  unreachable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import cast

from sqlalchemy.orm import Session

from firebell.core import notification_rules as rules_core
from firebell.store.rawsql import Statement, raw

_METHODS = Statement("""SELECT id, user_id, type, address, verified_at FROM contact_methods
    WHERE user_id = ANY(:ids) ORDER BY user_id, position, id""")
_USERS = Statement("""SELECT id, email, timezone, quiet_start, quiet_end, phone_low_urgency_at_night FROM users
    WHERE id = ANY(:ids)""")
_RULES = Statement("""SELECT user_id, contact_method_id, urgency, delay_minutes FROM notification_rules
    WHERE user_id = ANY(:ids) ORDER BY user_id, position, id""")
_URGENCY = Statement("SELECT key, urgency FROM severity_levels")


@dataclass(frozen=True)
class Planned:
    """One contact method to notify for one page: `position` indexes the person's usable methods
    (the failover order); `ordinal` is the step's place in the person's plan (two steps may use one
    method at two delays, and each needs its own idempotency key)."""

    position: int
    channel: str
    address: str
    at: datetime
    ordinal: int
    why: str  # shown while the page waits: the rule, or the night it waits out


@dataclass
class Reach:
    usable: list[tuple[str, str, str]] = field(default_factory=list)  # (method id, channel, address), verified
    methods: list[rules_core.ContactMethod] = field(default_factory=list)  # all, for the rules' reasons
    rules: list[rules_core.Rule] = field(default_factory=list)
    zone: str = "UTC"
    quiet: rules_core.QuietHours = field(default_factory=rules_core.QuietHours)

    def plan(self, urgency: str, page_at: datetime, now: datetime) -> list[Planned]:
        """Where a new page goes. Without rules for this urgency: the first usable method, now (or,
        for a low-urgency page to a phone, at the end of the person's night)."""
        if not any(r.urgency == urgency for r in self.rules):
            return self.method(0, urgency, now)
        plan = rules_core.plan_notifications(self.rules, self.methods, cast(rules_core.Urgency, urgency), page_at,
                                             self.zone, self.quiet, now)
        return self._placed(plan, now)

    def method(self, position: int, urgency: str, now: datetime) -> list[Planned]:
        """The usable method at `position` (a failover), minding the night for low urgency."""
        if position >= len(self.usable):
            return []
        _id, channel, address = self.usable[position]
        at, why = now, ""
        if urgency == "low" and channel in rules_core.PHONE_CHANNELS and not self.quiet.phone_low_urgency_at_night:
            morning = rules_core.night_end(now, self.zone, self.quiet)
            if morning is not None:
                at = morning
                why = f"deferred to {self.quiet.end:%H:%M} {self.zone}: low urgency does not phone at night"
        return [Planned(position, channel, address, at, 0, why)]

    def _placed(self, plan: rules_core.NotificationPlan, now: datetime) -> list[Planned]:
        index = {method_id: i for i, (method_id, _c, _a) in enumerate(self.usable)}
        out = []
        for ordinal, step in enumerate(plan.notifications):
            position = index.get(step.contact_method_id)
            if position is None:  # the account-email fallback: it is the last usable method
                position = len(self.usable) - 1
            _id, channel, address = self.usable[position]
            out.append(Planned(position, channel, address, step.at, ordinal, step.reason if step.at > now else ""))
        return out


def _clock(value: str, default: time) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        return default


def reach_of(session: Session, user_ids: Iterable[str]) -> dict[str, Reach]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    db = raw(session)
    found: dict[str, Reach] = {}
    account_emails: dict[str, str] = {}
    for user_id, email, zone, quiet_start, quiet_end, phone_at_night in db.rows(_USERS, {"ids": ids}):
        found[user_id] = Reach(zone=zone or "UTC", quiet=rules_core.QuietHours(
            _clock(quiet_start, time(22, 0)), _clock(quiet_end, time(7, 0)), bool(phone_at_night)))
        account_emails[user_id] = email
    for method_id, user_id, channel, address, verified_at in db.rows(_METHODS, {"ids": ids}):
        reach = found.get(user_id)
        if reach is None or channel not in rules_core.CHANNELS:
            continue
        reach.methods.append(rules_core.ContactMethod(method_id, cast(rules_core.Channel, channel),
                                                      verified_at is not None, address))
    for user_id, reach in found.items():
        reach.usable = [(m.id, m.type, m.address) for m in reach.methods if m.verified]
        if not reach.usable and account_emails[user_id]:
            # With no verified method, the account email (the address people log in with) is the fallback.
            reach.usable = [(rules_core.ACCOUNT_EMAIL, "email", account_emails[user_id])]
    for user_id, method_id, urgency, delay in db.rows(_RULES, {"ids": ids}):
        if user_id in found and urgency in rules_core.URGENCIES:
            found[user_id].rules.append(rules_core.Rule(method_id, int(delay),
                                                        cast(rules_core.Urgency, urgency)))
    return found


def urgencies(session: Session) -> Mapping[str, str]:
    """Severity key -> urgency, as configured (P1/P2 high, P3/P4 low by default)."""
    configured = {key: urgency for key, urgency in raw(session).rows(_URGENCY, {})}
    return {**rules_core.DEFAULT_URGENCY, **configured}


def urgency_of(severity: str, table: Mapping[str, str]) -> str:
    return table.get(severity, "high")  # an unmapped severity wakes someone rather than waiting
