"""The `status_page:` section (docs/status-page.md): the page, stored in statuspage's `status_pages`
row, and its components and groups, one `status_components` row each (written through
statuspage/configured.py). Its checks, each at its line: component names are unique across
components and groups, severities and editor roles are defined ones, and, when the tree has a status
page, every service's `status_page_component` names one of its components."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.config.errors import ConfigError, Mark
from firebell.config.located import Located, Path
from firebell.config.schema import Config, StatusComponentConfig
from firebell.core.durations import format_duration
from firebell.core.statuspage import notices as choices
from firebell.statuspage.models import PAGE_SLOT, StatusComponent, StatusPage

Values = dict[str, Any]


def _severity(entry: Any) -> Values:
    auto = entry.auto_open if isinstance(entry.auto_open, str) else f"after {format_duration(entry.auto_open.after)}"
    return {"severity": entry.severity, "auto_open": auto, "publish": entry.publish,
            "component_status": entry.component_status}


def desired_page(config: Config) -> dict[str, Values]:
    page = config.status_page
    if page is None:
        return {}
    return {PAGE_SLOT: {"name": page.name, "url": page.url, "time_zone": page.time_zone, "export_dir": page.export_dir,
                        "editors": list(page.editors), "branding": page.branding.model_dump(),
                        "severities": [_severity(entry) for entry in page.severities],
                        "notify": page.notify.model_dump()}}


def _component(entry: StatusComponentConfig, position: int, group: bool, parent: str | None) -> Values:
    return {"description": entry.description, "position": entry.position if entry.position is not None else position,
            "showcase": entry.showcase, "only_show_if_degraded": entry.only_show_if_degraded, "group": group,
            "parent": parent}


def desired_components(config: Config) -> dict[str, Values]:
    """Groups first, so that apply writes a group before the components in it."""
    page = config.status_page
    if page is None:
        return {}
    out = {g.name: _component(g, len(page.components) + i + 1, True, None) for i, g in enumerate(page.groups)}
    out |= {c.name: _component(c, i + 1, False, None) for i, c in enumerate(page.components)}
    for group in page.groups:
        out |= {c.name: _component(c, i + 1, False, group.name) for i, c in enumerate(group.components)}
    return out


def current_page(session: Session) -> dict[str, tuple[Values, bool]]:
    row = session.scalars(select(StatusPage).where(StatusPage.slot == PAGE_SLOT)).one_or_none()
    if row is None:
        return {}
    return {PAGE_SLOT: ({"name": row.name, "url": row.url, "time_zone": row.time_zone, "export_dir": row.export_dir,
                         "editors": list(row.editors or []), "branding": dict(row.branding or {}),
                         "severities": [dict(e) for e in row.severities or []],
                         "notify": choices.stored(choices.from_stored(row.notify))}, row.archived_at is not None)}


def current_components(session: Session) -> dict[str, tuple[Values, bool]]:
    # Components made through the management API are not the tree's: a plan neither shows nor archives them.
    rows = list(session.scalars(select(StatusComponent).where(StatusComponent.managed_by == "config")
                                .order_by(StatusComponent.name)))
    names = {row.id: row.name for row in rows}
    return {row.name: ({"description": row.description, "position": row.position, "showcase": row.showcase,
                        "only_show_if_degraded": row.only_show_if_degraded, "group": row.is_group,
                        "parent": names.get(row.group_id) if row.group_id else None}, row.archived_at is not None)
            for row in rows}


def status_page_yaml(page: Values, components: dict[str, Values]) -> Values:
    """The section as written: defaults left out, groups holding their components."""
    def entry(name: str, values: Values) -> Values:
        out: Values = {"name": name}
        if values["description"]:
            out["description"] = values["description"]
        out["position"] = values["position"]
        if not values["showcase"]:
            out["showcase"] = False
        if values["only_show_if_degraded"]:
            out["only_show_if_degraded"] = True
        return out
    tree: Values = {key: page[key] for key in ("name", "url", "time_zone")}
    if page["export_dir"]:
        tree["export_dir"] = page["export_dir"]
    if page["editors"]:
        tree["editors"] = list(page["editors"])
    tree["branding"] = {key: value for key, value in page["branding"].items() if value not in (None, [], "")}
    tree["components"] = [entry(n, v) for n, v in components.items() if not v["group"] and not v["parent"]]
    if any(v["group"] for v in components.values()):
        tree["groups"] = [entry(n, v) | {"components": [entry(c, cv) for c, cv in components.items()
                                                         if cv["parent"] == n]}
                          for n, v in components.items() if v["group"]]
    if page["severities"]:
        tree["severities"] = [dict(e) for e in page["severities"]]
    default = choices.stored(choices.DEFAULT)
    notify = {group: {name: on for name, on in told.items() if default[group].get(name) != on}
              for group, told in (page.get("notify") or {}).items()}
    if any(notify.values()):
        tree["notify"] = {group: told for group, told in notify.items() if told}
    return tree


def check_status_page(tree: Located, defined: dict[str, set[str]]) -> list[ConfigError]:
    data = tree.data if isinstance(tree.data, dict) else {}
    section = data.get("status_page")
    if not isinstance(section, dict):
        return []
    errors: list[ConfigError] = []
    first: dict[str, Mark] = {}
    at: Path
    for entry, base in _entries(section):
        name = entry.get("name")
        if not isinstance(name, str):
            continue
        mark = tree.mark((*base, "name"))
        if name in first:
            errors.append(mark.error(f"status page component '{name}' is defined twice; the first is at "
                                     f"{first[name].where(relative_to=mark.file)}"))
        else:
            first[name] = mark
    components = set(first)
    for field, section_name, noun in (("severities", "severities", "severity"), ("editors", "roles", "role")):
        listed = section.get(field)
        for index, value in enumerate(listed if isinstance(listed, list) else []):
            name = value.get("severity") if isinstance(value, dict) else value
            at = ("status_page", field, index, "severity") if isinstance(value, dict) else ("status_page", field, index)
            if isinstance(name, str) and name not in defined.get(section_name, set()):
                known = ", ".join(sorted(defined.get(section_name, set()))) or "none"
                errors.append(tree.mark(at).error(f"unknown {noun} '{name}' (defined: {known})"))
    services = data.get("services")
    for index, service in enumerate(services if isinstance(services, list) else []):
        wanted = service.get("status_page_component") if isinstance(service, dict) else None
        if isinstance(wanted, str) and wanted not in components:
            known = ", ".join(sorted(components)) or "none"
            errors.append(tree.mark(("services", index, "status_page_component")).error(
                f"unknown status page component '{wanted}' (status_page components: {known})"))
    return errors


def _entries(section: Values) -> list[tuple[Values, Path]]:
    """Every component and group entry, with where it is."""
    found: list[tuple[Values, Path]] = []
    for part in ("components", "groups"):
        listed = section.get(part)
        for index, entry in enumerate(listed if isinstance(listed, list) else []):
            if not isinstance(entry, dict):
                continue
            found.append((entry, ("status_page", part, index)))
            if part == "groups" and isinstance(entry.get("components"), list):
                found.extend((child, ("status_page", "groups", index, "components", inner))
                             for inner, child in enumerate(entry["components"]) if isinstance(child, dict))
    return found
