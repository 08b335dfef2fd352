"""`stakeholders:` and a Slack channel's `purpose` in the config tree: errors at their line, applied,
planned, exported and applied again as a no-op."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from firebell.config import apply, export, plan
from firebell.messages.models import StakeholderList
from firebell.slack.models import SlackChannelRoute
from firebell.store.uow import Database
from tests.config.helpers import errors_in, valid, write

TREE = """\
organisation: {name: PRIA}
teams: [{name: platform}]
users:
  - {name: ceo, full_name: Chief Executive, email: ceo@pria.example}
services:
  - {name: api, team: platform}
outbound_webhooks:
  - {name: status-sync, url: "https://status.pria.example/hooks/firebell", secret_env: STATUS_SYNC_SECRET}
slack:
  channels:
    - {channel: C07INCACTV, name: "#incident-active", severities: [P1, P2]}
    - {channel: C07INCCOMM, name: "#incident-comms", severities: [P1, P2], purpose: stakeholders}
stakeholders:
  - name: executives
    description: OPS1 "CEO email" on P1
    people: [ceo]
    addresses: [Board@PRIA.example]
    webhooks: [status-sync]
    when: {severities: [P1], services: [api]}
  - name: platform-watchers
    addresses: [platform@pria.example]
    when: {teams: [platform]}
"""
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("old", "new", "line", "fragment"), [
    ("people: [ceo]", "people: [cfo]", 16, "unknown user 'cfo'"),
    ("webhooks: [status-sync]", "webhooks: [status-sink]", 18, "unknown outbound webhook 'status-sink'"),
    ("when: {severities: [P1], services", "when: {severities: [P7], services", 19, "unknown severity 'P7'"),
    ("when: {teams: [platform]}", "when: {teams: [platfrom]}", 22, "did you mean 'platform'"),
    ("  - name: platform-watchers", "  - name: executives", 20, "duplicate"),
    ("purpose: stakeholders}", "purpose: stakeholders, webhook_url_env: SLACK_WEBHOOK_COMMS}", 12,
     "drop webhook_url_env"),
    ("purpose: stakeholders}", "purpose: everyone}", 12, "coordination"),
    ("addresses: [Board@PRIA.example]", "addresses: [board]", 17, "email"),
])
def test_a_mistake_is_reported_at_its_line(tmp_path: Path, old: str, new: str, line: int, fragment: str) -> None:
    errors = errors_in(write(tmp_path, "config.yaml", TREE.replace(old, new))) if old in TREE else []
    assert [e.line for e in errors] == [line] and fragment in errors[0].message, "\n".join(map(str, errors))


def test_lists_and_channel_purposes_are_applied_planned_and_exported(database: Database, tmp_path: Path) -> None:
    config = valid(write(tmp_path, "config.yaml", TREE))
    with database.unit_of_work() as session:
        apply(session, config, now=NOW, actor="test")
    with database.unit_of_work(write=False) as session:
        executives = session.query(StakeholderList).filter_by(name="executives").one()
        assert (executives.people, executives.addresses, executives.severities, executives.services) == (
            ["ceo"], ["board@pria.example"], ["P1"], ["api"])
        assert executives.webhooks == {"status-sync": {"url": "https://status.pria.example/hooks/firebell",
                                                       "secret_env": "STATUS_SYNC_SECRET", "description": ""}}
        assert {r.channel_id: r.purpose for r in session.query(SlackChannelRoute)} == {
            "C07INCACTV": "coordination", "C07INCCOMM": "stakeholders"}
        assert plan(session, config).empty
        text = export(session)
    assert "purpose: stakeholders" in text and "purpose: coordination" not in text
    again = valid(write(tmp_path / "again", "config.yaml", text))
    assert [s.model_dump() for s in again.stakeholders] == [
        s.model_dump() | {"addresses": [a.lower() for a in s.addresses]} for s in config.stakeholders]
    assert [w.name for w in again.outbound_webhooks] == ["status-sync"]
    with database.unit_of_work() as session:
        assert plan(session, again).empty
        apply(session, valid(write(tmp_path / "fewer", "config.yaml", TREE.split("  - name: platform-watchers")[0])),
              now=NOW, actor="test")
    with database.unit_of_work(write=False) as session:
        assert [row.name for row in session.query(StakeholderList)] == ["executives"]
