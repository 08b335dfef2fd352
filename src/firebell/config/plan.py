"""What applying a configuration would do: per kind and name, create, change (which fields) or
delete. Planning only reads; `apply` executes the same plan."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

from firebell.config.alerting import EnvKeys, keep_stored_secrets, read_env_keys
from firebell.config.schema import Config
from firebell.config.state import (
    ARCHIVED_KINDS,
    CONFIG_ORIGIN,
    KEEP_WHEN_UNKNOWN,
    KINDS,
    Current,
    CurrentState,
    Desired,
    current_state,
    desired_state,
)

Action = Literal["create", "change", "delete"]
ACTIONS: tuple[Action, ...] = ("create", "change", "delete")


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    action: Action
    kind: str
    name: str
    fields: tuple[FieldChange, ...] = ()

    @property
    def field_names(self) -> list[str]:
        return [f.field for f in self.fields]

    @property
    def fields_by_name(self) -> dict[str, FieldChange]:
        return {f.field: f for f in self.fields}

    @property
    def archives(self) -> bool:
        """A delete of a kind that other rows point at only archives the row."""
        return self.action == "delete" and self.kind in ARCHIVED_KINDS

    @property
    def restores(self) -> bool:
        return any(f.field == "archived" for f in self.fields)

    def __str__(self) -> str:
        text = f"{self.action} {self.kind} {self.name}"
        if self.fields:
            text += f" ({', '.join(self.field_names)})"
        return text


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    # The desired values behind the plan, so apply writes exactly what was planned.
    desired: Desired = field(default_factory=dict, repr=False, compare=False)
    # Set by apply: the plain text of every key it generated, by "service/integration". It is
    # stored only as a hash, so this is the one chance to show it.
    generated_keys: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # What planning could not check, such as a key_env variable missing from this environment.
    warnings: list[str] = field(default_factory=list, compare=False)

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, int]:
        tally = Counter(change.action for change in self.changes)
        return {action: tally[action] for action in ACTIONS}

    def summary(self) -> str:
        counts = self.counts()
        return (f"{counts['create']} to create, {counts['change']} to change, "
                f"{counts['delete']} to delete")


def plan(session: Session, config: Config, *, env: Mapping[str, str] | None = None) -> Plan:
    """What apply would do. Keys named by key_env are read from `env` (default: this process's
    environment); one that is missing is not compared and is reported in `warnings`, because
    planning (in CI, say) need not hold the secrets that applying does."""
    env_keys = read_env_keys(config, os.environ if env is None else env)
    current = current_state(session)
    desired, missing = desired_with_kept(config, env_keys, current)
    result = diff(desired, current)
    result.warnings = [f"{problem}; its key is not compared, and apply will refuse to run without it"
                       for problem in env_keys.problems]
    result.warnings += [f"{problem}; apply will refuse to run" for problem in missing]
    return result


def desired_with_kept(config: Config, env_keys: EnvKeys, current: CurrentState) -> tuple[Desired, list[str]]:
    """The desired state with what the tree keeps from the store filled in (HMAC secrets it says to
    keep), and what it asks to keep that the store does not hold."""
    desired = desired_state(config, env_keys)
    stored = {name: row.values for name, row in current.get("integration", {}).items()}
    return desired, keep_stored_secrets(desired["integration"], stored)


def diff(desired: Desired, current: CurrentState) -> Plan:
    changes: list[Change] = []
    for kind in KINDS:
        want, have = desired.get(kind, {}), current.get(kind, {})
        if kind == "organisation":
            changes.extend(_diff_organisation(want, have))
            continue
        for name, values in want.items():
            change = _diff_one(kind, name, values, have.get(name))
            if change is not None:
                changes.append(change)
        changes.extend(
            Change("delete", kind, name)
            for name, row in have.items()
            if name not in want and not row.archived and row.origin == CONFIG_ORIGIN
        )
    return Plan(changes, desired)


def _diff_one(kind: str, name: str, values: dict[str, Any], row: Current | None) -> Change | None:
    if row is None:
        return Change("create", kind, name)
    fields = [
        FieldChange(key, row.values.get(key), _kept(value, row.values.get(key)))
        for key, value in values.items()
        if not key.startswith("_")  # written to the store, never compared
        and not (value is None and key in KEEP_WHEN_UNKNOWN)
        and not _same(value, row.values.get(key))
    ]
    if row.archived:
        fields.insert(0, FieldChange("archived", True, False))
    if row.origin != CONFIG_ORIGIN:
        fields.insert(0, FieldChange("origin", row.origin, CONFIG_ORIGIN))
    return Change("change", kind, name, tuple(fields)) if fields else None


def _kept(wanted: Any, stored: Any) -> Any:
    """The desired value as it will be stored: a KEEP_WHEN_UNKNOWN entry left None takes the stored
    one, so a plan never shows a change that apply will not make (a verified method staying so)."""
    if isinstance(wanted, dict) and isinstance(stored, dict):
        return {key: stored.get(key) if key in KEEP_WHEN_UNKNOWN and value is None else _kept(value, stored.get(key))
                for key, value in wanted.items()}
    if isinstance(wanted, list) and isinstance(stored, list) and len(wanted) == len(stored):
        return [_kept(w, s) for w, s in zip(wanted, stored, strict=True)]
    return wanted


def _same(wanted: Any, stored: Any) -> bool:
    """Equal, except that a mapping entry in KEEP_WHEN_UNKNOWN whose desired value is None matches
    whatever is stored, however deep (a contact method's `verified` inside a user's list)."""
    if isinstance(wanted, dict) and isinstance(stored, dict):
        keys = {key for key in wanted.keys() | stored.keys()
                if not (key in KEEP_WHEN_UNKNOWN and wanted.get(key) is None)}
        return all(_same(wanted.get(key), stored.get(key)) for key in keys)
    if isinstance(wanted, list) and isinstance(stored, list):
        return len(wanted) == len(stored) and all(map(_same, wanted, stored))
    return bool(wanted == stored)


def _diff_organisation(want: dict[str, Any], have: dict[str, Current]) -> list[Change]:
    """There is one organisation row; renaming it is a change, never a create plus a delete."""
    if not want:
        return []
    name, values = next(iter(want.items()))
    row = next(iter(have.values()), None)
    change = _diff_one("organisation", name, values, row)
    return [change] if change is not None else []
