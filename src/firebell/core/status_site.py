"""What the public status site shows, decided from the plain documents (statuspage's PublicDocuments):
which incidents count as unresolved, which maintenances as upcoming or active, the words for each
state, the order of components, the months of the history, and times in the page's zone.

Standard library only; nothing here reads the clock (`now` is an argument)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Doc = Mapping[str, Any]

# Wire formats 5.1: the sub-lists of the v2 JSON are status filters.
UNRESOLVED = frozenset({"investigating", "identified", "monitoring"})
UPCOMING = frozenset({"scheduled"})
ACTIVE = frozenset({"in_progress", "verifying"})

COMPONENT_WORDS = {
    "operational": "Operational", "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage", "major_outage": "Major outage", "under_maintenance": "Under maintenance",
}
# comms-and-learning 1.2: the descriptions that go with each indicator.
INDICATOR_WORDS = {
    "none": "All Systems Operational", "minor": "Minor Service Outage", "major": "Partial System Outage",
    "critical": "Major Service Outage", "maintenance": "Service Under Maintenance",
}
UPDATE_WORDS = {
    "investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring",
    "resolved": "Resolved", "postmortem": "Postmortem", "scheduled": "Scheduled", "in_progress": "In progress",
    "verifying": "Verifying", "completed": "Completed",
}
IMPACT_WORDS = {"none": "No impact", "minor": "Minor impact", "major": "Major impact",
                "critical": "Critical impact", "maintenance": "Maintenance"}

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_SAFE_URL = re.compile(r"^(https?://|mailto:|/(?!/)|\./|\.\./|#)", re.IGNORECASE)
_HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def words(table: Mapping[str, str], value: object) -> str:
    """The words for an enumerated value; an unknown one is shown as itself, never dropped."""
    text = str(value) if value is not None else ""
    return table.get(text, text.replace("_", " ").capitalize())


def instant(text: str) -> datetime:
    """An ISO 8601 time with an offset (the contract's `2026-12-07T10:00:00.000Z`) as a UTC instant."""
    parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no offset")
    return parsed.astimezone(UTC)


def zone(name: object) -> ZoneInfo:
    """The page's zone; UTC when it names none this machine knows (the page still renders)."""
    try:
        return ZoneInfo(str(name)) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(text: str | None, tz: ZoneInfo) -> str:
    """`7 Dec 2026, 11:00 CET`: a time as a reader of the page reads it, in the page's zone."""
    if not text:
        return ""
    at = in_zone(instant(text), tz)
    return f"{at.day} {at:%b %Y, %H:%M} {at.tzname()}"


def in_zone(at: datetime, tz: ZoneInfo) -> datetime:
    """`at` in the page's zone; in UTC when the zone would carry it past what a datetime holds (a row
    from before maintenance windows were kept within reach, in year 9999: it made every page a 500)."""
    try:
        return at.astimezone(tz)
    except OverflowError:
        return at.astimezone(UTC)


def day_label(date: str) -> str:
    """`7 Dec 2026` for a bucket's `2026-12-07`."""
    day = datetime.strptime(date, "%Y-%m-%d")
    return f"{day.day} {day:%b %Y}"


def day_text(day: Doc) -> str:
    """What one day of the 90-day bar says in words (its tooltip and its screen-reader text)."""
    text = f"{day_label(day['date'])}: {words(COMPONENT_WORDS, day['worst'])}"
    if day.get("maintenance") and day["worst"] != "under_maintenance":
        text += ", with maintenance"
    return text


def uptime_text(percent: float | None) -> str:
    """`99.95% uptime`, rounded down: a day with an outage never shows as 100.00%."""
    if percent is None:
        return "No data"
    return f"{math.floor(percent * 100 + 1e-9) / 100:.2f}% uptime"


def safe_id(value: object) -> str:
    """An id that may name a file (incidents/<id>.html); anything else is refused, not rewritten."""
    text = str(value)
    if not _SAFE_ID.match(text):
        raise ValueError(f"{text!r} cannot name a page")
    return text


def safe_url(url: object) -> str | None:
    """A link or image address the page may carry (http(s), mailto or relative); None otherwise,
    so a `javascript:` address from the branding never reaches an href."""
    if not isinstance(url, str) or not _SAFE_URL.match(url.strip()):
        return None
    return url.strip()


def accent(colour: object, default: str = "#0b5cad") -> str:
    """The branding's accent colour if it is a hex colour (it goes into CSS), else the default."""
    return colour if isinstance(colour, str) and _HEX_COLOUR.match(colour) else default


def newest_first(items: Iterable[Doc], key: str = "created_at") -> list[Doc]:
    """Deduplicated by id (first one kept) and ordered by `key`, newest first."""
    seen: dict[str, Doc] = {}
    for item in items:
        seen.setdefault(str(item["id"]), item)
    return sorted(seen.values(), key=lambda item: instant(item[key]), reverse=True)


def with_status(items: Iterable[Doc], statuses: frozenset[str], key: str = "created_at") -> list[Doc]:
    return [item for item in newest_first(items, key) if item["status"] in statuses]


def unresolved(docs: Doc) -> list[Doc]:
    """incidents/unresolved.json: investigating, identified or monitoring (the summary's and the list's)."""
    return with_status([*docs["summary"]["incidents"], *docs["incidents"]], UNRESOLVED)


def upcoming(docs: Doc) -> list[Doc]:
    """scheduled-maintenances/upcoming.json: status `scheduled`, the soonest first."""
    found = with_status([*docs["summary"]["scheduled_maintenances"], *docs["scheduled_maintenances"]],
                        UPCOMING, "scheduled_for")
    return found[::-1]


def active(docs: Doc) -> list[Doc]:
    """scheduled-maintenances/active.json: status `in_progress` or `verifying`."""
    return with_status([*docs["summary"]["scheduled_maintenances"], *docs["scheduled_maintenances"]],
                       ACTIVE, "scheduled_for")


def is_maintenance(item: Doc) -> bool:
    return "scheduled_for" in item and item.get("scheduled_for") is not None


def began(item: Doc) -> str:
    """When an incident or maintenance belongs in the history: its window's start, or when it began."""
    if is_maintenance(item):
        return str(item["scheduled_for"])
    return str(item.get("started_at") or item["created_at"])


def every_item(docs: Doc) -> list[Doc]:
    """Every public incident and maintenance the documents hold, once each, newest first."""
    summary = docs["summary"]
    return newest_first([*summary["incidents"], *summary["scheduled_maintenances"], *docs["incidents"],
                         *docs["scheduled_maintenances"], *docs["history"]], "updated_at")


def history_months(items: Iterable[Doc], tz: ZoneInfo, now: datetime,
                   days: int = 90) -> list[tuple[str, list[Doc]]]:
    """(`December 2026`, its items newest first) for every month the last `days` days touch, newest
    month first (an empty month says so on the page), and any older month an item falls in."""
    months: dict[tuple[int, int], list[Doc]] = {}
    local_now = now.astimezone(tz)
    cursor = (local_now - timedelta(days=days - 1)).replace(day=1)
    while (cursor.year, cursor.month) <= (local_now.year, local_now.month):
        months[(cursor.year, cursor.month)] = []
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    for item in items:
        at = in_zone(instant(began(item)), tz)
        months.setdefault((at.year, at.month), []).append(item)
    ordered = sorted(months.items(), reverse=True)
    return [(f"{datetime(y, m, 1):%B %Y}", sorted(found, key=lambda i: instant(began(i)), reverse=True))
            for (y, m), found in ordered]


def component_tree(components: Iterable[Doc]) -> list[tuple[Doc, list[Doc]]]:
    """The components as the page lists them: (component or group, its visible children), by position.
    A group lists the children its `components` names; a component flagged only_show_if_degraded is
    left out while operational, and so is a group with nothing left to show."""
    everything = list(components)
    by_id = {str(c["id"]): c for c in everything}
    in_group = {str(child) for c in everything if c.get("group") for child in c.get("components") or ()}

    def shown(component: Doc) -> bool:
        return not (component.get("only_show_if_degraded") and component["status"] == "operational")

    def position(component: Doc) -> tuple[int, str]:
        return (int(component.get("position") or 0), str(component["name"]))

    tree = []
    for component in sorted(everything, key=position):
        if str(component["id"]) in in_group:
            continue
        if component.get("group"):
            children = [by_id[str(i)] for i in component.get("components") or () if str(i) in by_id]
            visible = sorted((c for c in children if shown(c)), key=position)
            if visible:
                tree.append((component, visible))
        elif shown(component):
            tree.append((component, []))
    return tree


def subscribable(components: Iterable[Doc]) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """What the subscribe form offers: (group name or None, [(component id, name)]) in the page's
    order. Unlike the page, it offers every component, those shown only when degraded included (that
    is when a subscriber wants to hear of them); a group with no component offers nothing."""
    everything = list(components)
    by_id = {str(c["id"]): c for c in everything}
    in_group = {str(child) for c in everything if c.get("group") for child in c.get("components") or ()}

    def position(component: Doc) -> tuple[int, str]:
        return (int(component.get("position") or 0), str(component["name"]))

    offered: list[tuple[str | None, list[tuple[str, str]]]] = []
    loose: list[tuple[str, str]] = []
    for component in sorted(everything, key=position):
        if component.get("group"):
            children = sorted((by_id[str(i)] for i in component.get("components") or () if str(i) in by_id),
                              key=position)
            if children:
                if loose:
                    offered.append((None, loose))
                    loose = []
                offered.append((str(component["name"]), [(str(c["id"]), str(c["name"])) for c in children]))
        elif str(component["id"]) not in in_group:
            loose.append((str(component["id"]), str(component["name"])))
    if loose:
        offered.append((None, loose))
    return offered
