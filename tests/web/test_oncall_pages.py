"""The on-call pages through a browser's eyes (TestClient with a session): now and next, my shifts,
a schedule's two weeks, and overrides, swaps and the calendar feed changed through the forms, with
the same rules as the API (the schedule's team and admins change it; a viewer's forged POST is a
403 and changes nothing; a POST without the CSRF token changes nothing).

The fixture `primary` (team platform: alice, bob; vera its viewer) hands off Mondays 09:00
Stockholm; the clock starts Monday 2026-11-23 03:00 UTC (04:00 CET): alice until 09:00 CET."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from firebell.oncall.models import Schedule, ScheduleOverride
from firebell.org.models import Team
from tests.web.conftest import Web

PAGE = "/oncall/schedules/primary"


def _overrides(web: Web) -> list[tuple[str, Any]]:
    with web.db.unit_of_work(write=False) as session:
        rows = session.execute(select(ScheduleOverride.id, ScheduleOverride.cancelled_at)
                               .order_by(ScheduleOverride.starts_at)).all()
        return [(r[0], r[1]) for r in rows]


def _feed_generation(web: Web) -> int:
    with web.db.unit_of_work(write=False) as session:
        return int(session.execute(select(Schedule.feed_generation).where(Schedule.name == "primary")).scalar_one())


def _count(web: Web) -> int:
    with web.db.unit_of_work(write=False) as session:
        return int(session.execute(select(func.count()).select_from(ScheduleOverride)).scalar_one())


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_oncall_page_shows_now_next_and_my_shifts(web: Web) -> None:
    alice = web.signed_in("alice")
    page = alice.get("/oncall")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Platform primary on-call" in text and "platform · Europe/Stockholm" in text
    assert "Now alice" in text and "Next bob from Mon 23 Nov 09:00 CET (in 5h 00m)" in text
    # alice's shifts in the next four weeks: the rest of this one, and the week after bob's.
    assert "Mon 23 Nov 04:00 CET Mon 23 Nov 09:00 CET 5h 00m left" in text
    assert "Mon 30 Nov 09:00 CET Mon 07 Dec 09:00 CET 7d 0h" in text
    assert "You are not on call" in _text(web.signed_in("vera").get("/oncall").text)


def test_pages_need_a_session(web: Web) -> None:
    response = web.browser().get(PAGE)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in?next=/oncall/schedules/primary"


def test_a_schedule_page_draws_two_weeks_in_its_zone(web: Web) -> None:
    page = web.signed_in("alice").get(PAGE)
    assert page.status_code == 200
    text = _text(page.text)
    assert "times in Europe/Stockholm (CET, UTC+01:00)" in text
    days = re.findall(r'text-anchor="middle">([^<]+)<', page.text)
    assert len(days) == 14 and (days[0], days[-1]) == ("Mon 23", "Sun 06")  # fourteen local days
    assert text.count("alice: Mon 23 Nov 00:00 to Mon 23 Nov 09:00 CET") == 2  # the layer row and the final row
    assert "bob: Mon 23 Nov 09:00 to Mon 30 Nov 09:00 CET" in text
    assert "No gaps." in text
    assert "/ical/" in page.text and "Add override" in text and "Swap two shifts" in text
    assert web.signed_in("alice").get("/oncall/schedules/nope").status_code == 404


def test_a_viewer_sees_the_schedule_but_no_forms_and_no_secret_feed_url(web: Web) -> None:
    for who in ("vera", "sam"):  # the team's viewer; another team's responder
        page = web.signed_in(who).get(PAGE)
        assert page.status_code == 200 and "bob: Mon 23 Nov 09:00" in page.text
        assert "/ical/" not in page.text and "Add override" not in page.text and "/cancel" not in page.text


def test_an_override_is_added_and_cancelled_through_the_forms(web: Web) -> None:
    alice = web.signed_in("alice")
    alice.get(PAGE)
    added = alice.post(f"{PAGE}/overrides", {"user": "bob", "start": "2026-11-23T05:00", "end": "2026-11-23T07:00",
                                              "reason": "alice at the dentist"})
    assert added.status_code == 303 and added.headers["location"] == f"{PAGE}?done=added"
    page = _text(alice.get(added.headers["location"]).text)
    assert "Override added." in page and "alice at the dentist" in page
    assert "bob: Mon 23 Nov 05:00 to Mon 23 Nov 07:00 CET" in page  # local wall-clock times, as typed
    ((override_id, _),) = _overrides(web)
    cancelled = alice.post(f"{PAGE}/overrides/{override_id}/cancel")
    assert cancelled.status_code == 303
    after = _text(alice.get(cancelled.headers["location"]).text)
    assert "Override cancelled." in after and "No overrides from now on." in after
    assert _overrides(web)[0][1] is not None


def test_a_refused_override_says_why_and_keeps_what_was_typed(web: Web) -> None:
    alice = web.signed_in("alice")
    alice.get(PAGE)
    response = alice.post(f"{PAGE}/overrides", {"user": "vera", "start": "2026-11-23T05:00",
                                                 "end": "2026-11-23T07:00", "reason": "please"})
    assert response.status_code == 422
    assert "vera is a viewer and cannot be put on call" in response.text and 'value="please"' in response.text
    backwards = alice.post(f"{PAGE}/overrides", {"user": "bob", "start": "2026-11-23T07:00", "end": "2026-11-23T05:00"})
    assert backwards.status_code == 422 and "end after it starts" in backwards.text
    assert _count(web) == 0


def test_forged_posts_from_a_viewer_are_403_and_change_nothing(web: Web) -> None:
    alice = web.signed_in("alice")
    alice.post(f"{PAGE}/overrides", {"user": "bob", "start": "2026-11-23T05:00", "end": "2026-11-23T07:00"})
    before, generation = _overrides(web), _feed_generation(web)
    vera = web.signed_in("vera")  # her own session and CSRF token: the form was forged, not the token
    override_id = before[0][0]
    forged = [vera.post(f"{PAGE}/overrides", {"user": "alice", "start": "2026-11-23T05:00", "end": "2026-11-23T08:00"}),
              vera.post(f"{PAGE}/overrides/{override_id}/cancel"),
              vera.post(f"{PAGE}/swap", {"first": "bob|2026-11-23T08:00:00+00:00|2026-11-30T08:00:00+00:00",
                                         "second": "alice|2026-11-30T08:00:00+00:00|2026-12-07T08:00:00+00:00"}),
              vera.post(f"{PAGE}/feed/rotate")]
    for response in forged:
        assert response.status_code == 403 and "viewers cannot change schedules" in response.text
    assert _overrides(web) == before and _feed_generation(web) == generation
    assert alice.post(f"{PAGE}/overrides/{override_id}/cancel", csrf=None).status_code == 403  # no CSRF token
    assert alice.post(f"{PAGE}/feed/rotate", csrf="forged").status_code == 403
    assert _overrides(web) == before and _feed_generation(web) == generation


def test_two_shifts_are_swapped_through_the_form(web: Web) -> None:
    bob = web.signed_in("bob")
    page = bob.get(PAGE).text
    options = re.findall(r'<option value="([a-z]+\|[^"]+)"', page)
    bobs = next(o for o in options if o.startswith("bob|2026-11-23T08:00"))
    alices = next(o for o in options if o.startswith("alice|2026-11-30T08:00"))
    refused = bob.post(f"{PAGE}/swap", {"first": bobs, "second": alices.replace("alice", "bob")})
    assert refused.status_code == 409 and "two people" in refused.text
    done = bob.post(f"{PAGE}/swap", {"first": bobs, "second": alices, "reason": "holiday"})
    assert done.status_code == 303
    text = _text(bob.get(done.headers["location"]).text)
    assert "Shifts swapped." in text and text.count("swap: holiday") == 2
    assert "alice: Mon 23 Nov 09:00 to Mon 30 Nov 09:00 CET" in text


def test_the_feed_url_is_copied_and_rotated_by_the_team(web: Web) -> None:
    bob = web.signed_in("bob")
    before = re.search(r'id="feed-url" value="([^"]+)"', bob.get(PAGE).text)
    assert before is not None and before.group(1).startswith("http://testserver/ical/")
    assert 'data-copy="feed-url" hidden' in bob.get(PAGE).text  # the script shows it
    rotated = bob.post(f"{PAGE}/feed/rotate")
    assert rotated.status_code == 303
    after = re.search(r'id="feed-url" value="([^"]+)"', bob.get(rotated.headers["location"]).text)
    assert after is not None and after.group(1) != before.group(1)
    assert web.browser().client.get(before.group(1).removeprefix("http://testserver")).status_code == 404


def test_gaps_are_marked(web: Web) -> None:
    with web.db.unit_of_work() as session:
        team = session.execute(select(Team.id).where(Team.name == "platform")).scalar_one()
        session.add(Schedule(name="daytime", title="Office hours", team_id=team, timezone="Europe/Stockholm",
                             spec={"layers": [{"name": "days", "participants": ["alice", "bob"],
                                               "rotation": {"days": 1}, "handoff": "09:00", "start": "2026-11-02",
                                               "restrictions": [{"days": ["mon", "tue", "wed", "thu", "fri"],
                                                                 "from": "09:00", "to": "17:00"}]}]}))
    text = _text(web.signed_in("alice").get("/oncall/schedules/daytime").text)
    assert "11 gaps with no one on call" in text
    assert "no one: Mon 23 Nov 00:00 to Mon 23 Nov 09:00 CET" in text and "No one (gap)" in text
    assert "No one is on call" in _text(web.signed_in("alice").get("/oncall").text)
