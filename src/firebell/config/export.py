"""Write the database's configuration back out as one YAML file.

The output is built from the same normalised state that planning compares against, so loading it
validates and applying it plans nothing. Archived rows are left out: they are history, not
configuration. Defaults such as empty descriptions are omitted to keep the file readable.
"""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy.orm import Session

from firebell.config import defaults
from firebell.config.alerting import alerting_yaml, integration_yaml
from firebell.config.chat import chat_yaml
from firebell.config.oncall import policy_yaml, schedule_yaml, webhooks_yaml
from firebell.config.schema import names_method
from firebell.config.sign_in import sign_in_yaml
from firebell.config.stakeholders import stakeholders_yaml
from firebell.config.state import CONFIG_ORIGIN, PERSONAL_SETTINGS, Current, CurrentState, Values, current_state
from firebell.config.status_page import status_page_yaml

# kind -> (section name, the field that carries the row's name)
SECTION_OF = {
    "team": ("teams", "name"),
    "role": ("roles", "name"),
    "user": ("users", "name"),
    "schedule": ("schedules", "name"),
    "escalation_policy": ("escalation_policies", "name"),
    "service": ("services", "name"),
    "severity": ("severities", "key"),
    "severity_criterion": ("severity_criteria", "name"),
    "incident_role": ("incident_roles", "name"),
    "lifecycle_stage": ("lifecycle_stages", "name"),
    "routing_rule": ("routing_rules", "name"),
    "maintenance_window": ("maintenance_windows", "name"),
}

# Fields that are bookkeeping in the store and are expressed by list order (or not at all) in YAML.
_INTERNAL = {"rank", "position", "spec", "alerting"}
# Fields written even when they hold their default, because they are the point of the entry.
_ALWAYS = {"external_comms_required", "postmortem_required", "timezone", "access", "email"}


class NothingToExport(Exception):
    """The database holds no organisation yet, so there is no configuration to write."""


def export(session: Session) -> str:
    state = current_state(session)
    if not state["organisation"]:
        raise NothingToExport("the database has no organisation yet; apply a configuration first")
    org = next(iter(state["organisation"].values())).values
    tree: dict[str, Any] = {"organisation": {"name": org["name"], "timezone": org["timezone"]}
                            | ({"links": dict(org["links"])} if org["links"] else {})
                            | ({"support_contact": org["support_contact"]} if org.get("support_contact") else {})}
    for kind, (section, identity) in SECTION_OF.items():
        rows = [(name, row) for name, row in state[kind].items()
                if not row.archived and row.origin == CONFIG_ORIGIN]  # not the users single sign-on made
        if kind == "routing_rule":  # list order is evaluation order
            rows.sort(key=lambda item: item[1].values["position"])
        if kind == "schedule":
            tree[section] = [schedule_yaml(name, row.values) for name, row in rows]
        elif kind == "escalation_policy":
            # Outbound webhooks are stored inside the policies that name them (see oncall.py).
            tree["outbound_webhooks"] = webhooks_yaml({name: row.values for name, row in rows})
            tree[section] = [policy_yaml(name, row.values) for name, row in rows]
        elif kind == "user":
            tree[section] = [_user_entry(name, row) for name, row in rows]
        else:
            tree[section] = [_entry(identity, name, row) for name, row in rows]
    _add_ingestion(tree, state)
    tree["slack"] = {"channels": [_slack_channel(name, row) for name, row in state["slack_channel"].items()]}
    routes, fallback = chat_yaml({name: row.values for name, row in state["chat_route"].items()})
    if fallback is not None:
        tree["slack"]["fallback"] = fallback
    if routes:
        tree["chat"] = {"routes": routes}
    if state["stakeholder_list"]:
        lists = {name: row.values for name, row in state["stakeholder_list"].items()}
        tree["stakeholders"] = [stakeholders_yaml(name, values) for name, values in lists.items()]
        # Their outbound webhooks are stored with them, as with policies.
        policies = {name: row.values for name, row in state["escalation_policy"].items()
                    if not row.archived and row.origin == CONFIG_ORIGIN}
        tree["outbound_webhooks"] = webhooks_yaml(policies | {f" {name}": values for name, values in lists.items()})
    if state["template"]:
        tree["templates"] = [{"purpose": row.values["purpose"], "channel": row.values["channel"]}
                             | ({"service": row.values["service"]} if row.values["service"] else {})
                             | dict(row.values["parts"]) for row in state["template"].values()]
    if state["customer_recipient"] or state["customer_email_policy"]:
        tree["customers"] = {
            "severities": [{"severity": key, "approval": row.values["approval"]}
                           for key, row in state["customer_email_policy"].items()],
            "recipients": [{"service": row.values["service"], "name": row.values["customer"],
                            "email": row.values["email"]} for row in state["customer_recipient"].values()]}
    pages = [row.values for row in state["status_page"].values() if not row.archived]
    if pages:
        live = sorted(((name, row.values) for name, row in state["status_component"].items() if not row.archived),
                      key=lambda item: (item[1]["position"], item[0]))
        tree["status_page"] = status_page_yaml(pages[0], dict(live))
    if state["sign_in"]:
        tree["sign_in"] = {name: sign_in_yaml(row.values) for name, row in state["sign_in"].items()}
    return _HEADER + yaml.dump(tree, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


_HEADER = ("# Exported by `firebell config export`. Apply with `firebell config apply FILE`.\n"
           "# Secrets are never exported: `keep_hmac_secret: true` keeps the HMAC secret the database holds.\n")


def _slack_channel(name: str, row: Current) -> dict[str, Any]:
    entry = _entry("channel", name, row)
    if entry.get("purpose") == "coordination":  # the default
        del entry["purpose"]
    return entry


def _entry(identity: str, name: str, row: Current) -> dict[str, Any]:
    entry: dict[str, Any] = {identity: name}
    for key, value in row.values.items():
        if key in _INTERNAL or (key not in _ALWAYS and value in (None, "", [], {})):
            continue
        entry[key] = _plain(value)
    return entry


def _user_entry(name: str, row: Current) -> dict[str, Any]:
    """Quiet hours are written when they differ from the defaults, and `verified: true` for a method that
    is verified (applying it again changes nothing). A rule's `use` names its method by type where the
    user has one method of that type, else by label, else by address. A person who keeps their own
    settings is written without them (they are theirs, not the tree's), which also says "personal"."""
    entry = _entry("name", name, row)
    if entry.pop("notification_settings", "managed") == "personal":
        for key in PERSONAL_SETTINGS:
            entry.pop(key, None)
        return entry
    if entry.get("quiet_hours") == defaults.QUIET_HOURS:
        del entry["quiet_hours"]
    methods: list[Values] = entry.get("contact_methods", [])
    entry["contact_methods"] = [_compact(method) for method in methods]
    rules = {urgency: [_rule_yaml(rule, methods) for rule in listed]
             for urgency, listed in entry.pop("notification_rules", {}).items() if listed}
    if rules:
        entry["notification_rules"] = rules
    if not entry["contact_methods"]:
        del entry["contact_methods"]
    if not any(key in entry for key in PERSONAL_SETTINGS):  # nothing listed would read as personal
        entry["notification_settings"] = "managed"
    return entry


def _rule_yaml(rule: Values, methods: list[Values]) -> Values:
    [method] = [m for m in methods if (m["type"], m["address"]) == (rule["type"], rule["address"])]
    candidates = [method["type"], method["label"], method["address"]]
    # A rule applied from a tree always has a unique name here: its own `use`. Only rules made some other
    # way can lack one (two unlabelled methods of each of two types on one address); the address is then
    # written, and loading the export says what to change.
    use = next((c for c in candidates if c and sum(
        names_method(c, m["type"], m["address"], m["label"]) for m in methods) == 1), method["address"])
    out: Values = {"use": use}
    if rule["after"] != "0s":
        out["after"] = rule["after"]
    return out


def _add_ingestion(tree: dict[str, Any], state: CurrentState) -> None:
    """Alerting settings and integrations sit inside their service; routing rule flags are written
    only when set."""
    integrations: dict[str, list[Values]] = {}
    for name, row in state["integration"].items():
        if not row.archived:
            service, short = name.split("/", 1)
            integrations.setdefault(service, []).append(integration_yaml(service, short, row.values))
    for entry in tree["services"]:
        alerting = state["service"][entry["name"]].values.get("alerting")
        if alerting:
            entry["alerting"] = alerting_yaml(alerting)
        if entry["name"] in integrations:
            entry["integrations"] = integrations[entry["name"]]
    for rule in tree["routing_rules"]:
        for flag in ("suppress", "continue"):
            if rule.get(flag) is False:
                del rule[flag]


def _compact(values: Values) -> Values:
    return {key: value for key, value in values.items() if value not in (None, "", False)}


def _plain(value: Any) -> Any:
    """10.0 reads better as 10 and loads back as the same number."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class _Dumper(yaml.SafeDumper):
    """Block style, with lists indented under their key as people write them by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)
