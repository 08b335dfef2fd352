"""The direction of imports and the owners of tables (../shared/DESIGN.md, "Direction" and "One owner
per table"), read from the source with `ast`: nothing is imported or run.

Each rule keeps a list of the violations accepted for now, each with its reason (all empty since
issue 14 moved the last ones). A new violation fails its test; so does a listed one that is gone
(take it off the list: the lists only shrink).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "firebell"

# Domains from the bottom up: a domain imports its own modules and those of lower ranks only.
# (DESIGN.md: org < oncall < incidents < escalation < notify < messages < channels < alerts < the
# learning domains; audit, auth and severity are reference domains the others build on. chat sits
# above slack: it reads Slack's health to post for Slack channels while Slack is out.)
DOMAIN_RANK = {
    "org": 1, "audit": 1, "auth": 2, "severity": 2, "oncall": 3, "incidents": 4, "escalation": 5,
    "notify": 6, "messages": 7, "channels": 8, "slack": 8, "chat": 9, "alerts": 9, "statuspage": 9, "config": 10,
}
FOUNDATION = {"core", "store", "errors", "actor"}  # below every domain
# Above every domain, and imported by none: the engine, HTTP, pages, the CLI, and the modules at the
# top that assemble the domains (the table registry, the engine's jobs, the incident effects).
SHELL = {"engine", "api", "web", "cli", "app", "models", "jobs", "effects"}
# Modules that are HTTP routes (or their OpenAPI shapes) may use the shared HTTP plumbing in api/.
ROUTE_MODULE = re.compile(r"(^|_)api$|^endpoints$|^hot_routes$|^wire_schema$")
_WRITE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([a-z_]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Module:
    name: str  # firebell.alerts.rows
    path: Path
    tree: ast.Module

    @property
    def top(self) -> str:
        """The part of the package it belongs to: a domain, `core`, `store`, `cli`, ..."""
        parts = self.name.split(".")
        return parts[1] if len(parts) > 1 else ""

    @property
    def leaf(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@cache
def modules() -> dict[str, Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if ".migrations" in name:  # Alembic's scripts: run by Alembic, about every table by nature
            continue
        found[name] = Module(name, path, ast.parse(path.read_text(), str(path)))
    return found


def _imported_names(module: Module) -> Iterator[str]:
    """Every module name an import statement names, at the top or deferred inside a function."""
    package = module.name if module.path.name == "__init__.py" else module.name.rsplit(".", 1)[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from firebell.alerts import rows` names the module rows (the package's face runs too,
            # but it is not what the code depends on); `from firebell.alerts.rows import x`, rows.
            submodules = [f"{source}.{alias.name}" for alias in node.names]
            yield from submodules
            if not all(name in modules() for name in submodules):
                yield source


@cache
def imports() -> dict[str, frozenset[str]]:
    """Module -> the firebell modules it imports."""
    known = modules()
    graph = {}
    for module in known.values():
        targets = set()
        for name in _imported_names(module):
            if name in known and name != module.name:
                targets.add(name)
        graph[module.name] = frozenset(targets)
    return graph


def _third_party(module: Module) -> set[str]:
    roots = set()
    for name in _imported_names(module):
        root = name.split(".")[0]
        if root and root != "firebell" and root != "__future__":
            roots.add(root)
    return roots - set(sys.stdlib_module_names)


def _check(found: set[str], known: dict[str, str]) -> None:
    new = sorted(found - set(known))
    gone = sorted(set(known) - found)
    assert not new, "new violations:\n  " + "\n  ".join(new)
    assert not gone, "fixed, so take them off the known list:\n  " + "\n  ".join(gone)


def test_core_imports_only_the_standard_library_and_itself() -> None:
    found = set()
    for module in modules().values():
        if module.top != "core":
            continue
        found |= {f"{module.name} -> {name}" for name in _third_party(module)}
        found |= {f"{module.name} -> {t}" for t in imports()[module.name] if modules()[t].top != "core"}
    _check(found, {})


def test_store_imports_no_domain() -> None:
    found = {f"{m.name} -> {t}" for m in modules().values() if m.top == "store"
             for t in imports()[m.name] if modules()[t].top not in ("core", "store")}
    _check(found, {})


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    graph = imports()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


KNOWN_CYCLES: dict[str, str] = {}


def test_no_import_cycles_not_even_through_deferred_imports() -> None:
    _check({" ".join(c) for c in _cycles()}, KNOWN_CYCLES)


def _domain_imports() -> Iterator[tuple[Module, str, str]]:
    """(a domain's module, a firebell module it imports, the part of the package that one is in)."""
    for module in modules().values():
        if module.top in DOMAIN_RANK:
            for target in imports()[module.name]:
                yield module, target, modules()[target].top


KNOWN_UPWARD: dict[str, str] = {}


def test_domains_import_only_themselves_and_the_domains_below() -> None:
    found = set()
    for module, target, other in _domain_imports():
        if other in DOMAIN_RANK and other != module.top and DOMAIN_RANK[other] >= DOMAIN_RANK[module.top]:
            found.add(f"{module.name} -> {target}")
        elif other not in DOMAIN_RANK and other not in FOUNDATION and other not in SHELL:
            found.add(f"{module.name} -> {target} (unranked: give `{other}` a place)")
    _check(found, KNOWN_UPWARD)


KNOWN_SHELL: dict[str, str] = {}


def test_no_domain_imports_the_shell_and_only_routes_use_the_http_plumbing() -> None:
    found = {f"{module.name} -> {target}" for module, target, other in _domain_imports()
             if other in SHELL and not (other == "api" and ROUTE_MODULE.search(module.leaf))}
    _check(found, KNOWN_SHELL)


def _owners() -> dict[str, str]:
    """Table name -> the domain whose models define it."""
    owners = {}
    for module in modules().values():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__tablename__"
                                                    for t in node.targets):
                assert isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                owners[node.value.value] = module.top
    return owners


def _raw_writes(module: Module) -> set[str]:
    texts = [n.value for n in ast.walk(module.tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return {table for text in texts for table in _WRITE.findall(text)}


KNOWN_FOREIGN_WRITES: dict[str, str] = {}


def test_each_table_is_written_by_raw_sql_only_in_its_owner() -> None:
    owners = _owners()
    assert {"incidents", "alerts", "notifications", "timeline_events", "escalations"} <= set(owners)
    found = {f"{m.name} writes {table}" for m in modules().values()
             for table in _raw_writes(m) if table in owners and owners[table] != m.top}
    _check(found, KNOWN_FOREIGN_WRITES)
