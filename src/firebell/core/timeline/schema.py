"""How a timeline event's payload is shaped: a frozen dataclass, stored as a JSON object.

Writing is cheap (`to_json`, on the ingestion hot path). Reading is strict (`from_json`): a stored
object fits only with exactly its schema's keys and value types, so the typed data a reader gets is
the stored payload, whole. Rows written before the catalogue, or by a newer version, may not fit;
the catalogue renders those with a generic sentence instead (catalogue.py).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, fields
from types import MappingProxyType
from typing import Any, ClassVar, Self

from firebell.core.timeline.kinds import FIREBELL, EventKind

_KEY = "json_key"
_OMIT_NONE = "omit_none"


class Unfit(ValueError):
    """A stored payload that does not fit its kind's schema."""


def stored_as(key: str) -> dict[str, str]:
    """Metadata of a field stored under `key`, which is no Python name: `field(metadata=stored_as("from"))`."""
    return {_KEY: key}


# Metadata of a field the payload leaves out when it is None (only some writers of the kind set it):
# `field(default=None, metadata=OPTIONAL)`.
OPTIONAL = MappingProxyType({_OMIT_NONE: True})


@dataclass(frozen=True)
class _Slot:
    attr: str
    key: str
    omit_none: bool
    required: bool
    hint: Any


_slots_by_class: dict[type, tuple[_Slot, ...]] = {}
_writing: dict[type, tuple[tuple[str, str, bool, bool], ...]] = {}  # (attribute, key, omit None, nested)
_plain: set[type] = set()  # classes stored exactly as their attributes: nothing renamed, left out or nested


def _slots(cls: type[Record]) -> tuple[_Slot, ...]:
    found = _slots_by_class.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _slots_by_class[cls] = tuple(_slot(f, hints[f.name]) for f in fields(cls))
        _writing[cls] = tuple((s.attr, s.key, s.omit_none, _holds_records(s.hint)) for s in found)
        if all(key == attr and not omit_none and not nested for attr, key, omit_none, nested in _writing[cls]):
            _plain.add(cls)
    return found


def _holds_records(hint: Any) -> bool:
    if isinstance(hint, type) and issubclass(hint, Record):
        return True
    return any(_holds_records(arg) for arg in typing.get_args(hint))


def _slot(f: Field[Any], hint: Any) -> _Slot:
    required = f.default is MISSING and f.default_factory is MISSING
    return _Slot(f.name, f.metadata.get(_KEY, f.name), bool(f.metadata.get(_OMIT_NONE)), required, hint)


@dataclass(frozen=True)
class Record:
    """A JSON object with a fixed set of keys (a payload, or a part of one)."""

    def to_json(self) -> dict[str, Any]:
        cls = type(self)
        if cls not in _slots_by_class:
            _slots(cls)
        if cls in _plain:  # the usual case, and the cheapest: a copy of the attributes
            return dict(self.__dict__)
        out: dict[str, Any] = {}
        for attr, key, omit_none, nested in _writing[cls]:
            value = self.__dict__[attr]
            if value is None:
                if not omit_none:
                    out[key] = None
            else:
                out[key] = _dump(value) if nested else value
        return out

    @classmethod
    def from_json(cls, data: object) -> Self:
        if not isinstance(data, dict):
            raise Unfit(f"{cls.__name__}: not an object")
        slots = _slots(cls)
        extra = set(data) - {s.key for s in slots}
        if extra:
            raise Unfit(f"{cls.__name__}: unknown keys {sorted(map(str, extra))}")
        values: dict[str, Any] = {}
        for slot in slots:
            if slot.key in data:
                values[slot.attr] = _load(slot.hint, data[slot.key], slot.key)
            elif slot.required:
                raise Unfit(f"{cls.__name__}: {slot.key} is missing")
        return cls(**values)


def _dump(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    return value


def _load(hint: Any, value: Any, key: str) -> Any:
    if hint is Any:
        return value
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        for arm in args:
            try:
                return _load(arm, value, key)
            except Unfit:
                continue
        raise Unfit(f"{key}: {value!r} fits none of {hint}")
    if origin is list:
        if not isinstance(value, list):
            raise Unfit(f"{key}: not a list")
        return [_load(args[0], v, key) for v in value]
    if hint is type(None):
        if value is not None:
            raise Unfit(f"{key}: not null")
        return None
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.from_json(value)
    if hint is bool:
        fits = isinstance(value, bool)
    elif hint is int:
        fits = isinstance(value, int) and not isinstance(value, bool)
    else:
        fits = isinstance(value, hint)
    if not fits:
        raise Unfit(f"{key}: {value!r} is not {getattr(hint, '__name__', hint)}")
    return value


@dataclass(frozen=True)
class Who:
    """Who did it, read from the event's actor label ("Alice Andersson via slack", "firebell")."""

    name: str | None  # None: Firebell on its own account
    via: str = ""

    @classmethod
    def from_label(cls, label: str) -> Who:
        if label == FIREBELL:
            return cls(None)
        name, _, via = label.rpartition(" via ")
        return cls(name, via) if name else cls(label)


class Payload(Record):
    """One kind's payload. Subclasses are frozen dataclasses; their `sentence` is pure."""

    event_kind: ClassVar[EventKind]

    def sentence(self, who: Who, people: Mapping[str, str]) -> str:
        """One line for people. `people` maps user names the payload holds to full names, where known."""
        raise NotImplementedError

    def user_names(self) -> tuple[str, ...]:
        """The user names (logins) this payload refers to, for the reader to look up full names."""
        return ()

    def titled(self, stages: Mapping[str, str]) -> Payload:
        """This payload with the lifecycle stage keys it holds replaced by their configured titles
        (`stages`: key -> title), for its sentence; the stored payload keeps the keys."""
        return self
