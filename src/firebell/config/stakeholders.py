"""The `stakeholders:` section: lists of people told about incidents (docs/stakeholder-updates.md),
stored in messages' `stakeholder_lists` table, one row per list. Like escalation policies (oncall.py),
a list carries the outbound webhooks it names as {name: {url, secret_env}}, since outbound webhooks
have no table of their own; only the name of a secret's environment variable is stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.config.located import Located, Path
from firebell.config.oncall import stored_webhook
from firebell.config.schema import Config
from firebell.messages.models import StakeholderList

Values = dict[str, Any]
_LISTS = ("people", "addresses", "severities", "teams", "services")
# (field, the section its names are defined in); the `when` fields under `when:`.
_REFERENCES = (("people", "users"), ("webhooks", "outbound_webhooks"))
_WHEN_REFERENCES = (("severities", "severities"), ("teams", "teams"), ("services", "services"))


def references(tree: Located) -> Iterator[tuple[Path, Any, str]]:
    """(where, the name, the section that must define it) for every name a list gives, for checks.py."""
    section = tree.data.get("stakeholders") if isinstance(tree.data, dict) else None
    for index, entry in enumerate(section if isinstance(section, list) else []):
        if not isinstance(entry, dict):
            continue
        when = entry.get("when")
        for base, fields, holder in ((("stakeholders", index), _REFERENCES, entry),
                                     (("stakeholders", index, "when"), _WHEN_REFERENCES, when)):
            for field, defined_in in fields:
                names = holder.get(field) if isinstance(holder, dict) else None
                for position, name in enumerate(names if isinstance(names, list) else []):
                    yield (*base, field, position), name, defined_in


def desired_stakeholders(config: Config) -> dict[str, Values]:
    webhooks = {hook.name: hook for hook in config.outbound_webhooks}
    return {entry.name: {
        "description": entry.description, "people": sorted(set(entry.people)),
        "addresses": sorted({a.lower() for a in entry.addresses}),
        "webhooks": {name: stored_webhook(webhooks[name]) for name in sorted(set(entry.webhooks)) if name in webhooks},
        "severities": sorted(set(entry.when.severities)), "teams": sorted(set(entry.when.teams)),
        "services": sorted(set(entry.when.services)),
    } for entry in config.stakeholders}


def _values(row: StakeholderList) -> Values:
    return {"description": row.description, "webhooks": dict(row.webhooks or {})} | {
        field: list(getattr(row, field) or []) for field in _LISTS}


def current_stakeholders(session: Session) -> dict[str, Values]:
    return {row.name: _values(row) for row in session.scalars(select(StakeholderList).order_by(StakeholderList.name))}


def write_stakeholders(row: StakeholderList, values: Values, rows: Any) -> None:
    row.description = values["description"]
    row.webhooks = {name: dict(hook) for name, hook in values["webhooks"].items()}
    for field in _LISTS:
        setattr(row, field, list(values[field]))


def stakeholders_yaml(name: str, values: Values) -> Values:
    """One `stakeholders:` entry as written, empty fields left out."""
    entry: Values = {"name": name}
    if values.get("description"):
        entry["description"] = values["description"]
    for field in ("people", "addresses"):
        if values.get(field):
            entry[field] = list(values[field])
    if values.get("webhooks"):
        entry["webhooks"] = sorted(values["webhooks"])
    when = {field: list(values[field]) for field in ("severities", "teams", "services") if values.get(field)}
    if when:
        entry["when"] = when
    return entry
