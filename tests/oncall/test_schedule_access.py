"""Who may change a schedule and hold its secret calendar URL: the schedule's own team (people who
can act) and admins. Everyone can still see who is on call. The fixture's `primary` belongs to
`platform` (alice, bob; vera is its viewer); sam is a responder of `security`; otto a viewer of no team."""

from __future__ import annotations

from typing import Any

from firebell.auth.service import create_token
from tests.api.conftest import Api

COVER = {"user": "bob", "start": "2026-11-23T02:30:00Z", "end": "2026-11-23T06:00:00Z", "reason": "cover"}


def _on_call(api: Api) -> Any:
    (primary,) = api.get("/api/v1/oncall", schedule="primary").json()
    return primary["on_call"]


def _problem(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return str(response.json()["detail"])


def test_a_responder_of_another_team_cannot_put_anyone_on_call(api: Api) -> None:
    detail = _problem(api.post("/api/v1/schedules/primary/overrides", COVER, who="sam"), 403)
    assert "platform" in detail and "primary" in detail
    assert _on_call(api) == "alice", "the other team's override took effect"
    with api.db.unit_of_work() as session:  # the team's own member, through a read-only token
        read_only = create_token(session, user_name="alice", role="viewer", name="ro", now=api.clock.now).token
    response = api.client.post("/api/v1/schedules/primary/overrides", json=COVER,
                               headers={"Authorization": f"Bearer {read_only}"})
    assert "viewers cannot change schedules" in _problem(response, 403)
    assert api.post("/api/v1/schedules/primary/overrides", COVER, who="alice").status_code == 201
    assert _on_call(api) == "bob"


def test_an_override_cannot_put_a_viewer_on_call(api: Api) -> None:
    for viewer in ("otto", "vera"):  # of no team, and of the schedule's own team
        response = api.post("/api/v1/schedules/primary/overrides", COVER | {"user": viewer}, who="admin")
        detail = _problem(response, 422)
        assert viewer in detail and "viewer" in detail
    assert _on_call(api) == "alice", "a viewer was put on call"


def test_only_the_team_and_admins_rotate_a_schedules_feed(api: Api) -> None:
    url = api.get("/api/v1/schedules/primary/feed").json()["url"]
    assert "platform" in _problem(api.post("/api/v1/schedules/primary/feed/rotate", who="sam"), 403)
    assert api.client.get(url).status_code == 200, "another team revoked the feed"
    rotated = api.post("/api/v1/schedules/primary/feed/rotate", who="bob")
    assert rotated.status_code == 200 and rotated.json()["url"] != url


def test_the_secret_feed_url_is_for_the_team_and_admins_only(api: Api) -> None:
    for outsider in ("vera", "otto"):
        assert "viewers" in _problem(api.get("/api/v1/schedules/primary/feed", who=outsider), 403)
    assert "platform" in _problem(api.get("/api/v1/schedules/primary/feed", who="sam"), 403)
    urls = {api.get("/api/v1/schedules/primary/feed", who=who).json()["url"] for who in ("alice", "admin")}
    assert len(urls) == 1
    assert api.get("/api/v1/schedules/primary", who="vera").status_code == 200  # seeing shifts stays open
