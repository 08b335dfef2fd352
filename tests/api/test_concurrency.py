"""Several writers at once: incident numbers stay unique and gap-free on both backends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.api.conftest import Api


def test_parallel_declarations_get_distinct_consecutive_numbers(api: Api) -> None:
    def declare(i: int) -> int:
        response = api.post("/api/v1/incidents", {"title": f"parallel {i}", "severity": "P2", "services": ["api"]},
                            who=("alice", "bob", "admin")[i % 3])
        assert response.status_code == 201, response.text
        return int(response.json()["number"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(declare, range(40)))
    assert sorted(numbers) == list(range(1, 41))
    events = [api.get(f"/api/v1/incidents/INC-{n}/timeline").json()["events"] for n in (1, 40)]
    assert all(e[0]["type"] == "declared" for e in events)


def test_parallel_acknowledgements_of_one_incident_succeed_once(api: Api) -> None:
    ref = api.declare()["ref"]

    def ack(who: str) -> int:
        return int(api.post(f"/api/v1/incidents/{ref}/acknowledge", who=who).status_code)

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(ack, ["alice", "bob", "admin"] * 4))
    assert sorted(codes) == [200] + [409] * 11
    types = [e["type"] for e in api.get(f"/api/v1/incidents/{ref}/timeline").json()["events"]]
    assert types.count("acknowledged") == 1
