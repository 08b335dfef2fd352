"""YAML loading that remembers where every value came from.

`yaml.safe_load` throws positions away and silently keeps the last of two equal keys. We compose
the node graph instead, build plain Python values ourselves and keep, for every path into the data
(`("users", 3, "email")`), the mark of the value node and, for mapping entries, of the key node.
Errors found much later (by Pydantic or by reference checks) can then point at the exact line.

Composing is guarded: aliases may not expand a file beyond MAX_ALIAS_EXPANSION values (a "billion
laughs" file is a few lines that expand to a billion) and values may not nest deeper than MAX_DEPTH
(PyYAML composes, and we build, recursively). Both are refused at the node that crosses the line,
before anything is expanded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from firebell.config.errors import ConfigError, Mark

Path = tuple[str | int, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"

# Far beyond any real organisation's use of shared defaults (`<<: *defaults` in a few hundred entries),
# far below what makes validation slow: building costs about a microsecond and a few hundred bytes a value.
MAX_ALIAS_EXPANSION = 100_000
MAX_DEPTH = 64  # a configuration nests about ten levels; Python's recursion limit allows a few hundred


@dataclass
class Located:
    """Plain data plus the positions of its parts. Marks carry their own file, so one Located
    can hold a tree merged from several files."""

    data: Any
    marks: dict[Path, Mark] = field(default_factory=dict)
    key_marks: dict[Path, Mark] = field(default_factory=dict)

    def mark(self, path: Path) -> Mark:
        """The mark of `path`, or of its nearest ancestor that exists (a missing field is
        reported at the mapping that lacks it)."""
        for end in range(len(path), -1, -1):
            found = self.marks.get(path[:end])
            if found is not None:
                return found
        raise KeyError(path)

    def key_mark(self, path: Path) -> Mark:
        """Where the key of a mapping entry is written; falls back to the value's mark."""
        return self.key_marks.get(path) or self.mark(path)


def load_yaml(text: str, file: str) -> tuple[Located | None, list[ConfigError]]:
    """Parse one YAML document. Returns (None, errors) when it cannot be parsed at all; otherwise
    the located data and any duplicate-key or unsupported-construct errors."""
    loader = _GuardedLoader(text)
    try:
        node = loader.get_single_node()
    except _Refused as exc:
        return None, [Mark(file, exc.mark.line + 1, exc.mark.column + 1).error(exc.reason)]
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_error(exc, file)]
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks all parse errors
        return None, [ConfigError(file, 1, 1, f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    if node is None:
        return None, [ConfigError(file, 1, 1, "file is empty; expected a mapping of sections")]
    builder = _Builder(file)
    data = builder.build(node, ())
    return Located(data, builder.marks, builder.key_marks), builder.errors


class _Refused(Exception):
    def __init__(self, mark: yaml.Mark, reason: str) -> None:
        super().__init__(reason)
        self.mark = mark
        self.reason = reason


class _GuardedLoader(yaml.SafeLoader):
    """PyYAML's safe composer, keeping for each node its size and depth once aliases are expanded
    (computed bottom-up as nodes complete, so nothing is ever expanded to measure it)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0
        self._expanded: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) once expanded
        self._alias_values = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            at = self._next_mark()
            node = self._compose(parent, index)
            # A node still being composed is a recursive alias: the builder reports it.
            values, depth = self._expanded.get(id(node), (1, 1))
            self._alias_values += values
            if self._alias_values > MAX_ALIAS_EXPANSION:
                raise _Refused(at, f"YAML aliases expand this file to more than {MAX_ALIAS_EXPANSION} values; "
                                   "use anchors and aliases for small shared defaults only")
            self._check_depth(at, self._depth + depth)
            return node
        self._depth += 1
        self._check_depth(self._next_mark(), self._depth)
        node = self._compose(parent, index)
        self._depth -= 1
        children = [part for pair in node.value for part in pair] if isinstance(node, MappingNode) else (
            node.value if isinstance(node, SequenceNode) else [])
        measured = [self._expanded.get(id(child), (1, 1)) for child in children]
        self._expanded[id(node)] = (1 + sum(values for values, _ in measured),
                                    1 + max((depth for _, depth in measured), default=0))
        return node

    def _compose(self, parent: Node | None, index: Any) -> Node:
        node = super().compose_node(parent, index)
        assert node is not None  # PyYAML returns a node for every event it composes
        return node

    def _next_mark(self) -> yaml.Mark:
        mark: yaml.Mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        return mark

    @staticmethod
    def _check_depth(at: yaml.Mark, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise _Refused(at, f"values nested more than {MAX_DEPTH} levels deep; a configuration needs far fewer")


def _syntax_error(exc: yaml.MarkedYAMLError, file: str) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = exc.problem or "invalid YAML"
    if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
        problem += f" ({exc.context} at line {exc.context_mark.line + 1})"
    return ConfigError(file, line, column, f"YAML syntax error: {problem}")


def node_mark(file: str, node: Node) -> Mark:
    return Mark(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a composed node graph into plain values, recording marks as it goes."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[Path, Mark] = {}
        self.key_marks: dict[Path, Mark] = {}
        self.errors: list[ConfigError] = []
        # Scalars are resolved by PyYAML's own safe constructor, so "yes", "1.5", "~" and
        # timestamps mean exactly what they mean to every other YAML tool.
        self._constructor = yaml.SafeLoader("")
        self._active: set[int] = set()  # nodes being built, to refuse recursive aliases

    def build(self, node: Node, path: Path) -> Any:
        self.marks[path] = node_mark(self.file, node)
        if id(node) in self._active:
            self._error(node, "recursive YAML alias; a value cannot contain itself")
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            return self._scalar(node)
        finally:
            self._active.discard(id(node))

    def _scalar(self, node: Node) -> Any:
        try:
            return self._constructor.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            self._error(node, f"unsupported YAML value: {exc.problem}")
            return None

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Node] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            key = self._key(key_node)
            if key is None:
                continue
            if key in first_seen:
                # Keep the first value: later errors then describe what the author wrote first,
                # and the duplicate itself is reported here.
                first = first_seen[key].start_mark.line + 1
                self._error(key_node, f"duplicate key '{key}' (first defined at line {first}); "
                                      "YAML would silently keep only the last one")
                continue
            first_seen[key] = key_node
            self.key_marks[(*path, key)] = node_mark(self.file, key_node)
            result[key] = self.build(value_node, (*path, key))
        for merged in merges:
            self._merge(merged, path, result)
        return result

    def _merge(self, node: Node, path: Path, result: dict[str, Any]) -> None:
        """YAML merge keys (`<<: *defaults`): keys written in the mapping itself win."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, MappingNode):
                self._error(source, "a merge key (<<) needs a mapping or a list of mappings")
                continue
            for key, value_path in self._merged_entries(source, path):
                if key not in result:
                    result[key] = value_path

    def _merged_entries(self, source: MappingNode, path: Path) -> Iterator[tuple[str, Any]]:
        for key_node, value_node in source.value:
            key = self._key(key_node)
            if key is not None and (*path, key) not in self.key_marks:
                self.key_marks[(*path, key)] = node_mark(self.file, key_node)
                yield key, self.build(value_node, (*path, key))

    def _key(self, node: Node) -> str | None:
        if not isinstance(node, ScalarNode):
            self._error(node, "mapping keys must be plain names, not lists or mappings")
            return None
        # The key as written: `P1:` and `on:` stay "P1" and "on" rather than becoming booleans.
        return str(node.value)

    def _error(self, node: Node, message: str) -> None:
        self.errors.append(node_mark(self.file, node).error(message))
