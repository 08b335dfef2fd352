"""Rules that span more than one field: unique names, references between sections, criterion bounds.

They run on the raw merged data (not on the validated models) for two reasons: a type error in one
user must not hide a bad team reference in another, and every finding can point at the exact
node, say the second `name:` of a duplicate or the misspelt entry in a `teams:` list. Each check
skips values of the wrong type; the schema reports those.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any, TypeGuard

from firebell.config import defaults
from firebell.config.errors import ConfigError
from firebell.config.located import Located, Path

# Section -> the field that names its items. Names are unique within their section.
IDENTITY = {
    "teams": "name",
    "roles": "name",
    "users": "name",
    "escalation_policies": "name",
    "services": "name",
    "severities": "key",
    "severity_criteria": "name",
    "incident_roles": "name",
    "lifecycle_stages": "name",
}

# How a section's items are called in messages.
NOUN = {
    "teams": "team",
    "roles": "role",
    "users": "user",
    "escalation_policies": "escalation policy",
    "services": "service",
    "severities": "severity",
    "severity_criteria": "severity criterion",
    "incident_roles": "incident role",
    "lifecycle_stages": "lifecycle stage",
}

Defined = dict[str, set[str]]


def check(tree: Located) -> list[ConfigError]:
    errors: list[ConfigError] = []
    defined = _check_unique_names(tree, errors)
    _check_user_references(tree, defined, errors)
    _check_service_references(tree, defined, errors)
    _check_criteria(tree, defined, errors)
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
