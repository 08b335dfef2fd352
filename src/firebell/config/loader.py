"""Load a configuration tree (one file or a folder of YAML files) and report every mistake in it.

Stages, each adding errors rather than stopping at the first:
1. find the files and parse each one, keeping positions (located.py);
2. merge sections across files: list sections concatenate, `organisation` must appear once, and the
   lists inside a mapping section (`slack: {channels: [...]}`) concatenate like list sections;
3. cross-section rules on the raw data (checks.py);
4. Pydantic validation of the merged tree, with each error's `loc` mapped back to its YAML node;
5. when an environment is given, the integration keys it must hold (environment.py).
A file that cannot be parsed at all stops after stage 2: the sections it would have contributed are
missing, and reporting the resulting "unknown team" errors would only send the reader astray.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from firebell.config import checks
from firebell.config.environment import check_environment
from firebell.config.errors import ConfigError, Mark
from firebell.config.located import Located, load_yaml
from firebell.config.located import Path as NodePath
from firebell.config.schema import SECTIONS, Config

YAML_SUFFIXES = (".yaml", ".yml")


def _is_mapping_section(section: str) -> bool:
    annotation = Config.model_fields[section].annotation
    # An optional section (`status_page: StatusPageConfig | None`) is a mapping when given.
    optional = isinstance(annotation, types.UnionType)
    options = [a for a in get_args(annotation) if a is not type(None)] if optional else [annotation]
    return all(isinstance(a, type) and issubclass(a, BaseModel) for a in options)


# Sections that are a mapping rather than a list; `organisation` is one too but is merged apart.
MAPPING_SECTIONS = frozenset(s for s in SECTIONS if s != "organisation" and _is_mapping_section(s))


@dataclass
class LoadResult:
    """The validated tree, or None when there is any error; `errors` lists all of them, sorted."""

    config: Config | None
    errors: list[ConfigError] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.config is not None and not self.errors


def load(path: Path, env: Mapping[str, str] | None = None) -> LoadResult:
    """`env`: where the keys named by key_env will be read; None checks no environment."""
    path = Path(path)
    files, errors = find_files(path)
    if errors:
        return LoadResult(None, errors, files)
    documents: list[Located] = []
    unparsed = False
    for file in files:
        located, file_errors = _read(file)
        errors.extend(file_errors)
        if located is None:
            unparsed = True
        else:
            documents.append(located)
    tree = merge(documents, Mark(str(path), 1, 1), errors)
    unparsed = unparsed or any(not isinstance(document.data, dict) for document in documents)
    config = None
    if not unparsed:
        errors.extend(checks.check(tree))
        config = _validate(tree, errors)
    if config is not None and env is not None:
        errors.extend(check_environment(config, tree, env))
    errors = sorted(set(errors))
    return LoadResult(None if errors else config, errors, files)


def find_files(path: Path) -> tuple[list[Path], list[ConfigError]]:
    """A file is read as is; a folder contributes its *.yaml/*.yml files, recursively, in sorted
    order of their path inside the folder. Hidden files and folders (.git, editor swap files) are
    skipped."""
    if path.is_file():
        return [path], []
    if not path.is_dir():
        return [], [ConfigError(str(path), 1, 1, "no such file or folder")]
    found = [
        candidate for candidate in path.rglob("*")
        if candidate.is_file() and candidate.suffix in YAML_SUFFIXES
        and not any(part.startswith(".") for part in candidate.relative_to(path).parts)
    ]
    if not found:
        return [], [ConfigError(str(path), 1, 1, "folder holds no .yaml or .yml files")]
    return sorted(found, key=lambda p: p.relative_to(path).parts), []


def _read(file: Path) -> tuple[Located | None, list[ConfigError]]:
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [ConfigError(str(file), 1, 1, f"file is not UTF-8 text: {exc.reason}")]
    except OSError as exc:
        return None, [ConfigError(str(file), 1, 1, f"cannot read file: {exc.strerror}")]
    return load_yaml(text, str(file))


def merge(documents: list[Located], root: Mark, errors: list[ConfigError]) -> Located:
    """One tree from many files. List items keep the marks of the file they were written in."""
    tree = Located(data={}, marks={(): root})
    for document in documents:
        if not isinstance(document.data, dict):
            errors.append(document.mark(()).error(
                "the top level must be a mapping of sections such as organisation: and teams:"))
            continue
        for section, value in document.data.items():
            key_mark = document.key_mark((section,))
            if section not in SECTIONS:
                errors.append(key_mark.error(_unknown_section(section)))
            elif section == "organisation":
                _merge_organisation(tree, document, value, key_mark, errors)
            elif section in MAPPING_SECTIONS:
                _merge_mapping(tree, document, section, value, key_mark, errors)
            else:
                _merge_list(tree, document, (section,), value, key_mark, errors)
    return tree


def _unknown_section(section: str) -> str:
    close = difflib.get_close_matches(section, SECTIONS, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown section '{section}'; {hint}sections are: {', '.join(SECTIONS)}"


def _merge_organisation(tree: Located, document: Located, value: Any, key_mark: Mark,
                        errors: list[ConfigError]) -> None:
    if "organisation" in tree.data:
        first = tree.key_mark(("organisation",)).where(relative_to=key_mark.file)
        errors.append(key_mark.error(f"organisation is defined twice; it is already defined at {first}"))
        return
    tree.data["organisation"] = value
    tree.key_marks[("organisation",)] = key_mark
    for path, mark in document.marks.items():
        if path[:1] == ("organisation",):
            tree.marks[path] = mark
    for path, mark in document.key_marks.items():
        if path[:1] == ("organisation",):
            tree.key_marks[path] = mark


def _merge_list(tree: Located, document: Located, at: NodePath, value: Any, key_mark: Mark,
                errors: list[ConfigError]) -> None:
    """Append the list at `at` (a section, or a list inside a mapping section) to the tree's."""
    if value is None:  # `teams:` with nothing under it yet
        value = []
    if not isinstance(value, list):
        errors.append(document.mark(at).error(
            f"'{at[-1]}' must be a list (each item starting with '- '), not {describe(value)}"))
        return
    parent: dict[str, Any] = tree.data
    for part in at[:-1]:
        parent = parent[str(part)]
    items: list[Any] = parent.setdefault(str(at[-1]), [])
    offset = len(items)
    items.extend(value)
    if at not in tree.marks:
        tree.marks[at] = document.mark(at)
        tree.key_marks[at] = key_mark
    depth = len(at)
    for source, target in ((document.marks, tree.marks), (document.key_marks, tree.key_marks)):
        for path, mark in source.items():
            index = path[depth] if len(path) > depth and path[:depth] == at else None
            if isinstance(index, int):
                target[(*at, index + offset, *path[depth + 1:])] = mark


def _merge_mapping(tree: Located, document: Located, section: str, value: Any, key_mark: Mark,
                   errors: list[ConfigError]) -> None:
    """A mapping section such as `slack:` may be written in several files: its lists (`channels:`)
    concatenate across them, any other entry is written in one file only."""
    if value is None:  # `slack:` with nothing under it yet
        value = {}
    if not isinstance(value, dict):
        errors.append(document.mark((section,)).error(
            f"'{section}' must be a mapping of its fields (allowed: {', '.join(_fields_at((section,)) or [])}), "
            f"not {describe(value)}"))
        return
    merged: dict[str, Any] = tree.data.setdefault(section, {})
    if (section,) not in tree.marks:
        tree.marks[(section,)] = document.mark((section,))
        tree.key_marks[(section,)] = key_mark
    for key, entry in value.items():
        at: NodePath = (section, key)
        entry_mark = document.key_mark(at)
        if (entry is None or isinstance(entry, list)) and isinstance(merged.get(key, []), list):
            _merge_list(tree, document, at, entry, entry_mark, errors)
            continue
        if key in merged:
            first = tree.key_mark(at).where(relative_to=entry_mark.file)
            errors.append(entry_mark.error(f"{section}.{key} is defined twice; it is already defined at {first}"))
            continue
        merged[key] = entry
        for source, target in ((document.marks, tree.marks), (document.key_marks, tree.key_marks)):
            for path, mark in source.items():
                if path[:2] == at:
                    target[path] = mark


def _validate(tree: Located, errors: list[ConfigError]) -> Config | None:
    if "organisation" not in tree.data:
        errors.append(tree.mark(()).error(
            "organisation is missing; add `organisation: {name: ..., timezone: ...}` to one file"))
    try:
        return Config.model_validate(tree.data)
    except ValidationError as exc:
        for error in exc.errors():
            if tuple(error["loc"]) != ("organisation",) or error["type"] != "missing":
                errors.append(from_pydantic(error, tree))
        return None


# Pydantic error types whose message is "the value should be X": how we say X.
_EXPECTED = {
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
}


def describe(value: Any) -> str:
    """How a YAML value reads in a message: 'the number 5', 'a list', 'null'."""
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    return type(value).__name__


def _label(loc: NodePath) -> str:
    """'email', or 'an entry of teams' for an item of a list field."""
    if loc and isinstance(loc[-1], int):
        parent = next((str(part) for part in reversed(loc) if isinstance(part, str)), "list")
        return f"each entry of '{parent}'"
    return f"'{loc[-1]}'" if loc else "the configuration"


def from_pydantic(error: ErrorDetails, tree: Located) -> ConfigError:
    loc: NodePath = tuple(error["loc"])
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return tree.key_mark(loc).error(_unknown_field(loc))
    mark = tree.mark(loc)
    if kind == "missing":
        return mark.error(f"missing required field '{loc[-1]}'")
    return mark.error(_message(kind, loc, value, error))


def _message(kind: str, loc: NodePath, value: Any, error: ErrorDetails) -> str:
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    label = _label(loc)
    if kind in _EXPECTED:
        message = f"{label} must be {_EXPECTED[kind]}, not {describe(value)}"
        if kind == "string_type" and isinstance(value, bool | int | float | date):
            # YAML reads unquoted no, on, 2026-01-01 and +46701740605 as non-text.
            message += "; put it in quotes to make it text"
        return message
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        shown = f"'{value}'" if isinstance(value, str) else describe(value)
        name = loc[-1] if loc and isinstance(loc[-1], str) else "value"
        return f"invalid {name} {shown}; expected one of {', '.join(choices)}{hint}"
    if kind == "too_short" and len(loc) == 1:
        return (f"'{loc[0]}' must list at least one item; leave the section out to use the "
                "defaults")
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        word = "at least" if kind == "greater_than_equal" else "more than"
        return f"{label} must be {word} {bound}, not {describe(value)}"
    if kind == "too_short":
        return f"{label} must list at least one item"
    if kind == "string_too_short":
        return f"{label} must not be empty"
    if kind == "string_too_long":
        return f"{label} is too long ({len(str(value))} characters; at most {ctx.get('max_length')})"
    return f"{label}: {error['msg']}"


def _unknown_field(loc: NodePath) -> str:
    name = str(loc[-1])
    allowed = _fields_at(loc[:-1])
    if allowed is None:
        return f"unknown field '{name}'"
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown field '{name}'{hint} (allowed: {', '.join(allowed)})"


def _fields_at(loc: NodePath) -> list[str] | None:
    """The field names of the model that validates the mapping at `loc`."""
    model: type[BaseModel] | None = Config
    for part in loc:
        if isinstance(part, int):
            continue  # a list index: the element model is already selected
        fields = _fields_by_yaml_name(model) if model is not None else {}
        if part not in fields:
            return None
        model = _model_in(fields[part].annotation)
    return list(_fields_by_yaml_name(model)) if model is not None else None


def _fields_by_yaml_name(model: type[BaseModel]) -> dict[str, Any]:
    """Fields as written in YAML: `continue`, not the Python name `continue_`."""
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside `list[X]`, `X | None` or `Annotated[X, ...]`, if there is one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
