"""What the two busiest pages cost in statements: a round trip is most of a small query's cost on
PostgreSQL and hands the GIL over under load, so neither page may pay one per row (bench/console.py
measures the time)."""

from __future__ import annotations

from firebell.config import apply, load
from tests.api.conftest import ORG
from tests.statements import statements_sent
from tests.web.conftest import BOTH_STORES, Browser, Web
from tests.web.test_incident_pages import declare

pytestmark = BOTH_STORES  # statements per page: a round trip costs most on PostgreSQL


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
    assert cost(web, alice, "/incidents") == few <= 6


def test_an_incident_page_costs_the_same_statements_whatever_its_timeline(web: Web) -> None:
    ref = declare(web, command="1")
    alice = web.signed_in("alice")
    few = cost(web, alice, f"/incidents/{ref}")
    for n in range(12):
        assert alice.post(f"/incidents/{ref}/notes", {"text": f"note {n}"}).status_code == 303
        assert alice.post(f"/incidents/{ref}/updates", {"message": f"update {n}"}).status_code == 303
    # The page shows its alerts' links, its services' recent changes, why each page waits, who is on
    # call and the policies to reassign to; configuration is read once per version (31 before that):
    # a bound to lower, not to raise without a reason. 14th: is there a status page (for its panel)?
    assert cost(web, alice, f"/incidents/{ref}") == few <= 14


def test_the_pages_see_a_config_apply_at_once(web: Web) -> None:
    """The forms' configuration is read once per configuration version (web/reference_data.py): an
    apply moves the version, so the next page shows what it changed."""
    alice = web.signed_in("alice")
    assert "billing-gateway" not in alice.get("/incidents").text
    result = load(ORG)
    assert result.config is not None
    added = result.config.services[0].model_copy(update={"name": "billing-gateway", "integrations": []})
    config = result.config.model_copy(update={"services": [*result.config.services, added]})
    with web.db.unit_of_work() as session:
        assert not apply(session, config, now=web.clock.now).empty
    assert "<option>billing-gateway</option>" in alice.get("/incidents").text
