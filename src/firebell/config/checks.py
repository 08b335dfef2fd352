"""Rules that span more than one field: unique names, references between sections, criterion bounds.

They run on the raw merged data (not on the validated models) for two reasons: a type error in one
user must not hide a bad team reference in another, and every finding can point at the exact
node, say the second `name:` of a duplicate or the misspelt entry in a `teams:` list. Each check
skips values of the wrong type; the schema reports those.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, TypeGuard

from pydantic import BaseModel

from firebell.alerts.keys import hash_key
from firebell.config import defaults
from firebell.config.customer_checks import check_customers
from firebell.config.errors import ConfigError
from firebell.config.located import Located, Path
from firebell.config.schema import (
    DEFAULT_HEARTBEAT_SEVERITY,
    TARGET_KINDS,
    TARGET_SECTIONS,
    TRIGGER_CONDITIONS,
    TYPE_FIELDS,
    URGENCIES,
    IntegrationConfig,
    LevelConfig,
    PatternStepConfig,
    RotationConfig,
    SlackChannelConfig,
    TargetConfig,
    TriggerConfig,
    names_method,
)
from firebell.config.stakeholders import references as stakeholder_references
from firebell.config.status_page import check_status_page
from firebell.config.template_checks import check_templates
from firebell.core.durations import format_duration
from firebell.core.escalation import parse_delay

# Section -> the field that names its items. Names are unique within their section.
IDENTITY = {
    "teams": "name",
    "roles": "name",
    "users": "name",
    "schedules": "name",
    "outbound_webhooks": "name",
    "escalation_policies": "name",
    "services": "name",
    "severities": "key",
    "severity_criteria": "name",
    "incident_roles": "name",
    "lifecycle_stages": "name",
    "routing_rules": "name",
    "maintenance_windows": "name",
    "stakeholders": "name",
}

# How a section's items are called in messages.
NOUN = {
    "teams": "team",
    "roles": "role",
    "users": "user",
    "schedules": "schedule",
    "outbound_webhooks": "outbound webhook",
    "escalation_policies": "escalation policy",
    "services": "service",
    "severities": "severity",
    "severity_criteria": "severity criterion",
    "incident_roles": "incident role",
    "lifecycle_stages": "lifecycle stage",
    "routing_rules": "routing rule",
    "maintenance_windows": "maintenance window",
    "stakeholders": "stakeholder list",
}

KEY_FIELDS = ("key", "key_env", "key_sha256")

Defined = dict[str, set[str]]


def check(tree: Located) -> list[ConfigError]:
    errors: list[ConfigError] = []
    defined = _check_unique_names(tree, errors)
    _check_user_references(tree, defined, errors)
    _check_slack_members(tree, errors)
    _check_schedules(tree, defined, errors)
    _check_policies(tree, defined, errors)
    _check_service_references(tree, defined, errors)
    _check_criteria(tree, defined, errors)
    _check_alerting(tree, defined, errors)
    _check_integrations(tree, defined, errors)
    _check_routing_rules(tree, defined, errors)
    for index, window in items(tree.data, "maintenance_windows"):
        _check_reference(tree, ("maintenance_windows", index, "service"), window.get("service"),
                         "services", defined, errors)
    _check_slack_channels(tree, defined, errors)
    _check_chat_routes(tree, defined, errors)
    errors.extend(check_templates(tree, defined.get("services", set())))
    errors.extend(check_customers(tree, defined.get("services", set()), defined.get("severities", set())))
    for path, name, section in stakeholder_references(tree):
        _check_reference(tree, path, name, section, defined, errors)
    errors.extend(check_status_page(tree, defined))
    return errors


def items(data: Any, section: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The mapping items of a list section, with their index (other shapes are schema errors)."""
    value = data.get(section) if isinstance(data, dict) else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _check_unique_names(tree: Located, errors: list[ConfigError]) -> Defined:
    defined: Defined = {}
    for section, field in IDENTITY.items():
        first: dict[str, Path] = {}
        for index, item in items(tree.data, section):
            name = item.get(field)
            if not isinstance(name, str):
                continue
            path: Path = (section, index, field)
            if name in first:
                here = tree.mark(path)
                earlier = tree.mark(first[name]).where(relative_to=here.file)
                errors.append(here.error(
                    f"duplicate {NOUN[section]} {field} '{name}'; it is already defined at {earlier}"
                ))
            else:
                first[name] = path
        defined[section] = set(first)
    if "severities" not in tree.data:
        defined["severities"] = {item["key"] for item in defaults.SEVERITIES}
    return defined


def unknown(section: str, value: str, known: set[str]) -> str:
    """'unknown team 'platfrom'; did you mean 'platform'? (teams: devops, platform)'"""
    noun = NOUN[section]
    message = f"unknown {noun} '{value}'"
    close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.6)
    if close:
        message += f"; did you mean '{close[0]}'?"
    if known:
        return f"{message} (defined {section.replace('_', ' ')}: {', '.join(sorted(known))})"
    return f"{message}; no {section.replace('_', ' ')} are defined"


def _check_reference(tree: Located, path: Path, value: Any, section: str, defined: Defined,
                     errors: list[ConfigError]) -> None:
    if isinstance(value, str) and value not in defined[section]:
        errors.append(tree.mark(path).error(unknown(section, value, defined[section])))


def _check_user_references(tree: Located, defined: Defined, errors: list[ConfigError]) -> None:
    for index, user in items(tree.data, "users"):
        for field, section in (("roles", "roles"), ("teams", "teams")):
            names = user.get(field)
            if not isinstance(names, list):
                continue
            seen: set[str] = set()
            for position, name in enumerate(names):
                if not isinstance(name, str):
                    continue
                path: Path = ("users", index, field, position)
                if name in seen:
                    errors.append(tree.mark(path).error(f"{NOUN[section]} '{name}' is listed twice"))
                seen.add(name)
                _check_reference(tree, path, name, section, defined, errors)
        _check_contact_methods(tree, index, user, errors)
        _check_notification_rules(tree, index, user, errors)


def _check_contact_methods(tree: Located, index: int, user: dict[str, Any],
                           errors: list[ConfigError]) -> None:
    # (user, type, address) is unique in the store; say so here rather than fail on apply.
    first: dict[tuple[Any, Any], Path] = {}
    for position, method in items(user, "contact_methods"):
        key = (method.get("type"), method.get("address"))
        if not all(isinstance(part, str) for part in key):
            continue
        path: Path = ("users", index, "contact_methods", position)
        if key in first:
            here = tree.mark(path)
            earlier = tree.mark(first[key]).where(relative_to=here.file)
            errors.append(here.error(f"duplicate contact method {key[0]} {key[1]}; "
                                     f"already listed at {earlier}"))
        else:
            first[key] = path


def _check_slack_members(tree: Located, errors: list[ConfigError]) -> None:
    """A Slack member is one person: Slack actions (acknowledge from a message) must find one user."""
    first: dict[str, tuple[str, Path]] = {}
    for index, user in items(tree.data, "users"):
        member = user.get("slack_user")
        if not isinstance(member, str):
            continue
        path: Path = ("users", index, "slack_user")
        name = user.get("name") if isinstance(user.get("name"), str) else "?"
        if member in first:
            other, other_path = first[member]
            here = tree.mark(path)
            earlier = tree.mark(other_path).where(relative_to=here.file)
            errors.append(here.error(
                f"Slack member {member} is given to both user '{other}' ({earlier}) and user '{name}'; a "
                "Slack member is one person, so each user needs their own slack_user"))
        else:
            first[member] = (str(name), path)


def _method_text(method: dict[str, Any]) -> str:
    """'sms +46701740605 (on-call phone)': how a message lists a contact method."""
    text = f"{method.get('type')} {method.get('address')}"
    return f"{text} ({method['label']})" if method.get("label") else text


def _rule_delay(value: Any) -> timedelta | None:
    """A rule's `after` (absent: 0m), or None when malformed (the schema reports that)."""
    return timedelta(0) if value is None else _delay_of(value)


def _check_notification_rules(tree: Located, index: int, user: dict[str, Any],
                              errors: list[ConfigError]) -> None:
    """Each rule's `use` names exactly one of the user's own contact methods, and no rule is written
    twice (same method, same wait) for one urgency."""
    rules, methods = user.get("notification_rules"), user.get("contact_methods", [])
    if not isinstance(rules, dict) or not isinstance(methods, list):
        return
    if not all(isinstance(method, dict) for method in methods):
        return  # the schema reports the odd entry; matching against the rest could mislead
    name = f"user '{user['name']}'" if isinstance(user.get("name"), str) else "this user"
    listed = "; ".join(_method_text(method) for method in methods)
    for urgency in URGENCIES:
        seen: dict[tuple[int, timedelta], Path] = {}
        for position, rule in items(rules, urgency):
            use = rule.get("use")
            if not isinstance(use, str) or not use:
                continue
            path: Path = ("users", index, "notification_rules", urgency, position, "use")
            found = [number for number, method in enumerate(methods)
                     if names_method(use, method.get("type"), method.get("address"), method.get("label"))]
            if not methods:
                errors.append(tree.mark(path).error(
                    f"'{use}' names no contact method: {name} has none; add it under contact_methods"))
            elif not found:
                errors.append(tree.mark(path).error(
                    f"'{use}' names none of the contact methods of {name}; use their label, type or address "
                    f"(contact methods: {listed})"))
            elif len(found) > 1:
                matching = "; ".join(_method_text(methods[number]) for number in found)
                errors.append(tree.mark(path).error(
                    f"'{use}' names {len(found)} contact methods of {name} ({matching}); a rule uses one, so "
                    "name it by a label that only it has (contact methods: " + listed + ")"))
            else:
                wait = _rule_delay(rule.get("after"))
                if wait is None:
                    continue
                if (found[0], wait) in seen:
                    here = tree.mark(path[:-1])
                    earlier = tree.mark(seen[found[0], wait]).where(relative_to=here.file)
                    errors.append(here.error(
                        f"the {urgency}-urgency rule for {_method_text(methods[found[0]])} after "
                        f"{format_duration(wait) if wait else '0m'} is listed twice; it is already at {earlier}"))
                else:
                    seen[found[0], wait] = path[:-1]


def _check_service_references(tree: Located, defined: Defined, errors: list[ConfigError]) -> None:
    for index, service in items(tree.data, "services"):
        _check_reference(tree, ("services", index, "team"), service.get("team"), "teams", defined,
                         errors)
        policy = service.get("escalation_policy")
        path: Path = ("services", index, "escalation_policy")
        if isinstance(policy, str):
            _check_reference(tree, path, policy, "escalation_policies", defined, errors)
        elif isinstance(policy, dict):
            for key, name in policy.items():
                if key not in defined["severities"]:
                    errors.append(tree.key_mark((*path, key)).error(
                        unknown("severities", key, defined["severities"])))
                _check_reference(tree, (*path, key), name, "escalation_policies", defined, errors)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _present(item: dict[str, Any], field: str) -> bool:
    return item.get(field) is not None


def _check_criteria(tree: Located, defined: Defined, errors: list[ConfigError]) -> None:
    for index, item in items(tree.data, "severity_criteria"):
        path: Path = ("severity_criteria", index)
        _check_reference(tree, (*path, "severity"), item.get("severity"), "severities", defined,
                         errors)
        label = f"criterion '{item['name']}'" if isinstance(item.get("name"), str) else "criterion"
        has_flag, has_metric = _present(item, "flag"), _present(item, "metric")
        if has_flag and has_metric:
            errors.append(tree.key_mark((*path, "metric")).error(
                f"{label} has both flag and metric; a criterion is either a flag (a yes/no "
                "signal) or a metric band, so split it into two criteria"))
        elif not has_flag and not has_metric:
            errors.append(tree.mark(path).error(
                f"{label} needs either flag (a yes/no signal such as full_outage) or metric "
                "(a measured value such as error_rate, with min or above)"))
        elif has_flag:
            for bound in ("min", "above", "max"):
                if _present(item, bound):
                    errors.append(tree.key_mark((*path, bound)).error(
                        f"{label} is a flag; {bound} only applies to a metric criterion"))
        else:
            _check_bounds(tree, path, label, item, errors)


def _check_bounds(tree: Located, path: Path, label: str, item: dict[str, Any],
                  errors: list[ConfigError]) -> None:
    has_min, has_above = _present(item, "min"), _present(item, "above")
    if has_min and has_above:
        errors.append(tree.key_mark((*path, "above")).error(
            f"{label} has both min and above; use min for an inclusive lower bound or above "
            "for an exclusive one, not both"))
        return
    if not has_min and not has_above:
        errors.append(tree.key_mark((*path, "metric")).error(
            f"{label} needs a lower bound: min (inclusive) or above (exclusive)"))
        return
    bound = "min" if has_min else "above"
    lower, upper = item.get(bound), item.get("max")
    if _is_number(lower) and _is_number(upper) and upper < lower:
        errors.append(tree.mark((*path, "max")).error(
            f"{label} has max ({upper}) below {bound} ({lower}); the band would match nothing"))


# --- alert ingestion ---------------------------------------------------------------------------

def _check_alerting(tree: Located, defined: Defined, errors: list[ConfigError]) -> None:
    for index, service in items(tree.data, "services"):
        alerting = service.get("alerting")
        if not isinstance(alerting, dict):
            continue
        path: Path = ("services", index, "alerting")
        for field in ("paging_threshold", "default_severity"):
            _check_reference(tree, (*path, field), alerting.get(field), "severities", defined, errors)
        for position, rule in items(alerting, "severity_map"):
            _check_reference(tree, (*path, "severity_map", position, "severity"), rule.get("severity"),
                             "severities", defined, errors)


def _check_integrations(tree: Located, defined: Defined, errors: list[ConfigError]) -> None:
    keys: dict[tuple[str, str], tuple[str, Path]] = {}  # one credential, one integration
    for index, service in items(tree.data, "services"):
        service_name = service.get("name") if isinstance(service.get("name"), str) else "?"
        names: dict[str, Path] = {}
        for position, integration in items(service, "integrations"):
            path: Path = ("services", index, "integrations", position)
            name = integration.get("name")
            label = f"integration '{name}'" if isinstance(name, str) else "integration"
            if isinstance(name, str):
                if name in names:
                    here = tree.mark((*path, "name"))
                    earlier = tree.mark(names[name]).where(relative_to=here.file)
                    errors.append(here.error(f"duplicate integration name '{name}' in service "
                                             f"'{service_name}'; it is already defined at {earlier}"))
                else:
                    names[name] = (*path, "name")
            _check_integration_fields(tree, path, label, integration, defined, errors)
            _check_shared_key(tree, path, f"{service_name}/{name}", integration, keys, errors)


def _check_integration_fields(tree: Located, path: Path, label: str, integration: dict[str, Any],
                              defined: Defined, errors: list[ConfigError]) -> None:
    _at_most_one(tree, path, label, integration, KEY_FIELDS, errors)
    secrets = {field: value for field, value in integration.items()
               if not (field == "keep_hmac_secret" and value is False)}  # false asks for nothing
    _at_most_one(tree, path, label, secrets, ("hmac_secret", "hmac_secret_env", "keep_hmac_secret"), errors)
    kind = integration.get("type")
    if not isinstance(kind, str) or kind not in {"alertmanager", "pagerduty", *TYPE_FIELDS}:
        return  # the schema reports an invalid type
    for field in integration:
        owner = next((t for t, fields in TYPE_FIELDS.items() if field in fields), None)
        if owner is not None and owner != kind and _present(integration, field):
            errors.append(tree.key_mark((*path, field)).error(
                f"'{field}' only applies to {owner} integrations; {label} is of type {kind}"))
    if any(field not in IntegrationConfig.model_fields for field in integration):
        return  # an unknown field, reported by the schema, may be the misspelt required one
    if kind == "webhook" and not _present(integration, "mapping"):
        errors.append(tree.mark(path).error(
            f"webhook {label} needs a mapping: where its JSON body keeps the summary (and "
            "optionally severity, dedup_key, status, ...), such as {summary: title}"))
    if kind == "heartbeat":
        if not _present(integration, "interval"):
            errors.append(tree.mark(path).error(
                f"heartbeat {label} needs an interval: how often it must check in, such as 24h"))
        if _present(integration, "severity"):
            _check_reference(tree, (*path, "severity"), integration["severity"], "severities",
                             defined, errors)
        elif DEFAULT_HEARTBEAT_SEVERITY not in defined["severities"]:
            errors.append(tree.mark(path).error(
                f"heartbeat {label} needs a severity: the default {DEFAULT_HEARTBEAT_SEVERITY} is "
                f"not a defined severity (defined severities: {', '.join(sorted(defined['severities']))})"))


def _at_most_one(tree: Located, path: Path, label: str, item: dict[str, Any], fields: tuple[str, ...],
                 errors: list[ConfigError]) -> None:
    given = [field for field in item if field in fields and _present(item, field)]  # as written
    for extra in given[1:]:
        errors.append(tree.key_mark((*path, extra)).error(
            f"{label} has both {given[0]} and {extra}; give at most one of {', '.join(fields)}"))


def _check_shared_key(tree: Located, path: Path, full_name: str, integration: dict[str, Any],
                      seen: dict[tuple[str, str], tuple[str, Path]], errors: list[ConfigError]) -> None:
    """The store holds one integration per key hash; two integrations given one key would fail at
    apply (and could not be told apart when alerts arrive)."""
    for field in KEY_FIELDS:
        value = integration.get(field)
        if not isinstance(value, str):
            continue
        credential = ("env", value) if field == "key_env" else (
            "sha256", hash_key(value) if field == "key" else value)
        if credential in seen:
            other, other_path = seen[credential]
            here = tree.mark((*path, field))
            earlier = tree.mark(other_path).where(relative_to=here.file)
            what = f"key_env {value}" if field == "key_env" else "key"
            errors.append(here.error(f"integration {full_name} uses the same {what} as integration "
                                     f"{other} ({earlier}); every integration needs its own key"))
        else:
            seen[credential] = (full_name, (*path, field))
        return  # only the first key field counts; more than one is reported by _at_most_one


def _check_slack_channels(tree: Located, defined: Defined, errors: list[ConfigError]) -> None:
    slack = tree.data.get("slack")
    first: dict[str, Path] = {}
    for index, channel in items(slack, "channels"):
        path: Path = ("slack", "channels", index)
        ident = channel.get("channel")
        shown = channel.get("name") or ident
        label = f"Slack channel {shown}" if isinstance(shown, str) else "Slack channel"
        if isinstance(ident, str):
            if ident in first:
                here = tree.mark((*path, "channel"))
                earlier = tree.mark(first[ident]).where(relative_to=here.file)
                errors.append(here.error(f"duplicate Slack channel {ident}; it is already listed at {earlier}"))
            else:
                first[ident] = (*path, "channel")
        _check_route_filters(tree, path, channel, defined, errors)
        if _has_unknown_field(channel, SlackChannelConfig):
            continue
        if channel.get("purpose") == "stakeholders" and channel.get("webhook_url_env"):
            errors.append(tree.mark((*path, "webhook_url_env")).error(
                f"{label} is for stakeholders, whose messages the bot posts; drop webhook_url_env"))
        if not channel.get("severities") and not channel.get("tags"):
            errors.append(tree.mark(path).error(
                f"{label} has no severities and no tags, so this channel would get no incidents; list the "
                "severities it is for (such as [P1, P2]), the tags (such as [data-breach]), or both"))


def _check_route_filters(tree: Located, path: Path, route: dict[str, Any], defined: Defined,
                         errors: list[ConfigError]) -> None:
    """A Slack channel's or chat route's severities exist, and neither they nor its tags repeat."""
    severities = route.get("severities")
    if isinstance(severities, list):
        for position, key in enumerate(severities):
            _check_reference(tree, (*path, "severities", position), key, "severities", defined, errors)
        _check_listed_once(tree, (*path, "severities"), severities, "severity", errors)
    _check_listed_once(tree, (*path, "tags"), route.get("tags"), "tag", errors)


def _check_chat_routes(tree: Located, defined: Defined, errors: list[ConfigError]) -> None:
    """Route names are unique; severities exist; slack.fallback names a route."""
    first: dict[str, Path] = {}
    for index, route in items(tree.data.get("chat"), "routes"):
        path: Path = ("chat", "routes", index)
        name = route.get("name")
        if isinstance(name, str):
            if name in first:
                here = tree.mark((*path, "name"))
                earlier = tree.mark(first[name]).where(relative_to=here.file)
                errors.append(here.error(f"duplicate chat route name '{name}'; it is already defined at {earlier}"))
            else:
                first[name] = (*path, "name")
        _check_route_filters(tree, path, route, defined, errors)
    slack = tree.data.get("slack")
    fallback = slack.get("fallback") if isinstance(slack, dict) else None
    target = fallback.get("route") if isinstance(fallback, dict) else None
    if isinstance(target, str) and target not in first:
        close = difflib.get_close_matches(target, sorted(first), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        known = f" (defined chat routes: {', '.join(sorted(first))})" if first else "; no chat routes are defined"
        errors.append(tree.mark(("slack", "fallback", "route")).error(
            f"unknown chat route '{target}'{hint}{known}: the Slack fallback posts to a route of chat.routes"))


def _check_routing_rules(tree: Located, defined: Defined, errors: list[ConfigError]) -> None:
    for index, rule in items(tree.data, "routing_rules"):
        path: Path = ("routing_rules", index)
        _check_reference(tree, (*path, "set_service"), rule.get("set_service"), "services", defined,
                         errors)
        _check_reference(tree, (*path, "set_severity"), rule.get("set_severity"), "severities",
                         defined, errors)


# --- on-call: schedules and escalation policies ------------------------------------------------

def _yaml_fields(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


def _has_unknown_field(item: dict[str, Any], model: type[BaseModel]) -> bool:
    """An unknown field is reported by the schema and may be the misspelt one a rule looks for, so
    rules about which fields are present stay quiet about such an item."""
    return any(field not in _yaml_fields(model) for field in item)


def _name_of(item: dict[str, Any], noun: str, field: str = "name") -> str:
    name = item.get(field)
    return f"{noun} '{name}'" if isinstance(name, str) else noun


def _delay_of(value: Any) -> timedelta | None:
    """The parsed duration, or None when absent or malformed (the schema reports malformed ones)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_delay(value)
    except ValueError:
        return None


def _check_listed_once(tree: Located, path: Path, values: Any, noun: str, errors: list[ConfigError]) -> None:
    if not isinstance(values, list):
        return
    seen: set[Any] = set()
    for position, value in enumerate(values):
        if isinstance(value, str) and value in seen:
            errors.append(tree.mark((*path, position)).error(f"{noun} '{value}' is listed twice"))
        seen.add(value)


def _check_unique_within(tree: Located, path: Path, owner: str, noun: str, errors: list[ConfigError]) -> None:
    """Names of the mapping items of the list at `path` are unique within their owner."""
    *parent, field = path
    container: Any = tree.data
    for part in parent:
        container = container[part]
    first: dict[str, Path] = {}
    for position, item in items(container, str(field)):
        name = item.get("name")
        if not isinstance(name, str):
            continue
        here_path: Path = (*path, position, "name")
        if name in first:
            here = tree.mark(here_path)
            earlier = tree.mark(first[name]).where(relative_to=here.file)
            errors.append(here.error(f"duplicate {noun} name '{name}' in {owner}; it is already defined at {earlier}"))
        else:
            first[name] = here_path


def _check_schedules(tree: Located, defined: Defined, errors: list[ConfigError]) -> None:
    for index, schedule in items(tree.data, "schedules"):
        path: Path = ("schedules", index)
        _check_reference(tree, (*path, "team"), schedule.get("team"), "teams", defined, errors)
        _check_unique_within(tree, (*path, "layers"), _name_of(schedule, "schedule"), "layer", errors)
        for position, layer in items(schedule, "layers"):
            layer_path: Path = (*path, "layers", position)
            participants = layer.get("participants")
            if isinstance(participants, list):
                # Listing someone twice is allowed: it gives them more turns in the rotation.
                for turn, name in enumerate(participants):
                    _check_reference(tree, (*layer_path, "participants", turn), name, "users", defined, errors)
            rotation = layer.get("rotation")
            if isinstance(rotation, dict):
                _check_rotation(tree, (*layer_path, "rotation"), rotation, errors)
            for number, restriction in items(layer, "restrictions"):
                _check_listed_once(tree, (*layer_path, "restrictions", number, "days"), restriction.get("days"),
                                   "day", errors)


def _check_rotation(tree: Located, path: Path, rotation: dict[str, Any], errors: list[ConfigError]) -> None:
    if _has_unknown_field(rotation, RotationConfig):
        return
    given = [field for field in rotation if field in ("every", "pattern") and _present(rotation, field)]
    if not given:
        errors.append(tree.mark(path).error(
            "a rotation needs either every (back-to-back shifts, such as {every: 1w}) or pattern (a cycle of "
            "shifts and gaps, such as {pattern: [{on: 4d}, {off: 3d}]})"))
    for extra in given[1:]:
        errors.append(tree.key_mark((*path, extra)).error(
            f"a rotation has either every or pattern, not both; remove {extra} or {given[0]}"))
    pattern = rotation.get("pattern")
    if not isinstance(pattern, list) or not pattern:
        return
    shifts = 0
    for position, step in items(rotation, "pattern"):
        step_path: Path = (*path, "pattern", position)
        if _has_unknown_field(step, PatternStepConfig):
            shifts += 1  # unknown: do not also claim the pattern has no shift
            continue
        kinds = [field for field in step if field in ("on", "off") and _present(step, field)]
        if len(kinds) != 1:
            errors.append(tree.mark(step_path).error(
                "each step of a pattern is either {on: LENGTH} (a shift) or {off: LENGTH} (a gap), such as "
                "{on: 4d}"))
        shifts += "on" in kinds
    if shifts == 0:
        errors.append(tree.mark((*path, "pattern")).error(
            "the pattern has no on step, so this layer would never have anyone on call"))


def _check_policies(tree: Located, defined: Defined, errors: list[ConfigError]) -> None:
    for index, policy in items(tree.data, "escalation_policies"):
        path: Path = ("escalation_policies", index)
        label = _name_of(policy, "escalation policy")
        _check_levels(tree, path, label, policy, defined, errors)
        _check_unique_within(tree, (*path, "triggers"), label, "trigger", errors)
        for position, trigger in items(policy, "triggers"):
            trigger_path: Path = (*path, "triggers", position)
            _check_trigger(tree, trigger_path, _name_of(trigger, "trigger"), trigger, defined, errors)
            _check_targets(tree, trigger_path, trigger, defined, errors)


def _check_levels(tree: Located, path: Path, label: str, policy: dict[str, Any], defined: Defined,
                  errors: list[ConfigError]) -> None:
    levels = policy.get("levels")
    if not isinstance(levels, list):
        return
    repeat = policy.get("repeat")
    repeats = isinstance(repeat, int) and not isinstance(repeat, bool) and repeat > 0
    for position, level in items(policy, "levels"):
        level_path: Path = (*path, "levels", position)
        _check_targets(tree, level_path, level, defined, errors)
        if _has_unknown_field(level, LevelConfig):
            continue
        number, last = position + 1, position == len(levels) - 1
        delay = _delay_of(level.get("delay"))
        if not last and not _present(level, "delay"):
            errors.append(tree.mark(level_path).error(
                f"level {number} of {label} needs a delay: how long to wait for an acknowledgement before "
                f"level {number + 1} is paged, such as 5m (only the last level may leave it out)"))
        elif not last and delay == timedelta(0):
            errors.append(tree.mark((*level_path, "delay")).error(
                f"level {number} of {label} waits 0s, so level {number + 1} would be paged at the same "
                "moment; put their targets in one level, or wait longer"))
        elif last and repeats and (not _present(level, "delay") or delay == timedelta(0)):
            where = level_path if not _present(level, "delay") else (*level_path, "delay")
            errors.append(tree.mark(where).error(
                f"{label} repeats its ladder (repeat: {repeat}), so its last level needs a delay longer "
                "than 0s: how long to wait before level 1 is paged again, such as 15m"))


def _check_targets(tree: Located, owner_path: Path, owner: dict[str, Any], defined: Defined,
                   errors: list[ConfigError]) -> None:
    seen: set[tuple[str, Any]] = set()
    for position, target in items(owner, "targets"):
        path: Path = (*owner_path, "targets", position)
        if _has_unknown_field(target, TargetConfig):
            continue
        kinds = [field for field in target if field in TARGET_KINDS and _present(target, field)]
        if not kinds:
            errors.append(tree.mark(path).error(
                "a target needs one of user, schedule, role, team, ticket, webhook or slack_mention, such as "
                "{schedule: primary}"))
        _check_mention_channel(tree, path, target, kinds, errors)
        for extra in kinds[1:]:
            errors.append(tree.key_mark((*path, extra)).error(
                f"a target names one thing, but this one has both {kinds[0]} and {extra}; make them two "
                "targets in the same list"))
        for kind in kinds:
            if kind in TARGET_SECTIONS:
                _check_reference(tree, (*path, kind), target[kind], TARGET_SECTIONS[kind], defined, errors)
        if len(kinds) == 1:
            named = target[kinds[0]]
            if kinds[0] == "slack_mention":  # the same person mentioned in two channels is two targets
                named = f"{named}, channel: {target.get('channel')}"
            key = (kinds[0], named)
            if key in seen:
                errors.append(tree.mark(path).error(f"target {{{kinds[0]}: {key[1]}}} is listed twice"))
            seen.add(key)


def _check_mention_channel(tree: Located, path: Path, target: dict[str, Any], kinds: list[str],
                           errors: list[ConfigError]) -> None:
    """A Slack mention is posted in a channel, and only a Slack mention has one."""
    has_channel = _present(target, "channel")
    if "slack_mention" in kinds and not has_channel:
        errors.append(tree.mark(path).error(
            "a slack_mention target needs the channel to post the mention in, such as "
            "{slack_mention: U0123ABCD, channel: C0123ABCD}"))
    elif has_channel and kinds and "slack_mention" not in kinds:
        errors.append(tree.key_mark((*path, "channel")).error(
            f"channel belongs to slack_mention targets only; a {kinds[0]} target is not posted in a Slack channel"))


def _check_trigger(tree: Located, path: Path, label: str, trigger: dict[str, Any], defined: Defined,
                   errors: list[ConfigError]) -> None:
    severities = trigger.get("severities")
    if isinstance(severities, list):
        for position, key in enumerate(severities):
            _check_reference(tree, (*path, "severities", position), key, "severities", defined, errors)
        _check_listed_once(tree, (*path, "severities"), severities, "severity", errors)
    if _has_unknown_field(trigger, TriggerConfig):
        return
    given = [field for field in trigger if field in TRIGGER_CONDITIONS and _present(trigger, field)]
    if not given:
        errors.append(tree.mark(path).error(
            f"{label} needs a condition: one of unacknowledged_for, no_update_for or open_for with a duration "
            "(such as 15m), or tag"))
    for extra in given[1:]:
        errors.append(tree.key_mark((*path, extra)).error(
            f"{label} has both {given[0]} and {extra}; a trigger has one condition, so make it two triggers"))
    if given and given[0] != "tag" and _delay_of(trigger[given[0]]) == timedelta(0):
        errors.append(tree.mark((*path, given[0])).error(
            f"{label}: {given[0]} must be longer than 0s; to page someone as soon as the incident opens, "
            "add them to the first level"))
