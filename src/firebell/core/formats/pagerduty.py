"""PagerDuty Events API v2 (`/v2/enqueue` and `/v2/change/enqueue`), including Alertmanager's quirks:
a payload on resolve, no timestamp, a 64-hex dedup key, custom_details as strings or structures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from firebell.core.events import AlertEvent, EventAction
from firebell.core.formats import PayloadError
from firebell.core.formats.timestamps import parse_instant

SEVERITIES = ("critical", "error", "warning", "info")
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
MAX_BODY_BYTES = 512_000


def _str(body: dict[str, Any], key: str, errors: list[str], where: str, *, required: bool = False,
         limit: int | None = None) -> str:
    value = body.get(key)
    if value is None:
        if required:
            errors.append(f"'{where}{key}' is missing")
        return ""
    if not isinstance(value, str):
        errors.append(f"'{where}{key}' must be a string")
        return ""
    if required and not value.strip():
        errors.append(f"'{where}{key}' must not be empty")
    if limit is not None and len(value) > limit:
        errors.append(f"Length of '{where}{key}' is {len(value)}; the limit is {limit} characters")
    return value


def _links(body: dict[str, Any], errors: list[str]) -> list[dict[str, str]]:
    raw = body.get("links")
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.append("'links' must be a list")
        return []
    out = []
    for i, link in enumerate(raw):
        if not isinstance(link, dict) or not isinstance(link.get("href"), str) or not link["href"]:
            errors.append(f"'links[{i}].href' is missing")
            continue
        text = link.get("text")
        out.append({"href": link["href"], "text": text if isinstance(text, str) else ""})
    return out


def _images(body: dict[str, Any], errors: list[str]) -> None:
    raw = body.get("images")
    if raw is None:
        return
    if not isinstance(raw, list):
        errors.append("'images' must be a list")
        return
    for i, image in enumerate(raw):
        if not isinstance(image, dict) or not isinstance(image.get("src"), str) or not image["src"]:
            errors.append(f"'images[{i}].src' is missing")


def _timestamp(payload: dict[str, Any], errors: list[str]) -> datetime | None:
    raw = payload.get("timestamp")
    if raw is None:
        return None
    if not isinstance(raw, str):
        errors.append("'payload.timestamp' must be an ISO 8601 string")
        return None
    try:
        # Senders often omit the zone; like most receivers we read that as UTC rather than lose the event.
        return parse_instant(raw, assume_utc=True)
    except ValueError:
        errors.append(f"'payload.timestamp' {raw!r} is not an ISO 8601 timestamp")
        return None


def parse_event(body: Any, *, generated_dedup_key: str) -> tuple[str, AlertEvent]:
    """(routing_key, event) or PayloadError listing every problem."""
    if not isinstance(body, dict):
        raise PayloadError(["the body must be a JSON object"])
    errors: list[str] = []
    routing_key = _str(body, "routing_key", errors, "", required=True)
    action_raw = body.get("event_action")
    if action_raw not in ("trigger", "acknowledge", "resolve"):
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
    dedup_key = _str(body, "dedup_key", errors, "", limit=MAX_DEDUP_KEY)
    if action_raw in ("acknowledge", "resolve") and not dedup_key:
        errors.append(f"'dedup_key' is required for {action_raw}")
    payload = body.get("payload")
    summary = source = severity = ""
    labels: dict[str, str] = {}
    details: Any = None
    occurred_at = None
    if payload is None:
        if action_raw == "trigger":
            errors.append("'payload' is required for trigger")
    elif not isinstance(payload, dict):
        errors.append("'payload' must be an object")
    else:
        strict = action_raw == "trigger"  # a resolve may carry a payload (Alertmanager does)
        summary = _str(payload, "summary", errors, "payload.", required=strict, limit=MAX_SUMMARY)
        source = _str(payload, "source", errors, "payload.", required=strict, limit=255)
        # An empty severity is what Alertmanager sends when `{{ .CommonLabels.severity }}` renders
        # nothing (mixed or missing labels). Refusing it would make Alertmanager re-send forever and
        # never page, so it counts as "no severity given" and the service default applies.
        if strict and "severity" not in payload:
            errors.append("'payload.severity' is missing")
        severity = _str(payload, "severity", errors, "payload.")
        if severity and severity not in SEVERITIES:
            errors.append(f"'payload.severity' must be one of {', '.join(SEVERITIES)}")
        for key in ("component", "group", "class"):
            value = _str(payload, key, errors, "payload.")
            if value:
                labels[key] = value
        occurred_at = _timestamp(payload, errors)
        details = payload.get("custom_details")
    _links(body, errors)
    _images(body, errors)
    for key in ("client", "client_url"):
        _str(body, key, errors, "")
    if errors:
        raise PayloadError(sorted(set(errors), key=errors.index))
    if severity:
        labels["severity"] = severity
    links = _links(body, [])
    if isinstance(body.get("client_url"), str) and body["client_url"]:
        links.append({"href": body["client_url"], "text": body.get("client") or "source"})
    event = AlertEvent(
        format="pagerduty", action=EventAction(str(action_raw)), dedup_key=dedup_key or generated_dedup_key,
        summary=summary, source=source,
        source_severity=severity, labels=labels, links=links, details=details, occurred_at=occurred_at,
    )
    return routing_key, event


@dataclass(frozen=True)
class ChangeEventIn:
    summary: str
    source: str
    occurred_at: datetime | None
    details: Any
    links: list[dict[str, str]]


def parse_change(body: Any) -> tuple[str, ChangeEventIn]:
    if not isinstance(body, dict):
        raise PayloadError(["the body must be a JSON object"])
    errors: list[str] = []
    routing_key = _str(body, "routing_key", errors, "", required=True)
    payload = body.get("payload")
    summary = source = ""
    occurred_at = None
    details: Any = None
    if not isinstance(payload, dict):
        errors.append("'payload' is required and must be an object")
    else:
        summary = _str(payload, "summary", errors, "payload.", required=True, limit=MAX_SUMMARY)
        source = _str(payload, "source", errors, "payload.", limit=255)
        occurred_at = _timestamp(payload, errors)
        details = payload.get("custom_details")
    links = _links(body, errors)
    if "images" in body:
        errors.append("'images' are not supported on change events")
    if errors:
        raise PayloadError(errors)
    return routing_key, ChangeEventIn(summary=summary, source=source, occurred_at=occurred_at, details=details,
                                      links=links)
