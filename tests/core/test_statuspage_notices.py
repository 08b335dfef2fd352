"""The page's choice of what its subscribers hear of (core/statuspage/notices.py): the default tells
what the page told before the choice existed, the stored shape reads back as it was written, and
turning something off never makes anyone hear more."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from firebell.core import status_subscriptions as rules
from firebell.core.statuspage import notices as choices

EVENTS = {"incident": choices.INCIDENT_EVENTS, "maintenance": choices.MAINTENANCE_EVENTS,
          "component": (choices.COMPONENT_EVENT,)}
changes = st.sampled_from([(kind, event) for kind, events in EVENTS.items() for event in events])
modes = st.sampled_from(choices.MODES)
made = st.builds(choices.NoticeChoice,
                 incidents=st.frozensets(st.sampled_from(choices.INCIDENT_EVENTS)),
                 maintenance=st.frozensets(st.sampled_from(choices.MAINTENANCE_EVENTS)),
                 component_modes=st.frozensets(st.sampled_from(choices.MODES)))


@given(changes, modes)
def test_the_default_tells_everything_but_component_changes_by_mail(change, mode) -> None:
    kind, event = change
    assert choices.heard(choices.DEFAULT, kind, event, mode) == (kind != "component" or mode != "email")


@given(made)
def test_what_is_stored_reads_back_as_it_was_chosen(choice) -> None:
    assert choices.from_stored(choices.stored(choice)) == choice


@given(made, made, changes, modes, st.none() | st.lists(st.sampled_from(["c1", "c2"]), max_size=2),
       st.lists(st.sampled_from(["c1", "c2"]), max_size=2))
def test_turning_something_off_never_makes_anyone_hear_more(a, b, change, mode, components, touched) -> None:
    kind, event = change
    smaller = choices.NoticeChoice(a.incidents & b.incidents, a.maintenance & b.maintenance,
                                   a.component_modes & b.component_modes)
    if rules.wants(mode, components, kind, event, touched, smaller):
        assert rules.wants(mode, components, kind, event, touched, a)
        assert rules.wants(mode, components, kind, event, touched, b)
    if not choices.told(a, kind, event):  # nothing made: nobody hears, whatever their mode or components
        assert not rules.wants(mode, components, kind, event, touched, a)


@given(st.dictionaries(st.sampled_from([choices.INCIDENTS, choices.MAINTENANCE, choices.COMPONENT_STATUS, "x"]),
                       st.dictionaries(st.sampled_from([*choices.MAINTENANCE_EVENTS, "created", "email", "y"]),
                                       st.booleans() | st.integers() | st.none())) | st.none() | st.integers())
def test_a_name_the_row_does_not_say_keeps_its_default(value) -> None:
    choice = choices.from_stored(value)
    given_ = value if isinstance(value, dict) else {}
    maintenance = given_.get(choices.MAINTENANCE, {})
    for event in choices.MAINTENANCE_EVENTS:
        expected = maintenance[event] is True if event in maintenance else True
        assert (event in choice.maintenance) == expected
    components = given_.get(choices.COMPONENT_STATUS, {})
    assert ("email" in choice.component_modes) == (components.get("email") is True)


def test_a_maintenance_update_is_news_of_its_status_or_of_its_new_window() -> None:
    assert [choices.maintenance_event(s) for s in ("scheduled", "in_progress", "verifying", "completed")] == \
        ["scheduled", "started", None, "completed"]
    assert choices.maintenance_event("in_progress", rescheduled=True) == "rescheduled"
