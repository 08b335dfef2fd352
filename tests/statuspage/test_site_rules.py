"""The site's pure decisions (core/status_site.py): the v2 sub-lists, the month of each history
entry, the order and visibility of components, the uptime words, safe links, and local times
across daylight saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from firebell.core import status_site as rules
from tests.statuspage.builders import stamp

INCIDENT_STATUSES = ["investigating", "identified", "monitoring", "resolved", "postmortem"]
MAINTENANCE_STATUSES = ["scheduled", "in_progress", "verifying", "completed"]
START = datetime(2026, 1, 1, tzinfo=UTC)
moments = st.integers(0, 400 * 24 * 60).map(lambda m: stamp(START + timedelta(minutes=m)))


@st.composite
def items(draw: st.DrawFn, statuses: list[str], maintenance: bool = False) -> list[dict[str, object]]:
    found = []
    for n in range(draw(st.integers(0, 12))):
        created = draw(moments)
        item: dict[str, object] = {"id": f"i{n}", "name": f"n{n}", "status": draw(st.sampled_from(statuses)),
                                   "created_at": created, "updated_at": created, "started_at": created}
        if maintenance:
            item["scheduled_for"] = draw(moments)
        found.append(item)
    return found


@given(items(INCIDENT_STATUSES), st.data())
def test_unresolved_is_every_open_incident_once_newest_first(incidents: list[dict[str, object]],
                                                             data: st.DataObject) -> None:
    in_summary = data.draw(st.lists(st.sampled_from(incidents), unique_by=lambda i: i["id"])) if incidents else []
    docs = {"summary": {"incidents": in_summary, "scheduled_maintenances": []}, "incidents": incidents}
    found = rules.unresolved(docs)
    assert {i["id"] for i in found} == {i["id"] for i in incidents if i["status"] in rules.UNRESOLVED}
    assert len(found) == len({i["id"] for i in found})
    stamps = [rules.instant(str(i["created_at"])) for i in found]
    assert stamps == sorted(stamps, reverse=True)


@given(items(MAINTENANCE_STATUSES, maintenance=True))
def test_upcoming_and_active_split_the_maintenances_by_status(maintenances: list[dict[str, object]]) -> None:
    docs = {"summary": {"incidents": [], "scheduled_maintenances": []}, "scheduled_maintenances": maintenances}
    upcoming, active = rules.upcoming(docs), rules.active(docs)
    assert {m["id"] for m in upcoming} == {m["id"] for m in maintenances if m["status"] == "scheduled"}
    assert {m["id"] for m in active} == {m["id"] for m in maintenances if m["status"] in ("in_progress", "verifying")}
    soonest = [rules.instant(str(m["scheduled_for"])) for m in upcoming]
    assert soonest == sorted(soonest), "the next maintenance first"


@given(items(INCIDENT_STATUSES), moments, st.sampled_from(["UTC", "Europe/Berlin", "America/Los_Angeles",
                                                           "Pacific/Kiritimati"]))
def test_each_history_entry_is_in_the_month_it_began_in_the_page_zone(
        incidents: list[dict[str, object]], now_text: str, zone_name: str) -> None:
    tz, now = rules.zone(zone_name), rules.instant(now_text)
    months = rules.history_months(incidents, tz, now)
    placed = [(label, i["id"]) for label, found in months for i in found]
    assert sorted(i for _, i in placed) == sorted(i["id"] for i in incidents)
    for label, ident in placed:
        began = rules.instant(str(next(i for i in incidents if i["id"] == ident)["started_at"])).astimezone(tz)
        assert label == f"{began:%B %Y}"
    keys = [datetime.strptime(label, "%B %Y") for label, _ in months]
    assert keys == sorted(set(keys), reverse=True), "each month once, newest first"
    for back in range(90):  # every month the last 90 days touch is there, even with nothing in it
        assert f"{(now - timedelta(days=back)).astimezone(tz):%B %Y}" in [label for label, _ in months]


component_statuses = st.sampled_from(list(rules.COMPONENT_WORDS))


@st.composite
def component_lists(draw: st.DrawFn) -> list[dict[str, object]]:
    plain = [{"id": f"c{n}", "name": f"C{n}", "status": draw(component_statuses), "position": draw(st.integers(0, 5)),
              "group": False, "only_show_if_degraded": draw(st.booleans())} for n in range(draw(st.integers(0, 8)))]
    groups = []
    free = [c["id"] for c in plain]
    for g in range(draw(st.integers(0, 2))):
        taken = draw(st.lists(st.sampled_from(free), unique=True)) if free else []
        free = [c for c in free if c not in taken]
        groups.append({"id": f"g{g}", "name": f"G{g}", "status": "operational", "position": g, "group": True,
                       "components": taken, "only_show_if_degraded": False})
    return plain + groups


@given(component_lists())
def test_each_component_is_listed_once_in_its_group_unless_hidden(components: list[dict[str, object]]) -> None:
    tree = rules.component_tree(components)
    listed = [c["id"] for top, children in tree for c in [top, *children] if not c["group"]]
    hidden = {c["id"] for c in components if c["only_show_if_degraded"] and c["status"] == "operational"}
    assert sorted(listed) == sorted(c["id"] for c in components if not c["group"] and c["id"] not in hidden)
    for top, children in tree:
        assert all(child["id"] in top.get("components", []) for child in children)  # type: ignore[operator]
        assert not top["group"] or children, "an empty group is not shown"


@given(component_lists())
def test_the_subscribe_form_offers_every_component_once_under_its_group(components: list[dict[str, object]]) -> None:
    offered = rules.subscribable(components)
    ids = [cid for _, choices in offered for cid, _ in choices]
    assert sorted(ids) == sorted(str(c["id"]) for c in components if not c["group"])  # hidden ones too
    groups = {str(c["name"]): c for c in components if c["group"]}
    for group, choices in offered:
        assert choices, "no empty group is offered"
        if group is not None:
            assert all(cid in groups[group]["components"] for cid, _ in choices)  # type: ignore[operator]


@given(st.floats(0, 100))
def test_uptime_is_rounded_down_to_two_places(percent: float) -> None:
    shown = float(rules.uptime_text(percent).removesuffix("% uptime"))
    assert shown <= percent + 1e-6 and percent - shown < 0.01 + 1e-6
    assert rules.uptime_text(None) == "No data"
    assert rules.uptime_text(99.95) == "99.95% uptime" and rules.uptime_text(99.999) == "99.99% uptime"


@given(st.text())
def test_only_web_and_mail_links_pass(url: str) -> None:
    found = rules.safe_url(url)
    assert found is None or found.lower().startswith(("http://", "https://", "mailto:", "/", "./", "../", "#"))
    assert rules.safe_url("javascript:alert(1)") is None and rules.safe_url(" JavaScript:x") is None
    assert rules.safe_url("//evil.example/x") is None
    assert rules.safe_url("https://pria.example") == "https://pria.example"


def test_times_follow_the_page_zone_across_daylight_saving() -> None:
    berlin = rules.zone("Europe/Berlin")
    assert rules.local_time("2026-03-29T00:59:00.000Z", berlin) == "29 Mar 2026, 01:59 CET"
    assert rules.local_time("2026-03-29T01:00:00.000Z", berlin) == "29 Mar 2026, 03:00 CEST"
    assert rules.local_time("2026-10-25T00:30:00.000Z", berlin) == "25 Oct 2026, 02:30 CEST"
    assert rules.local_time("2026-10-25T01:30:00.000Z", berlin) == "25 Oct 2026, 02:30 CET"
    assert rules.local_time("2026-12-07T10:00:00.000-06:00", rules.zone("Nowhere/Atlantis")) == "7 Dec 2026, 16:00 UTC"


def test_unknown_values_are_shown_as_themselves() -> None:
    assert rules.words(rules.COMPONENT_WORDS, "partial_outage") == "Partial outage"
    assert rules.words(rules.COMPONENT_WORDS, "brand_new_state") == "Brand new state"
    assert rules.accent("#abc") == "#abc" and rules.accent("red") == "#0b5cad"


@given(st.sampled_from(["9999-12-31T23:30:00.000Z", "0001-01-01T00:10:00.000Z", "2026-12-07T10:00:00.000Z"]),
       st.sampled_from(["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Stockholm"]))
def test_a_time_at_the_ends_of_the_calendar_still_renders(text: str, zone: str) -> None:
    """A row stored before the window rule (year 9999) is shown in UTC rather than making the page a 500."""
    tz = rules.zone(zone)
    assert rules.local_time(text, tz)
    assert rules.history_months([{"started_at": text, "created_at": text, "updated_at": text}], tz,
                                datetime(2026, 12, 7, tzinfo=UTC))
    assert rules.local_time("9999-12-31T23:30:00.000Z", rules.zone("Pacific/Kiritimati")) == "31 Dec 9999, 23:30 UTC"
