"""Alertmanager webhook (version "4") and Grafana's webhook contact point (version "1").

Each message is the whole current group, not a delta: every alert in it is handled on its own,
identified by its fingerprint, and an alert missing from a later message is *not* resolved by that
(Alertmanager drops resolved alerts after delivering them once). The group's `groupKey` is the
grouping key of all its alerts.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlparse

from firebell.core.events import AlertEvent, EventAction, compact_json, excerpt_of_text
from firebell.core.formats import PayloadError
from firebell.core.formats.timestamps import parse_optional_instant

_GRAFANA_LINKS = (("silenceURL", "Silence"), ("dashboardURL", "Dashboard"), ("panelURL", "Panel"),
                  ("imageURL", "Image"))


def _string_map(value: Any, where: str, errors: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(f"'{where}' must be an object of strings")
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _fingerprint(labels: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def _summary(labels: dict[str, str], annotations: dict[str, str]) -> str:
    for key in ("summary", "description", "message"):
        if annotations.get(key):
            return annotations[key][:1024]
    name = labels.get("alertname", "alert")
    detail = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in ("alertname", "__name__"))
    return f"{name} ({detail})"[:1024] if detail else name


def _source(labels: dict[str, str], generator_url: str) -> str:
    if labels.get("instance"):
        return labels["instance"]
    host = urlparse(generator_url).hostname if generator_url else None
    return host or labels.get("job", "")


def parse_message(body: Any, *, flavour: str) -> list[AlertEvent]:
    """Events for every alert in an Alertmanager (flavour 'alertmanager') or Grafana message."""
    if not isinstance(body, dict):
        raise PayloadError(["the body must be a JSON object"], "invalid webhook message")
    errors: list[str] = []
    expected = "4" if flavour == "alertmanager" else "1"
    version = body.get("version")
    if version is not None and str(version) != expected:
        errors.append(f"'version' is {version!r}; this endpoint takes {flavour} messages (version {expected})")
    group_key = body.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        errors.append("'groupKey' is missing")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        errors.append("'alerts' must be a list")
        alerts = []
    common = _string_map(body.get("commonLabels"), "commonLabels", errors)
    events = []
    for i, alert in enumerate(alerts):
        where = f"alerts[{i}]"
        if not isinstance(alert, dict):
            errors.append(f"'{where}' must be an object")
            continue
        status = alert.get("status")
        if status not in ("firing", "resolved"):
            errors.append(f"'{where}.status' must be firing or resolved")
            continue
        labels = {**common, **_string_map(alert.get("labels"), f"{where}.labels", errors)}
        annotations = _string_map(alert.get("annotations"), f"{where}.annotations", errors)
        fingerprint = alert.get("fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint:
            fingerprint = _fingerprint(labels)
        raw_generator = alert.get("generatorURL")
        generator = raw_generator if isinstance(raw_generator, str) else ""
        links = [{"href": generator, "text": "Source"}] if generator else []
        if annotations.get("runbook_url"):
            links.append({"href": annotations["runbook_url"], "text": "Runbook"})
        if flavour == "grafana":
            links += [{"href": alert[k], "text": text} for k, text in _GRAFANA_LINKS
                      if isinstance(alert.get(k), str) and alert[k]]
        resolved = status == "resolved"
        events.append(AlertEvent(
            format=flavour, action=EventAction.RESOLVE if resolved else EventAction.TRIGGER,
            dedup_key=fingerprint, group_key=group_key if isinstance(group_key, str) else None,
            summary=_summary(labels, annotations), source=_source(labels, generator),
            source_severity=labels.get("severity", ""), labels=labels, annotations=annotations, links=links,
            details={"values": alert.get("values")} if flavour == "grafana" and alert.get("values") else None,
            occurred_at=parse_optional_instant(alert.get("endsAt") if resolved else alert.get("startsAt")),
        ))
    if errors:
        raise PayloadError(errors, "invalid webhook message")
    return events


def alert_excerpts(body: dict[str, Any]) -> list[tuple[Any, str]]:
    """What each alert of a parsed message keeps of it (excerpt and JSON text, see
    `core.events.excerpt_with_json`): the alert itself and the message around it, without the other
    alerts. The envelope is serialised once, so a message of n alerts costs O(n) to store, not
    O(n^2): each alert kept its own copy of the whole request before."""
    alerts = body.get("alerts") or []
    envelope = {k: v for k, v in body.items() if k != "alerts"} | {"alerts": len(alerts)}
    envelope_text = compact_json(envelope)
    out = []
    for index, alert in enumerate(alerts):
        alert_text = compact_json(alert)
        text = f'{{"message":{envelope_text},"index":{index},"alert":{alert_text}}}'
        out.append(excerpt_of_text({"message": envelope, "index": index, "alert": alert}, text))
    return out
