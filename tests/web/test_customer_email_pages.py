"""The console's customer email page: drafted, previewed per customer and approved by a second person
through forms carrying CSRF tokens; a viewer sees no form, an outsider of a private incident a 404."""

from __future__ import annotations

from pathlib import Path

from firebell.config import apply, load
from tests.api.conftest import ORG
from tests.messages.test_customer_email import CUSTOMERS, WORDS
from tests.web.conftest import Web


def arranged(web: Web, tmp_path: Path, private: bool = False) -> str:
    tree = tmp_path / "org.yaml"
    tree.write_text(ORG.read_text() + CUSTOMERS)
    config = load(tree).config
    assert config is not None
    with web.db.unit_of_work() as session:
        apply(session, config, now=web.clock.now)
    admin = web.signed_in("admin")
    admin.get("/incidents")
    made = admin.post("/incidents", {"title": "API 5xx above 5%", "severity": "P1", "services": "api",
                                     **({"private": "1"} if private else {})})
    ref = made.headers["location"].rsplit("/", 1)[1]
    assert admin.post(f"/incidents/{ref}/role", {"role": "commander", "user": "alice"}).status_code == 303
    return ref


def test_drafted_previewed_and_approved_by_a_second_person_in_the_console(web: Web, tmp_path: Path) -> None:
    ref = arranged(web, tmp_path)
    page = f"/incidents/{ref}/customer-email"
    assert page in web.signed_in("bob").get(f"/incidents/{ref}").text  # linked from the incident
    alice = web.signed_in("alice")
    blank = alice.get(page).text
    assert "Start the draft" in blank and "API 5xx above 5%" in blank  # prefilled from the incident
    assert alice.post(page, WORDS, csrf=None).status_code == 403  # no CSRF token: refused
    saved = alice.post(page, WORDS)
    assert saved.status_code == 303
    shown = alice.get(saved.headers["location"]).text
    assert "Dear Acme Corp," in shown and "Dear Globex," in shown and "Approve and send" in shown
    assert "you wrote this draft" in shown  # she may not approve her own words
    refused = alice.post(f"{page}/approve")
    assert refused.status_code == 403 and "second person" in refused.text
    bob = web.signed_in("bob")
    assert bob.post(f"{page}/approve").status_code == 303
    assert "Sent just now to 2 customers, one mail each, written by Alice Andersson" in bob.get(page).text


def test_a_viewer_sees_no_form_and_an_outsider_no_private_incident(web: Web, tmp_path: Path) -> None:
    ref = arranged(web, tmp_path, private=True)
    page = f"/incidents/{ref}/customer-email"
    assert web.signed_in("alice").post(page, WORDS).status_code == 303
    vera = web.signed_in("vera").get(page)  # platform's viewer: may see the private incident, not act
    assert vera.status_code == 200 and "<form" not in vera.text.split("<main", 1)[1].split("</main>")[0]
    assert "Dear Acme Corp," in vera.text
    assert web.signed_in("otto").get(page).status_code == 404
    bob = web.signed_in("bob")
    assert "Send it although the incident is private" in bob.get(page).text
    refused = bob.post(f"{page}/approve")
    assert refused.status_code == 409 and "private" in refused.text
    assert bob.post(f"{page}/approve", {"override_private": "1"}).status_code == 303
