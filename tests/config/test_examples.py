"""The PRIA example reproduces the two runbooks, validates cleanly and applies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from firebell.alerts.keys import hash_key
from firebell.alerts.models import Integration
from firebell.chat.models import ChatRoute
from firebell.config import apply, export, load, plan
from firebell.config.oncall import snapshot_of
from firebell.config.schema import Config, EscalationPolicyConfig
from firebell.core.escalation import snapshot_from_json
from firebell.core.matchers import all_match, parse_all
from firebell.core.severity import Criterion, SeverityLevel, assess
from firebell.escalation.models import EscalationPolicy
from firebell.org.models import ContactMethod, NotificationRule, Service, User
from firebell.slack.models import SlackChannelRoute
from firebell.store.uow import Database
from tests.config.helpers import valid, write

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pria"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pria() -> Config:
    return valid(EXAMPLE)


def test_example_validates_with_zero_errors() -> None:
    result = load(EXAMPLE)
    assert result.errors == []
    assert [f.name for f in result.files] == [
        "alerting.yaml", "customers.yaml", "incident.yaml", "messages.yaml", "oncall.yaml", "organisation.yaml",
        "people.yaml", "services.yaml", "severity.yaml", "status-page.yaml"]


def test_example_emails_customers_for_p1_only_with_a_second_person(pria: Config) -> None:
    assert [(p.severity, p.approval) for p in pria.customers.severities] == [("P1", "second_person")]
    assert {r.service for r in pria.customers.recipients} <= {s.name for s in pria.services}


def test_example_has_one_admin_named_admin(pria: Config) -> None:
    assert [(u.name, u.access) for u in pria.users if u.access == "admin"] == [("admin", "admin")]
    assert all(any(c.type == "email" for c in u.contact_methods) for u in pria.users)


def test_example_people_hold_the_runbook_roles(pria: Config) -> None:
    holders = {role: sorted(u.name for u in pria.users if role in u.roles) for role in
               {r.name for r in pria.roles}}
    assert holders["on-call-engineer"][:3] == ["engineer-a", "engineer-b", "engineer-c"]
    assert holders["ceo"] == ["per-swedenborg"]
    assert all(holders.values()), f"roles nobody holds: {[r for r, h in holders.items() if not h]}"


def test_example_services_have_status_components_and_policies(pria: Config) -> None:
    assert [s.name for s in pria.services] == [
        "api", "database", "auth", "workflow-engine", "ai-inference", "billing", "dashboard",
        "training-api"]
    assert all(s.status_page_component and s.escalation_policy for s in pria.services)


def test_example_severity_targets_are_ops1s(pria: Config) -> None:
    targets = [(s.key, s.acknowledge_within, s.recover_within, s.update_every, s.postmortem_due)
               for s in pria.severities]
    minutes = timedelta(minutes=1)
    assert targets == [
        ("P1", 5 * minutes, 30 * minutes, 15 * minutes, 24 * 60 * minutes),
        ("P2", 10 * minutes, 120 * minutes, 30 * minutes, 24 * 60 * minutes),
        ("P3", 60 * minutes, 24 * 60 * minutes, None, None),
        ("P4", None, None, None, None),
    ]


def test_example_severity_urgency_pages_p1_and_p2_at_any_hour(pria: Config) -> None:
    assert [(s.key, s.urgency) for s in pria.severities] == [
        ("P1", "high"), ("P2", "high"), ("P3", "low"), ("P4", "low")]


def _rules(user: Any) -> dict[str, list[tuple[str, int]]]:
    return {urgency: [(rule.use, int(rule.after.total_seconds() // 60)) for rule in rules]
            for urgency, rules in user.notification_rules}


def test_example_on_call_people_are_reached_as_the_runbooks_say(pria: Config) -> None:
    users = {u.name: u for u in pria.users}
    # On call (TenSafe's rotation and OPS1's secondary, the DevOps Lead): SMS and email at once and a
    # call at 5 minutes for P1/P2; email, then an SMS at 30 minutes for P3/P4, held at night.
    for name in ("engineer-a", "engineer-b", "engineer-c", "david-berg"):
        user = users[name]
        assert _rules(user) == {"high": [("sms", 0), ("email", 0), ("voice", 5)], "low": [("email", 0), ("sms", 30)]}
        assert (user.quiet_hours.start, user.quiet_hours.end, user.quiet_hours.phone_low_urgency) == (
            "22:00", "07:00", False)
        assert sorted(c.type for c in user.contact_methods) == ["email", "sms", "voice"]
    # Escalation contacts by phone (TenSafe) and the CTO's pager and CEO's SMS (OPS1).
    for name in ("lina-holm", "erik-nord", "vera-lund", "greta-wall"):
        assert _rules(users[name]) == {"high": [("voice", 0), ("email", 0)], "low": [("email", 0)]}
    for name in ("carl-strom", "per-swedenborg"):
        assert _rules(users[name]) == {"high": [("sms", 0), ("email", 0)], "low": [("email", 0)]}


def test_example_vouches_only_for_methods_people_had_in_pagerduty(pria: Config) -> None:
    verified = {u.name for u in pria.users if any(c.verified for c in u.contact_methods)}
    assert verified == {"engineer-a", "engineer-b", "engineer-c", "david-berg", "lina-holm", "erik-nord",
                        "carl-strom", "per-swedenborg"}
    # All of a person's methods or none.
    assert all(all(c.verified for c in u.contact_methods) for u in pria.users if u.name in verified)


def test_example_people_have_their_own_slack_member(pria: Config) -> None:
    members = [u.slack_user for u in pria.users if u.name != "admin"]
    assert all(members) and len(set(members)) == len(members)
    assert next(u for u in pria.users if u.name == "admin").slack_user is None  # an account, not a person


def test_example_slack_channels_are_the_runbooks(pria: Config) -> None:
    assert [(c.name, c.severities, c.tags, c.webhook_url_env, c.purpose) for c in pria.slack.channels] == [
        ("#incident-active", ["P1", "P2"], [], None, "coordination"),  # TenSafe: active incident coordination
        ("#exec-incidents", ["P1"], [], "SLACK_WEBHOOK_EXEC", "coordination"),  # OPS1 RACI: CEO / Exec on P1
        ("#incident-comms", ["P1", "P2"], [], None, "stakeholders"),  # TenSafe: stakeholder updates
    ]
    # OPS1 2: P1 communication includes the CEO email.
    assert [(s.name, s.people, s.when.severities) for s in pria.stakeholders] == [
        ("ceo-email", ["per-swedenborg"], ["P1"])]
    # Neither runbook has a security channel: a data breach pages the security lead and legal instead.
    assert all(any(t.name == "data-breach" and t.tag == "data-breach" for t in p.triggers)
               for p in pria.escalation_policies)


@pytest.mark.parametrize(("flags", "metrics", "expected"), [
    (["pii_exposure"], {}, "P1"),
    (["all_customers"], {"error_rate": 2}, "P1"),
    ([], {"error_rate": 12}, "P2"),
    ([], {"error_rate": 10}, "P3"),
    ([], {"latency_multiple": 3}, "P3"),
    ([], {"users_affected": 30}, "P2"),
    ([], {"users_affected": 10}, "P3"),
    (["cosmetic"], {}, "P4"),
])
def test_example_criteria_suggest_tensafes_severity(
    pria: Config, flags: list[str], metrics: dict[str, float], expected: str
) -> None:
    levels = [SeverityLevel(key=s.key, rank=rank) for rank, s in enumerate(pria.severities)]
    criteria = [Criterion(**c.model_dump()) for c in pria.severity_criteria]
    assert assess(levels, criteria, flags, metrics).level.key == expected


def test_example_incident_roles_and_stages(pria: Config) -> None:
    assert [r.name for r in pria.incident_roles] == [
        "commander", "communications_lead", "technical_lead", "executive_sponsor"]
    assert [s.title for s in pria.lifecycle_stages] == [
        "Detect", "Acknowledge", "Contain", "Communicate", "Eradicate", "Recover", "Review"]


def test_example_services_take_alerts_from_alertmanager_and_pagerduty(pria: Config) -> None:
    for service in pria.services:
        by_name = {i.name: i for i in service.integrations}
        assert (by_name["alertmanager"].type, by_name["pagerduty"].type) == ("alertmanager", "pagerduty")
        # Keys are generated by Firebell, so none is written in the tree.
        assert all(i.key is None and i.key_env is None and i.key_sha256 is None for i in service.integrations)
        alerting = service.alerting
        assert alerting is not None
        assert (alerting.paging_threshold, alerting.group_by) == ("P3", ["alertname"])
        assert alerting.auto_resolve is (service.name != "database")  # a DBA confirms recovery
    [backup] = [i for s in pria.services for i in s.integrations if i.type == "heartbeat"]
    assert (backup.name, backup.interval, backup.grace, backup.severity) == (
        "nightly-backup", timedelta(hours=24), timedelta(hours=1), "P2")
    assert backup in next(s for s in pria.services if s.name == "database").integrations


MINUTE = timedelta(minutes=1)


def _policies(pria: Config) -> dict[str, EscalationPolicyConfig]:
    return {p.name: p for p in pria.escalation_policies}


def _ladder(policy: EscalationPolicyConfig) -> list[tuple[list[tuple[str, str, str]], timedelta | None]]:
    return [([(t.kind, t.name, t.note) for t in level.targets], level.delay) for level in policy.levels]


def test_example_services_page_through_ops1s_ladder_for_their_severity(pria: Config) -> None:
    assert all(s.escalation_policy == {"P1": "ep-prod-p1", "P2": "ep-prod-p2", "P3": "ep-prod-p3", "P4": "ep-prod-p3"}
               for s in pria.services)


def test_example_ladders_are_ops1s(pria: Config) -> None:
    policies = _policies(pria)
    # P1 -> Primary (5 min) -> Secondary, the DevOps Lead (5 min) -> CTO (pager) -> CEO SMS.
    assert _ladder(policies["ep-prod-p1"]) == [
        ([("schedule", "primary", "")], 5 * MINUTE),
        ([("role", "devops-lead", "secondary on-call")], 5 * MINUTE),
        ([("role", "cto", "CTO pager group")], 5 * MINUTE),
        ([("role", "ceo", "SMS")], None),
    ]
    # P2 -> Primary (10 min) -> Secondary (10 min) -> CTO Slack mention (the CTO, in #incident-active).
    assert _ladder(policies["ep-prod-p2"]) == [
        ([("schedule", "primary", "")], 10 * MINUTE),
        ([("role", "devops-lead", "secondary on-call")], 10 * MINUTE),
        ([("slack_mention", "U07CARL10", "CTO Slack mention")], None),
    ]
    assert policies["ep-prod-p2"].levels[2].targets[0].channel == "C07INCACTV"
    assert [u.name for u in pria.users if u.slack_user == "U07CARL10"] == ["carl-strom"]
    # P3+ -> Primary (60 min) -> Jira ticket; handled next business day.
    assert _ladder(policies["ep-prod-p3"]) == [
        ([("schedule", "primary", "")], 60 * MINUTE),
        ([("ticket", "jira", "handled next business day")], None),
    ]
    assert all(p.repeat == 0 for p in policies.values())  # neither runbook runs the ladder twice
    webhooks = {w.name: w for w in pria.outbound_webhooks}
    assert (webhooks["jira"].url, webhooks["jira"].secret_env) == (
        "https://jira.pria.example.com/hooks/firebell", "JIRA_WEBHOOK_SECRET")
    # The roles at the end of the ladders reach someone, and the CEO by SMS.
    holders = {role: [u for u in pria.users if role in u.roles] for role in ("devops-lead", "cto", "ceo")}
    assert [u.name for u in holders["devops-lead"]] == ["david-berg"]
    assert [u.name for u in holders["cto"]] == ["carl-strom"]
    assert [c.type for c in holders["ceo"][0].contact_methods] == ["email", "sms"]


def _trigger(trigger: Any) -> tuple[str, str, Any, list[str], list[tuple[str, str]]]:
    return (trigger.name, trigger.condition, getattr(trigger, trigger.condition), list(trigger.severities),
            [(t.kind, t.name) for t in trigger.targets])


TAG_TRIGGERS = [
    ("data-breach", "tag", "data-breach", [], [("role", "security-lead"), ("role", "legal")]),
    ("regulatory", "tag", "regulatory", [], [("role", "compliance"), ("role", "legal")]),
]


def test_example_triggers_are_tensafes_escalation_matrix(pria: Config) -> None:
    policies = _policies(pria)
    assert [_trigger(t) for t in policies["ep-prod-p1"].triggers] == [
        # No response to P1 alert in 15 min -> auto-escalate to secondary.
        ("p1-unacknowledged-15m", "unacknowledged_for", 15 * MINUTE, ["P1"], [("schedule", "secondary")]),
        # No progress on P1 in 30 min -> Engineering Manager.
        ("p1-no-progress-30m", "no_update_for", 30 * MINUTE, ["P1"], [("role", "engineering-manager")]),
        # P1 duration > 1 hour -> VP Engineering; > 2 hours -> CTO.
        ("p1-open-1h", "open_for", 60 * MINUTE, ["P1"], [("role", "vp-engineering")]),
        ("p1-open-2h", "open_for", 120 * MINUTE, ["P1"], [("role", "cto")]),
        # Data breach confirmed -> Security + Legal at once; regulatory impact -> Compliance + Legal.
        *TAG_TRIGGERS,
    ]
    # A breach or a regulatory impact escalates whatever the severity.
    for name in ("ep-prod-p2", "ep-prod-p3"):
        assert [_trigger(t) for t in policies[name].triggers] == TAG_TRIGGERS


def _on_call(pria: Config, schedule: str, monday: date) -> str:
    """Who a weekly, 24x7 single-layer schedule has on call in the week starting `monday`."""
    [layer] = next(s for s in pria.schedules if s.name == schedule).layers
    assert layer.rotation.every == timedelta(weeks=1) and not layer.restrictions
    turn = (monday - layer.start).days // 7
    return layer.participants[turn % len(layer.participants)]


def test_example_schedules_are_tensafes_odd_and_even_weeks(pria: Config) -> None:
    assert [(s.name, s.team, s.timezone) for s in pria.schedules] == [
        ("primary", "platform", "Europe/Stockholm"), ("secondary", "platform", "Europe/Stockholm")]
    assert all(layer.handoff == "09:00" and layer.start.isoweekday() == 1
               for s in pria.schedules for layer in s.layers)  # Monday 09:00 hand-offs
    first = next(s for s in pria.schedules if s.name == "primary").layers[0].start
    for week in range(53):
        monday = first + timedelta(weeks=week)
        odd = monday.isocalendar().week % 2 == 1
        if monday.isocalendar().year != 2026:
            break  # 2026 has 53 ISO weeks: from 2027 the strict alternation and the labels part ways
        expected = ("engineer-a", "engineer-b") if odd else ("engineer-b", "engineer-c")
        assert (_on_call(pria, "primary", monday), _on_call(pria, "secondary", monday)) == expected, monday


@pytest.mark.parametrize(("label", "expected"), [
    ("critical", "P1"), ("error", "P2"), ("high", "P2"), ("warning", "P3"), ("info", "P4"), ("debug", None)])
def test_example_maps_alertmanager_severity_labels(pria: Config, label: str, expected: str | None) -> None:
    alerting = pria.services[0].alerting
    assert alerting is not None and alerting.severity_map is not None
    found = next((rule.severity for rule in alerting.severity_map
                  if all_match(parse_all(rule.match), {"severity": label})), None)
    assert found == expected


@pytest.mark.parametrize(("alertname", "service", "tags"), [
    ("api_error_ratio", "api", []),
    ("db_disk_usage_pct", "database", ["storage"]),
    ("auth_failed_scope_checks", "auth", ["security"]),
])
def test_example_routes_ops1_playbook_alerts(pria: Config, alertname: str, service: str, tags: list[str]) -> None:
    [rule] = [r for r in pria.routing_rules if all_match(parse_all(r.match), {"alertname": alertname})]
    assert (rule.set_service, rule.add_tags, rule.suppress) == (service, tags, False)


def test_example_maintenance_window_is_scheduled_ahead(pria: Config) -> None:
    [window] = pria.maintenance_windows
    assert window.service == "database"
    assert window.starts_at == datetime(2027, 1, 10, 22, tzinfo=UTC)
    assert window.starts_at < window.ends_at and window.starts_at > NOW


def test_example_applies_idempotently_and_exports_round_trip(
    database: Database, pria: Config, tmp_path: Path
) -> None:
    with database.unit_of_work() as session:
        first = apply(session, pria, now=NOW)
    assert first.counts()["create"] > 0
    assert len(first.generated_keys) == sum(len(s.integrations) for s in pria.services) == 17
    with database.unit_of_work() as session:
        assert apply(session, pria, now=NOW).empty
        text = export(session)
        specs = {p.name: p.spec for p in session.scalars(select(EscalationPolicy))}
        routes = {r.name: (r.channel_id, r.severities, r.webhook_url_env)
                  for r in session.scalars(select(SlackChannelRoute))}
        chat_routes = {r.name: (r.kind, r.url_env, r.slack_fallback_after_s)
                       for r in session.scalars(select(ChatRoute))}
        engineer = session.scalars(select(User).where(User.name == "engineer-a")).one()
        methods = {m.id: m.type for m in engineer.contact_methods}
        stored_rules = sorted((r.urgency, r.position, methods[r.contact_method_id], r.delay_minutes)
                              for r in engineer.notification_rules)
        verified = {u for u, at in session.execute(
            select(User.name, ContactMethod.verified_at).join(ContactMethod, ContactMethod.user_id == User.id))
            if at is not None}
        rules = session.scalars(select(NotificationRule)).all()
    assert routes == {"#incident-active": ("C07INCACTV", ["P1", "P2"], ""),
                      "#exec-incidents": ("C07EXECINC", ["P1"], "SLACK_WEBHOOK_EXEC"),
                      "#incident-comms": ("C07INCCOMM", ["P1", "P2"], "")}
    # OPS1 6: "Google Chat fallback", after 5 minutes of Slack failing.
    assert chat_routes == {"gchat-incidents": ("google_chat", "PRIA_GCHAT_INCIDENTS", 300)}
    assert stored_rules == [("high", 0, "sms", 0), ("high", 1, "email", 0), ("high", 2, "voice", 5),
                            ("low", 0, "email", 0), ("low", 1, "sms", 30)]
    assert verified == {u.name for u in pria.users if any(c.verified for c in u.contact_methods)}
    assert len(rules) == sum(len(u.notification_rules.high) + len(u.notification_rules.low) for u in pria.users)
    # The engine reads each policy's spec as it is; the Jira ticket's webhook travels with P3's ladder.
    assert {name: snapshot_from_json(spec) for name, spec in specs.items()} == {
        p.name: snapshot_of(p) for p in pria.escalation_policies}
    assert specs["ep-prod-p3"]["webhooks"] == {"jira": {
        "url": "https://jira.pria.example.com/hooks/firebell", "secret_env": "JIRA_WEBHOOK_SECRET",
        "description": "Follow-up ticket in Jira project INC (OPS1 6); P3+ is handled the next business day (OPS1 5)."}}
    assert specs["ep-prod-p1"]["webhooks"] == {}
    exported = valid(write(tmp_path, "pria.yaml", text))
    with database.unit_of_work(write=False) as session:
        assert plan(session, exported).empty
    with database.unit_of_work() as session:
        again = apply(session, exported, now=NOW)
        assert again.empty and again.generated_keys == {}
        stored = session.scalars(
            select(Integration.key_hash).join(Service, Service.id == Integration.service_id)
            .where(Service.name == "api", Integration.name == "alertmanager")).one()
    assert stored == hash_key(first.generated_keys["api/alertmanager"])


def test_example_status_page_is_ops1s(pria: Config) -> None:
    """OPS1 6: Statuspage, auto-open from P1; OPS1 2: P2 'status page if > 1 h'; playbook 7.1's `API`."""
    page = pria.status_page
    assert page is not None and page.time_zone == "Europe/Stockholm"
    policy = {s.severity: (s.auto_open if isinstance(s.auto_open, str) else s.auto_open.after, s.component_status)
              for s in page.severities}
    assert policy["P1"] == ("immediately", "major_outage")
    assert policy["P2"] == (timedelta(hours=1), "partial_outage")
    names = {c.name for c in page.components} | {c.name for g in page.groups for c in g.components}
    assert "API" in names and all(s.status_page_component in names for s in pria.services)
