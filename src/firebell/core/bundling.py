"""Rate limits and bundling for the pages waiting to go out to one contact method.

The sender calls `decide` with what is pending for one address, when it last sent there and when
anything was last sent on the channel at all; it sends the bundles, records one send per bundle
at `now`, and calls again at the earliest `until` of what is held (or when a new page arrives).

Rules:

* Bundling. On channels that buzz a person (SMS, voice, Slack DMs) a burst of pages becomes one
  message: the first page waits `bundle_window` (30 s) for others to join it, then everything
  pending goes as ONE bundle. Email and webhooks do not bundle by default: mail clients thread
  messages anyway, and machines want one event per page.
* A P1 skips the wait. It goes out at once and takes along whatever is already waiting, but it
  never waits for more pages to arrive: shaving 30 s off the time to wake someone for a P1 is
  worth a second message later, and the pages already waiting ride along for free.
* Rate limits are hard, P1 included: no more than `per_method_per_window` sends to one address in
  any `method_window`, and `global_per_window` on the channel in any `global_window`. A limited
  page is held until the moment the limit frees, and then goes in the next bundle. The limits
  exist because past them the provider drops messages or the person cannot take in more; a P1
  that would exceed them is better delivered a little later than lost. The escalation ladder
  keeps running meanwhile and pages the next person on their own methods.
* Nothing is lost: every pending page is in exactly one bundle or held, every time.

A send counts against a window while it is less than the window old: the window at `now` is
(now - window, now]. Sends stamped after `now` (another worker's clock running ahead) count too,
so clock skew can delay a page but never break a limit. Times in reasons are UTC, as stored.
"""

from __future__ import annotations

import re
from bisect import insort
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from firebell.core.notification_rules import CHANNELS, Channel, masked_address
from firebell.core.rotations import as_utc

_NOTHING = timedelta(0)


@dataclass(frozen=True)
class PendingPage:
    id: str
    incident_ref: str  # "INC-42"
    title: str
    severity: str  # "P1"
    created_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_at", as_utc(self.created_at, f"page {self.id!r} created_at"))


@dataclass(frozen=True)
class Limits:
    """One channel's limits: at most `per_method_per_window` sends to one address in any
    `method_window`, at most `global_per_window` on the channel in any `global_window`, and pages
    held up to `bundle_window` from the oldest waiting one so that a burst goes as one message."""

    per_method_per_window: int
    method_window: timedelta
    global_per_window: int
    global_window: timedelta
    bundle_window: timedelta  # zero: this channel does not bundle
    urgent_severities: frozenset[str] = frozenset({"P1"})  # skip the bundling wait
    listed_in_summary: int = 3  # incidents named in a bundle's text before "… and N more"

    def __post_init__(self) -> None:
        for what, count in (("per_method_per_window", self.per_method_per_window),
                            ("global_per_window", self.global_per_window), ("listed_in_summary",
                                                                             self.listed_in_summary)):
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise ValueError(f"{what} is a whole number >= 1, got {count!r}")
        for what, span in (("method_window", self.method_window), ("global_window", self.global_window)):
            if span <= _NOTHING:
                raise ValueError(f"{what} must be longer than zero, got {span}")
        if self.bundle_window < _NOTHING:
            raise ValueError(f"bundle_window cannot be negative, got {self.bundle_window}")
        object.__setattr__(self, "urgent_severities", frozenset(self.urgent_severities))

    @property
    def bundles(self) -> bool:
        return self.bundle_window > _NOTHING


_MINUTE = timedelta(minutes=1)
# Long enough to catch an alert storm's first burst (monitors firing within seconds of each
# other), short enough that nobody notices the wait.
_BUNDLE = timedelta(seconds=30)


def _channel_limits(per_method: int, window: timedelta, bundle_window: timedelta, listed: int = 3) -> Limits:
    # Global: 600 a minute (10 a second) is far above what a real incident needs (a 200-person
    # organisation paging everyone on three methods at once) and low enough that a runaway alert
    # loop shows up as a held queue rather than an SMS bill or a suspended provider account.
    return Limits(per_method_per_window=per_method, method_window=window, global_per_window=600,
                  global_window=_MINUTE, bundle_window=bundle_window, listed_in_summary=listed)


DEFAULT_LIMITS: Mapping[Channel, Limits] = {
    # About one a minute, with room for a burst: a P1 right after a P3 is not made to wait, but
    # a flapping alert cannot buzz a phone more than 6 times in 10 minutes.
    "sms": _channel_limits(6, 10 * _MINUTE, _BUNDLE),
    # A call takes a minute to ring and be listened to; more than one every ~2 minutes is noise.
    "voice": _channel_limits(4, 10 * _MINUTE, _BUNDLE),
    # Slack allows about one message a second per conversation; a person reads far fewer. A DM
    # has room for a longer list than an SMS.
    "slack": _channel_limits(10, _MINUTE, _BUNDLE, listed=10),
    # Email is cheap to receive, but providers throttle bursts to one mailbox as spam.
    "email": _channel_limits(30, 10 * _MINUTE, _NOTHING),
    # Machines: one event per page, limited only against a receiver stuck in a loop.
    "webhook": _channel_limits(60, _MINUTE, _NOTHING),
}


@dataclass(frozen=True)
class Bundle:
    page_ids: tuple[str, ...]
    text_summary: str


@dataclass(frozen=True)
class Held:
    page_id: str
    reason: str
    until: datetime  # UTC; call decide again then


@dataclass(frozen=True)
class Decision:
    sends: list[Bundle] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)

    @property
    def wake_at(self) -> datetime | None:
        """When to call decide again for what is held (a new page is another reason to)."""
        return min((h.until for h in self.held), default=None)


def limits_for(channel: Channel, overrides: Mapping[str, Limits] | None = None) -> Limits:
    """The limits of `channel`: the organisation's own when it set them, else the defaults."""
    if overrides is not None and channel in overrides:
        return overrides[channel]
    if channel not in DEFAULT_LIMITS:
        raise ValueError(f"channel is one of {', '.join(CHANNELS)}, got {channel!r}")
    return DEFAULT_LIMITS[channel]


_SEVERITY_NUMBER = re.compile(r"(\d+)\s*$")


def _severity_rank(severity: str) -> int:
    """P1 before P2, SEV0 before SEV1: the trailing number, lower is worse; unnumbered ones last."""
    found = _SEVERITY_NUMBER.search(severity)
    return int(found.group(1)) if found else 1_000_000


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bundle_summary(pages: Sequence[PendingPage], listed: int = 3) -> str:
    """The text of one message for `pages`: "INC-1 (P1) DB down" for one incident, else
    "3 incidents need you: INC-1 (P1) DB down; INC-2 (P2) …", the worst first, naming at most
    `listed` and counting the rest. Several pages for one incident name it once, at its worst."""
    worst: dict[str, PendingPage] = {}
    for page in sorted(pages, key=lambda p: (_severity_rank(p.severity), p.created_at, p.id)):
        worst.setdefault(page.incident_ref, page)
    items = [f"{p.incident_ref} ({p.severity}) {_shorten(p.title)}" for p in worst.values()]
    if len(items) == 1:
        return items[0]
    text = f"{len(items)} incidents need you: " + "; ".join(items[:listed])
    if len(items) > listed:
        text += f" … and {len(items) - listed} more"
    return text


def _in_window(sends: Iterable[datetime], window: timedelta, now: datetime) -> list[datetime]:
    """The sends that count against a window at `now`, oldest first."""
    return sorted(t for t in (as_utc(s, "send time") for s in sends) if t > now - window)


def _free_at(counted: list[datetime], limit: int, window: timedelta) -> datetime | None:
    """The first moment another send fits, given the counted sends (oldest first); None: now."""
    if len(counted) < limit:
        return None
    # Once the (count - limit + 1) oldest are a window old, limit - 1 remain.
    return counted[len(counted) - limit] + window


def _clock(at: datetime, now: datetime) -> str:
    return f"{at:%H:%M:%S} UTC" if at.date() == now.date() else f"{at:%Y-%m-%d %H:%M:%S} UTC"


def _span(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _noun(channel: Channel) -> str:
    return {"sms": "SMS", "voice": "calls", "slack": "Slack messages", "email": "emails",
            "webhook": "webhook calls"}[channel]


def _to_whom(channel: Channel, address: str | None) -> str:
    if address:
        return masked_address(address)
    return "this number" if channel in ("sms", "voice") else "this address"


def decide(
    pending: Sequence[PendingPage],
    recent_method_sends: Iterable[datetime],
    recent_global_sends: Iterable[datetime],
    channel: Channel,
    now: datetime,
    limits: Limits | None = None,
    *,
    address: str | None = None,  # for the reasons only, shown masked
) -> Decision:
    """What to send to one contact method now, and what to hold and until when."""
    if channel not in CHANNELS:
        raise ValueError(f"channel is one of {', '.join(CHANNELS)}, got {channel!r}")
    in_force = limits_for(channel) if limits is None else limits
    current = as_utc(now, "now")
    unique: dict[str, PendingPage] = {}
    for page in pending:  # the same page twice is still one page
        unique.setdefault(page.id, page)
    # The most urgent first: the order of a bundle's ids, and who goes first when a limit splits a queue.
    pages = sorted(unique.values(), key=lambda p: (p.severity not in in_force.urgent_severities,
                                                   _severity_rank(p.severity), p.created_at, p.id))
    if not pages:
        return Decision()

    method_sends = _in_window(recent_method_sends, in_force.method_window, current)
    global_sends = _in_window(recent_global_sends, in_force.global_window, current)
    whom = _to_whom(channel, address)

    def blocked() -> tuple[datetime, str] | None:
        """When the limits next allow a send, and why not before; None when they allow one now."""
        method_free = _free_at(method_sends, in_force.per_method_per_window, in_force.method_window)
        global_free = _free_at(global_sends, in_force.global_per_window, in_force.global_window)
        if method_free is None and global_free is None:
            return None
        if global_free is None or (method_free is not None and method_free >= global_free):
            assert method_free is not None
            return method_free, (f"rate limited: {len(method_sends)} {_noun(channel)} to {whom} in the last "
                                 f"{_span(in_force.method_window)}; next at {_clock(method_free, current)}")
        return global_free, (f"rate limited: {len(global_sends)} {_noun(channel)} on this channel in the last "
                             f"{_span(in_force.global_window)}; next at {_clock(global_free, current)}")

    def hold(rest: Sequence[PendingPage], until: datetime, reason: str) -> list[Held]:
        return [Held(p.id, reason, until) for p in rest]

    if in_force.bundles:
        closes = min(p.created_at for p in pages) + in_force.bundle_window
        urgent = any(p.severity in in_force.urgent_severities for p in pages)
        limited = blocked()
        if limited is not None and (urgent or limited[0] >= closes):
            return Decision(held=hold(pages, *limited))
        if not urgent and current < closes:
            reason = f"bundling: waiting until {_clock(closes, current)} for more pages to {whom}"
            return Decision(held=hold(pages, closes, reason))
        return Decision(sends=[Bundle(tuple(p.id for p in pages), bundle_summary(pages, in_force.listed_in_summary))])

    # No bundling: one message per page, urgent first, as many as the limits allow now.
    sends: list[Bundle] = []
    for k, page in enumerate(pages):
        limited = blocked()
        if limited is not None:
            return Decision(sends=sends, held=hold(pages[k:], *limited))
        sends.append(Bundle((page.id,), bundle_summary([page], in_force.listed_in_summary)))
        insort(method_sends, current)
        insort(global_sends, current)
    return Decision(sends=sends)
