"""A person's own notification settings: their contact methods, their notification rules per urgency
and their quiet hours, as they edit them on /me and through /api/v1/me.

Who keeps them is the user's `notification_settings` (set by the config tree; the rule is in
docs/config-reaching-people.md, "Who keeps a person's settings"):

* `personal`: the person edits them here; `config apply` never writes them (the tree's values for
  such a user are only a starting point, written when the user is created).
* `managed`: the tree is the truth and `config apply` makes them match it, so an edit here would be
  undone by the next apply without the person knowing: every edit is refused with a Conflict that
  says where to change them. Verifying a method with a code is allowed either way (the tree never
  clears a verification).

A switch from personal to managed is announced by the plan (config/plan.py shows the user's
methods and rules before and after, and the CLI says that the person's own settings are replaced).
Every edit is audited with the person who made it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from firebell.audit.log import record
from firebell.core.notification_rules import CHANNELS, URGENCIES, masked_address
from firebell.errors import Conflict, Invalid
from firebell.notify.verification import find_method
from firebell.org.addresses import check_address
from firebell.org.models import ContactMethod, NotificationRule, User

MAX_DELAY_MINUTES = 24 * 60  # as the config tree allows
MAX_METHODS = 20
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
MANAGED = ("Your contact methods, notification rules and quiet hours are managed by the configuration tree, "
           "so a change here would be undone by the next `config apply`; ask an admin to change them there, "
           "or to set `notification_settings: personal` for you")


@dataclass(frozen=True)
class RuleIn:
    method: str  # the method's id, address, label or type (notify/verification.find_method)
    after_minutes: int = 0


def may_edit(user: User) -> bool:
    return user.notification_settings == "personal"


def _check_personal(user: User) -> None:
    if not may_edit(user):
        raise Conflict(MANAGED)


def add_method(session: Session, user: User, *, kind: str, address: str, label: str, now: datetime,
               actor: str) -> ContactMethod:
    """A new, unverified method (nobody is paged through it until its owner types the code sent to it)."""
    _check_personal(user)
    address, label = address.strip(), label.strip()
    if kind not in CHANNELS:
        raise Invalid(f"unknown contact method type {kind!r}; use one of {', '.join(CHANNELS)}")
    if not address:
        raise Invalid("give the method's address: an email address, a phone number, a Slack member id or a URL")
    if len(address) > 500 or len(label) > 100:
        raise Invalid("an address has at most 500 characters, a label at most 100")
    try:
        check_address(kind, address)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    if any((m.type, m.address) == (kind, address) for m in user.contact_methods):
        raise Conflict(f"you already have the {kind} method {address}")
    if len(user.contact_methods) >= MAX_METHODS:
        raise Conflict(f"you have {MAX_METHODS} contact methods already; remove one first")
    method = ContactMethod(type=kind, address=address, label=label,
                           position=max((m.position for m in user.contact_methods), default=-1) + 1)
    user.contact_methods.append(method)
    session.flush()
    record(session, actor=actor, action="contact_method.add", subject=user.name,
           details={"method_id": method.id, "type": kind, "address": masked_address(address)}, now=now)
    return method


def remove_method(session: Session, user: User, selector: str, *, now: datetime,
                  actor: str) -> tuple[ContactMethod, int]:
    """Removes the method and the rules that use it; (the method, how many rules went with it)."""
    _check_personal(user)
    method = find_method(user, selector)
    using = [r for r in user.notification_rules if r.contact_method_id == method.id]
    for rule in using:
        user.notification_rules.remove(rule)
    session.flush()  # the rules first: the store would otherwise delete them with the method, unseen
    user.contact_methods.remove(method)
    record(session, actor=actor, action="contact_method.remove", subject=user.name,
           details={"method_id": method.id, "type": method.type, "address": masked_address(method.address),
                    "rules_removed": len(using)}, now=now)
    return method, len(using)


def set_rules(session: Session, user: User, rules: Mapping[str, Sequence[RuleIn]], *, now: datetime,
              actor: str) -> None:
    """Replaces the rules of each urgency given (an urgency left out keeps its rules), in the order given."""
    _check_personal(user)
    unknown = set(rules) - set(URGENCIES)
    if unknown:
        raise Invalid(f"unknown urgency {sorted(unknown)[0]!r}; use high or low")
    made: list[NotificationRule] = []
    said: dict[str, list[str]] = {}
    for urgency, wanted in rules.items():
        said[urgency] = []
        seen: set[tuple[str, int]] = set()
        for position, rule in enumerate(wanted):
            if not 0 <= rule.after_minutes <= MAX_DELAY_MINUTES:
                raise Invalid(f"a rule's delay is from 0 to {MAX_DELAY_MINUTES} minutes, not {rule.after_minutes}")
            method = find_method(user, rule.method)
            if (method.id, rule.after_minutes) in seen:
                raise Invalid(f"{method.type} {method.address} after {rule.after_minutes} min is listed twice "
                              f"for {urgency} urgency")
            seen.add((method.id, rule.after_minutes))
            made.append(NotificationRule(contact_method_id=method.id, urgency=urgency, position=position,
                                         delay_minutes=rule.after_minutes))
            said[urgency].append(f"{method.type} {masked_address(method.address)} after {rule.after_minutes} min")
    for old in [r for r in user.notification_rules if r.urgency in rules]:
        user.notification_rules.remove(old)
    session.flush()  # the old rows go first: a rule may come back with the same method and delay
    user.notification_rules.extend(made)
    record(session, actor=actor, action="notification_rules.set", subject=user.name,
           details=said, now=now)


def set_quiet_hours(session: Session, user: User, *, start: str, end: str, phone_low_urgency: bool,
                    now: datetime, actor: str) -> None:
    _check_personal(user)
    for value in (start, end):
        if not _TIME.match(value):
            raise Invalid(f"{value!r} is not a time of day; write HH:MM, such as 22:00")
    if start == end:
        raise Invalid(f"quiet hours start and end are both {start}; give the night, such as 22:00 to 07:00")
    user.quiet_start, user.quiet_end, user.phone_low_urgency_at_night = start, end, phone_low_urgency
    record(session, actor=actor, action="quiet_hours.set", subject=user.name,
           details={"start": start, "end": end, "phone_low_urgency": phone_low_urgency}, now=now)
