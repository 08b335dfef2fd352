"""What the two busiest pages cost in statements: a round trip is most of a small query's cost on
PostgreSQL and hands the GIL over under load, so neither page may pay one per row (bench/console.py
measures the time)."""

from __future__ import annotations

from tests.statements import statements_sent
from tests.web.conftest import Browser, Web
from tests.web.test_incident_pages import declare


def cost(web: Web, browser: Browser, path: str) -> int:
    browser.get(path)  # the first read of a page may warm what later ones share
    with statements_sent(web.db.engine) as seen:
        assert browser.get(path).status_code == 200
    return len(seen)


def test_the_list_costs_the_same_statements_whatever_its_length(web: Web) -> None:
    declare(web, "First")
    alice = web.signed_in("alice")
    few = cost(web, alice, "/incidents")
    for n in range(8):
        declare(web, f"More {n}", "P3" if n % 2 else "P1", command="1")
    assert cost(web, alice, "/incidents") == few <= 14


def test_an_incident_page_costs_the_same_statements_whatever_its_timeline(web: Web) -> None:
    ref = declare(web, command="1")
    alice = web.signed_in("alice")
    few = cost(web, alice, f"/incidents/{ref}")
    for n in range(12):
        assert alice.post(f"/incidents/{ref}/notes", {"text": f"note {n}"}).status_code == 303
        assert alice.post(f"/incidents/{ref}/updates", {"message": f"update {n}"}).status_code == 303
    # 31 since the page shows its alerts' links, its services' recent changes, why each page waits and
    # the policies to reassign to: a bound to lower, not to raise without a reason.
    assert cost(web, alice, f"/incidents/{ref}") == few <= 31
