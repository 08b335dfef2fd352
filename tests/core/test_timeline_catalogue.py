"""The timeline's catalogue: one schema and one sentence per kind, every sentence one non-empty line
for any payload its schema allows, payloads stored and read back unchanged, and rows the catalogue
cannot read rendered with a generic sentence instead of an error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.timeline import catalogue
from firebell.core.timeline.catalogue import CATALOGUE, read, render
from firebell.core.timeline.incident import AlertRef, Declared, DetailsChanged, TagsChange, TextChange
from firebell.core.timeline.kinds import EventKind
from firebell.core.timeline.paging import AlertAttached, NotificationSent
from firebell.core.timeline.schema import Payload

KINDS = sorted(CATALOGUE.values(), key=lambda cls: cls.event_kind.value)
ACTORS = st.one_of(st.just("firebell"), st.text(max_size=30), st.builds(
    lambda name, via: f"{name} via {via}", st.text(max_size=20), st.sampled_from(["slack", "sms", "cli", "x\ny"])))


def test_every_kind_has_exactly_one_schema() -> None:
    assert set(CATALOGUE) == set(EventKind)
    assert all(kind is cls.event_kind for kind, cls in CATALOGUE.items())


@pytest.mark.parametrize("cls", KINDS, ids=lambda cls: cls.event_kind.value)
@given(data=st.data(), actor=ACTORS, people=st.dictionaries(st.text(max_size=10), st.text(max_size=20)),
       stages=st.dictionaries(st.text(max_size=10), st.text(max_size=20)))
def test_every_sentence_is_one_non_empty_line_for_any_valid_payload(
        cls: type[Payload], data: st.DataObject, actor: str, people: dict[str, str], stages: dict[str, str]) -> None:
    payload = data.draw(st.from_type(cls))
    shown = render(cls.event_kind.value, payload.to_json(), actor, people, stages)
    assert shown.data == payload, "a valid payload is read as itself, not by the fallback"
    assert shown.text.strip() and shown.text == shown.text.strip()
    assert len(shown.text.splitlines()) == 1


def test_a_stage_change_reads_with_the_stages_titles_and_keeps_its_keys() -> None:
    titles = {"detect": "Detect", "contain": "Contain the damage"}
    moved = render("stage_changed", {"from": "detect", "to": "contain"}, "Alice Andersson via web", None, titles)
    assert moved.text == "Alice Andersson moved the stage from Detect to Contain the damage"
    assert moved.data is not None and moved.data.to_json() == {"from": "detect", "to": "contain"}
    automatic = render("stage_changed", {"from": "detect", "to": "acknowledge", "reason": "acknowledged"}, "firebell")
    assert automatic.text == "Stage moved from detect to acknowledge as the incident was acknowledged"


@pytest.mark.parametrize("cls", KINDS, ids=lambda cls: cls.event_kind.value)
@given(data=st.data())
def test_a_payload_is_stored_and_read_back_unchanged(cls: type[Payload], data: st.DataObject) -> None:
    payload = data.draw(st.from_type(cls))
    stored = json.loads(json.dumps(payload.to_json()))  # as the database gives it back
    assert cls.from_json(stored) == payload
    assert read(cls.event_kind.value, stored) == payload


def test_the_sentences_people_read() -> None:
    sent = NotificationSent(notification="6f1c", user="alice", channel="sms", target="schedule:primary", level=1,
                            kind="page", attempts=1, detail="twilio: accepted")
    examples: list[tuple[str, Any, str, str]] = [
        ("notification_sent", sent.to_json(), "firebell", "Paged Alice Andersson by SMS (level 1, schedule primary)"),
        ("acknowledged", {}, "Alice via slack", "Alice acknowledged via Slack"),
        ("severity_changed", {"from": "P2", "to": "P1", "reason": "EU tenants too"}, "firebell",
         "Severity raised P2 -> P1: EU tenants too"),
        ("severity_changed", {"from": "P1", "to": "P2", "reason": "EU only"}, "Alice Andersson via cli",
         "Alice Andersson lowered the severity P1 -> P2: EU only"),
        ("note_added", {"text": "rolled back\nrelease 42"}, "Bob Berg via api",
         "Bob Berg noted: rolled back release 42"),
        ("role_assigned", {"role": "communications_lead", "user": "alice", "previous": None}, "Bob Berg via api",
         "Bob Berg made Alice Andersson communications lead"),
        ("declared", Declared(title="Disk full", severity="P1", stage="triage", tags=[], source="alert",
                              group_key="g", alert=AlertRef(dedup_key="db1/disk", summary="Disk full", source="db1",
                                                            severity="P1", format="pagerduty", alert_id="a1")
                              ).to_json(),
         "firebell", "Alert \u201cdb1/disk\u201d from db1 opened the incident at P1: \u201cDisk full\u201d"),
        ("details_changed", DetailsChanged(title=TextChange(from_="a", to="Checkout 5xx"),
                                           tags=TagsChange(from_=[], to=["eu", "payments"])).to_json(),
         "Alice via web", "Alice changed the title to \u201cCheckout 5xx\u201d and the tags to eu and payments"),
        ("update_overdue", {"due_at": "2026-11-23T03:15:00+00:00", "reminded": [], "unreminded": "nobody holds it"},
         "firebell", "Stakeholder update due at 03:15 UTC is overdue: nobody reminded (nobody holds it)"),
    ]
    for type_, payload, actor, sentence in examples:
        assert render(type_, payload, actor, {"alice": "Alice Andersson"}).text == sentence


def test_the_stored_shape_is_the_one_older_readers_know() -> None:
    """Field names that are no Python names, and fields only some writers set, keep their stored form."""
    attached = AlertAttached.of(AlertRef(dedup_key="k", summary="s", source="", severity="P2", format="grafana",
                                         alert_id="a"))
    assert attached.to_json() == {"dedup_key": "k", "summary": "s", "source": "", "severity": "P2",
                                  "format": "grafana", "alert_id": "a"}
    assert AlertAttached.of(AlertRef("k", "s", "", "P2", "grafana", "a"), flapping=False).to_json()["flapping"] is False
    assert DetailsChanged(tags=TagsChange(from_=["a"], to=[])).to_json() == {"tags": {"from": ["a"], "to": []}}


@pytest.mark.parametrize(("type_", "payload"), [
    ("page_sent", {"to": "alice"}),  # a kind this version does not know
    ("stage_changed", {"from": "a", "to": 3}),  # a value of the wrong type
    ("stage_changed", {"from": "a"}),  # a key missing
    ("note_added", {"text": "x", "pinned": True}),  # a key the schema does not have
    ("escalated", "not an object"),
    ("", None),
])
def test_a_row_the_catalogue_cannot_read_gets_a_generic_sentence_not_an_error(type_: str, payload: Any) -> None:
    shown = render(type_, payload, "Alice Andersson via slack")
    assert shown.data is None
    assert shown.text.startswith("Alice Andersson: ") and shown.text.endswith(" via Slack")
    assert len(shown.text.splitlines()) == 1


def test_the_people_an_event_names_are_known_to_its_reader() -> None:
    events = [("role_assigned", {"role": "commander", "user": "alice", "previous": "bob"}),
              ("page_undeliverable", {"notification": "n", "user": "sam", "channel": "sms", "target": "user:sam",
                                      "level": None, "kind": "page", "attempts": 3, "reason": "r",
                                      "admins_told": ["admin"]}),
              ("old_kind", {"user": "otto"})]
    assert catalogue.user_names(events) == {"alice", "bob", "sam", "admin"}
