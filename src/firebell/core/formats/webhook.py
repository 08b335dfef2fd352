"""Generic JSON webhooks with a per-integration field mapping, so a tool needs no code.

mapping: {summary: "title", severity: "level", dedup_key: "id", status: "state",
          resolved_values: ["ok", "resolved"], acknowledged_values: [], source: "host",
          group_key: "check", links: ["url"], details: "data"}
Paths are dotted (`alert.labels.host`); a number indexes a list (`items.0.name`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from firebell.core.events import AlertEvent, EventAction
from firebell.core.formats import PayloadError

_MISSING = object()


def lookup(body: Any, path: str) -> Any:
    node = body
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _text(value: Any) -> str:
    if value is _MISSING or value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def parse_webhook(body: Any, mapping: dict[str, Any]) -> AlertEvent:
    if not isinstance(body, dict):
        raise PayloadError(["the body must be a JSON object"], "invalid webhook payload")
    errors = []
    summary = _text(lookup(body, mapping["summary"]))
    if not summary:
        errors.append(f"summary field '{mapping['summary']}' is missing or empty")
    status = _text(lookup(body, mapping["status"])).lower() if mapping.get("status") else ""
    resolved_values = [v.lower() for v in mapping.get("resolved_values", ["resolved", "ok"])]
    ack_values = [v.lower() for v in mapping.get("acknowledged_values", [])]
    action = (EventAction.RESOLVE if status in resolved_values else
              EventAction.ACKNOWLEDGE if status in ack_values else EventAction.TRIGGER)
    dedup = _text(lookup(body, mapping["dedup_key"])) if mapping.get("dedup_key") else ""
    if not dedup:
        if mapping.get("dedup_key"):
            errors.append(f"dedup key field '{mapping['dedup_key']}' is missing or empty")
        dedup = hashlib.sha256(summary.encode()).hexdigest()[:32]
    if errors:
        raise PayloadError(errors, "invalid webhook payload")
    severity = _text(lookup(body, mapping["severity"])).lower() if mapping.get("severity") else ""
    links = [{"href": href, "text": path} for path in mapping.get("links", [])
             if (href := _text(lookup(body, path)))]
    group = _text(lookup(body, mapping["group_key"])) if mapping.get("group_key") else ""
    details = lookup(body, mapping["details"]) if mapping.get("details") else None
    labels = {"severity": severity} if severity else {}
    return AlertEvent(
        format="webhook", action=action, dedup_key=dedup[:255], group_key=group or None, summary=summary[:1024],
        source=_text(lookup(body, mapping["source"]))[:255] if mapping.get("source") else "",
        source_severity=severity, labels=labels, links=links,
        details=None if details is _MISSING else details,
    )
