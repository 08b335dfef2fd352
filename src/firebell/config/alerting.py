"""Alert ingestion configuration in the comparable form of state.py: integrations (named
"service/integration"), routing rules, maintenance windows and each service's `alerting` settings.

Values are what planning compares and export writes back; the functions named `stored_*` convert
them to and from the JSON the ingestion code reads (durations in seconds there, such as
`interval_s`). Integration keys are compared by their SHA-256 only: a plain key never enters a
plan, and a generated key (`key_sha256` None on the desired side) is never compared at all, so an
apply does not replace it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.alerts.keys import hash_key, key_prefix
from firebell.alerts.models import Integration, MaintenanceWindow, RoutingRule
from firebell.alerts.settings import SETTINGS_KEYS
from firebell.config.environment import key_env_problem
from firebell.config.schema import (
    DEFAULT_HEARTBEAT_SEVERITY,
    DEFAULT_SIGNATURE_HEADER,
    AlertingConfig,
    Config,
    IntegrationConfig,
    ServiceConfig,
    default_grace,
    default_heartbeat_summary,
)
from firebell.core.durations import format_duration, parse_duration
from firebell.core.matchers import parse_matcher
from firebell.org.models import Service

Values = dict[str, Any]
# name -> (values, archived)
Rows = dict[str, tuple[Values, bool]]

GRAFANA_FIELDS = ("hmac_secret", "hmac_secret_env", "timestamp_header", "signature_header")
HEARTBEAT_FIELDS = ("interval", "grace", "severity", "summary")
MAPPING_FIELDS = ("summary", "severity", "dedup_key", "status", "resolved_values", "acknowledged_values",
                  "source", "group_key", "links", "details")
# Written only to the store, never compared (a key given as key_sha256 has no known prefix, and
# switching between `key` and its `key_sha256` is no change).
KEY_PREFIX = "_key_prefix"
# Marks a desired grafana integration whose HMAC secret is the stored one (`keep_hmac_secret`, what
# export writes in place of the secret); keep_stored_secrets fills it in before planning.
KEEP_HMAC_SECRET = "_keep_hmac_secret"


def _service_names(session: Session) -> dict[str, str]:
    return {service_id: name for service_id, name in session.execute(select(Service.id, Service.name))}


def integration_name(service: str, integration: str) -> str:
    return f"{service}/{integration}"


def normalise_matchers(texts: list[str]) -> list[str]:
    """`severity=critical` and `severity="critical"` are one matcher; store one spelling."""
    return [str(parse_matcher(text)) for text in texts]


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def _duration_text(seconds: Any) -> str | None:
    return None if seconds is None else format_duration(timedelta(seconds=int(seconds)))


def timestamp_text(moment: datetime) -> str:
    """UTC, ISO 8601 with Z: how windows are compared and exported."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- service alerting settings ------------------------------------------------------------------

def stored_alerting(alerting: AlertingConfig | None) -> Values:
    """The `services.alerting` JSON for a service's `alerting:` block (only what was written)."""
    if alerting is None:
        return {}
    stored: Values = {}
    for key in ("paging_threshold", "default_severity", "auto_resolve"):
        value = getattr(alerting, key)
        if value is not None:
            stored[key] = value
    if alerting.group_by is not None:
        stored["group_by"] = list(alerting.group_by)
    if alerting.severity_map is not None:
        stored["severity_map"] = [{"match": normalise_matchers(rule.match), "severity": rule.severity}
                                  for rule in alerting.severity_map]
    if alerting.flapping is not None:
        stored["flapping"] = {"max_refires": alerting.flapping.max_refires,
                              "window_s": _seconds(alerting.flapping.window)}
    return stored


def alerting_yaml(stored: Values) -> Values:
    """The `alerting:` block that stores as `stored`, in the order the schema documents."""
    out: Values = {}
    for key in SETTINGS_KEYS:
        if key not in stored:
            continue
        value = stored[key]
        if key == "flapping" and isinstance(value, dict):
            value = {"max_refires": value.get("max_refires"), "window": _duration_text(value.get("window_s"))}
        elif key == "severity_map" and isinstance(value, list):
            value = [{"match": list(rule.get("match", [])), "severity": rule.get("severity")} for rule in value]
        out[key] = value
    return out


# --- integration keys ---------------------------------------------------------------------------

@dataclass
class EnvKeys:
    """Keys read from the environment, by integration name, and what was wrong with the others."""

    keys: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def read_env_keys(config: Config, env: Mapping[str, str]) -> EnvKeys:
    found = EnvKeys()
    for service in config.services:
        for integration in service.integrations:
            variable = integration.key_env
            if variable is None:
                continue
            name = integration_name(service.name, integration.name)
            problem = key_env_problem(variable, env, name)
            if problem is not None:
                found.problems.append(problem)
            else:
                found.keys[name] = env[variable]
    return found


# --- integrations -------------------------------------------------------------------------------

def desired_integrations(config: Config, env_keys: EnvKeys) -> dict[str, Values]:
    return {
        integration_name(service.name, integration.name): _desired_integration(service, integration, env_keys)
        for service in config.services for integration in service.integrations
    }


def _desired_integration(service: ServiceConfig, integration: IntegrationConfig, env_keys: EnvKeys) -> Values:
    name = integration_name(service.name, integration.name)
    source, digest, prefix = "generated", None, ""
    if integration.key is not None:
        source, digest, prefix = "config", hash_key(integration.key), key_prefix(integration.key)
    elif integration.key_sha256 is not None:
        source, digest = "config", integration.key_sha256
    elif integration.key_env is not None:
        source = "env"
        plain = env_keys.keys.get(name)
        if plain is not None:  # else unknown here: the plan keeps the stored hash, apply refuses
            digest, prefix = hash_key(plain), key_prefix(plain)
    values: Values = {
        "type": integration.type,
        "key_source": source,
        "key_env": integration.key_env,
        "key_sha256": digest,
        KEY_PREFIX: prefix,
    }
    if integration.type == "grafana":
        values.update({
            "hmac_secret": integration.hmac_secret,
            "hmac_secret_env": integration.hmac_secret_env,
            "timestamp_header": integration.timestamp_header,
            "signature_header": integration.signature_header or DEFAULT_SIGNATURE_HEADER,
        })
        if integration.keep_hmac_secret:
            values[KEEP_HMAC_SECRET] = True
    elif integration.type == "webhook" and integration.mapping is not None:
        values["mapping"] = integration.mapping.model_dump(exclude_none=True)
    elif integration.type == "heartbeat" and integration.interval is not None:
        grace = integration.grace if integration.grace is not None else default_grace(integration.interval)
        values.update({
            "interval": format_duration(integration.interval),
            "grace": format_duration(grace),
            "severity": integration.severity or DEFAULT_HEARTBEAT_SEVERITY,
            "summary": integration.summary or default_heartbeat_summary(service.name, integration.name),
        })
    return values


def keep_stored_secrets(desired: dict[str, Values], stored: Mapping[str, Values]) -> list[str]:
    """Give each desired integration that keeps its HMAC secret the secret the store holds, so that
    applying an export neither prints nor drops it. Returns the problems: a kept secret the store does
    not hold (a new integration, or one without a secret of its own)."""
    problems = []
    for name, values in desired.items():
        if not values.pop(KEEP_HMAC_SECRET, False):
            continue
        secret = (stored.get(name) or {}).get("hmac_secret")
        if secret:
            values["hmac_secret"] = secret
        else:
            problems.append(f"integration {name} says keep_hmac_secret, but the database holds no HMAC secret "
                            "for it; give hmac_secret or hmac_secret_env")
    return problems


def stored_settings(values: Values) -> Values:
    """`integrations.settings` for desired integration values."""
    settings: Values = {}
    if values["key_env"] is not None:
        settings["key_env"] = values["key_env"]
    kind = values["type"]
    if kind == "grafana":
        settings.update({key: values[key] for key in GRAFANA_FIELDS if values[key] is not None})
    elif kind == "webhook":
        settings["mapping"] = values["mapping"]
    elif kind == "heartbeat":
        settings.update({
            "interval_s": _seconds(parse_duration(values["interval"])),
            "grace_s": _seconds(parse_duration(values["grace"])),
            "severity": values["severity"],
            "summary": values["summary"],
        })
    return settings


def current_integrations(session: Session) -> Rows:
    services = _service_names(session)
    rows = session.scalars(select(Integration).order_by(Integration.name))
    found = {
        integration_name(services[row.service_id], row.name): (_current_integration(row), row.archived_at is not None)
        for row in rows if row.service_id in services
    }
    return dict(sorted(found.items()))


def _current_integration(row: Integration) -> Values:
    settings: Values = dict(row.settings or {})
    values: Values = {
        "type": row.type,
        "key_source": row.key_source,
        "key_env": settings.get("key_env"),
        "key_sha256": row.key_hash,
    }
    if row.type == "grafana":
        values.update({key: settings.get(key) for key in GRAFANA_FIELDS})
    elif row.type == "webhook":
        values["mapping"] = settings.get("mapping")
    elif row.type == "heartbeat":
        values.update({
            "interval": _duration_text(settings.get("interval_s")),
            "grace": _duration_text(settings.get("grace_s")),
            "severity": settings.get("severity"),
            "summary": settings.get("summary"),
        })
    return values


def integration_yaml(service: str, name: str, values: Values) -> Values:
    """One `integrations:` entry; what the tree would say by default is left out."""
    entry: Values = {"name": name, "type": values["type"]}
    if values["key_source"] == "env":
        entry["key_env"] = values["key_env"]
    elif values["key_source"] == "config":
        entry["key_sha256"] = values["key_sha256"]
    # A generated key is not written at all: the store keeps it, and applying the export keeps it.
    kind = values["type"]
    if kind == "grafana":
        for key in GRAFANA_FIELDS:
            value = values.get(key)
            if key == "hmac_secret" and value is not None:
                entry["keep_hmac_secret"] = True  # an export never shows a secret; applying it keeps this one
            elif value is not None and not (key == "signature_header" and value == DEFAULT_SIGNATURE_HEADER):
                entry[key] = value
    elif kind == "webhook" and isinstance(values.get("mapping"), dict):
        entry["mapping"] = _mapping_yaml(values["mapping"])
    elif kind == "heartbeat":
        entry["interval"] = values["interval"]
        interval = values["interval"]
        if interval is None or values["grace"] != format_duration(default_grace(parse_duration(interval))):
            entry["grace"] = values["grace"]
        if values["severity"] != DEFAULT_HEARTBEAT_SEVERITY:
            entry["severity"] = values["severity"]
        if values["summary"] != default_heartbeat_summary(service, name):
            entry["summary"] = values["summary"]
    return entry


def _mapping_yaml(mapping: Values) -> Values:
    out: Values = {}
    for key in MAPPING_FIELDS:
        value = mapping.get(key)
        if value is None or value == [] or (key == "resolved_values" and value == ["resolved", "ok"]):
            continue
        out[key] = value
    return out


# --- routing rules ------------------------------------------------------------------------------

def desired_routing_rules(config: Config) -> dict[str, Values]:
    return {
        rule.name: {
            "position": position,
            "match": normalise_matchers(rule.match),
            "set_service": rule.set_service,
            "set_severity": rule.set_severity,
            "add_tags": list(rule.add_tags),
            "suppress": rule.suppress,
            "continue": rule.continue_,
        }
        for position, rule in enumerate(config.routing_rules)
    }


def stored_actions(values: Values) -> Values:
    """`routing_rules.actions`: only the actions the rule takes."""
    actions: Values = {}
    for key in ("set_service", "set_severity"):
        if values[key] is not None:
            actions[key] = values[key]
    if values["add_tags"]:
        actions["add_tags"] = list(values["add_tags"])
    if values["suppress"]:
        actions["suppress"] = True
    return actions


def current_routing_rules(session: Session) -> Rows:
    rules = session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.name))
    return {
        rule.name: ({
            "position": rule.position,
            "match": list(rule.matchers or []),
            "set_service": (rule.actions or {}).get("set_service"),
            "set_severity": (rule.actions or {}).get("set_severity"),
            "add_tags": list((rule.actions or {}).get("add_tags", [])),
            "suppress": bool((rule.actions or {}).get("suppress", False)),
            "continue": rule.continue_,
        }, False)
        for rule in rules
    }


# --- maintenance windows ------------------------------------------------------------------------

def desired_maintenance_windows(config: Config) -> dict[str, Values]:
    return {
        window.name: {
            "service": window.service,
            "starts_at": timestamp_text(window.starts_at),
            "ends_at": timestamp_text(window.ends_at),
            "reason": window.reason,
        }
        for window in config.maintenance_windows
    }


def current_maintenance_windows(session: Session) -> Rows:
    """Only windows that came from configuration; ad-hoc windows are not the tree's business."""
    services = _service_names(session)
    windows = session.scalars(
        select(MaintenanceWindow)
        .where(MaintenanceWindow.origin == "config", MaintenanceWindow.name.is_not(None))
        .order_by(MaintenanceWindow.starts_at, MaintenanceWindow.name))
    return {
        str(window.name): ({
            "service": services.get(window.service_id),
            "starts_at": timestamp_text(window.starts_at),
            "ends_at": timestamp_text(window.ends_at),
            "reason": window.reason,
        }, False)
        for window in windows
    }
