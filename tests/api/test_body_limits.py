"""A body over the limit is refused before the route runs, with a problem saying the limit, whether
its size was declared up front (Content-Length) or found while it streamed in."""

from __future__ import annotations

from tests.api.conftest import Api

LIMIT = 1_000_000  # app.MAX_API_BODY_BYTES


def test_a_declared_oversized_body_changes_nothing_and_says_the_limit(api: Api) -> None:
    """FastAPI's limit swapped the problem for a plain-text "Content Too Large" that did not say the
    limit; the route, which reads no body, must not run either."""
    api.declare()
    response = api.client.post("/api/v1/incidents/INC-1/acknowledge", content=b" " * (LIMIT + 1),
                               headers={"Authorization": f"Bearer {api.tokens['admin']}",
                                        "Content-Type": "application/json"})
    assert response.status_code == 413
    assert api.get("/api/v1/incidents/INC-1").json()["status"] == "triggered"
    assert response.headers["content-type"] == "application/problem+json"
    assert f"{LIMIT}" in response.json()["detail"]


def test_a_declared_oversized_body_to_a_route_that_reads_it_is_a_problem_too(api: Api) -> None:
    response = api.client.post("/api/v1/incidents", content=b"x" * (LIMIT + 1),
                               headers={"Authorization": f"Bearer {api.tokens['admin']}",
                                        "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert f"{LIMIT}" in response.json()["detail"]
    assert api.get("/api/v1/incidents").json()["items"] == []


def test_a_declared_oversized_pagerduty_event_is_answered_in_pagerduty_s_shape(api: Api) -> None:
    """PagerDuty senders read `status` and `message`; a body past even the app's limit keeps that shape."""
    response = api.client.post("/v2/enqueue", content=b" " * (LIMIT + 1), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["status"] == "invalid event" and response.json()["message"] == "Event object is too large"
