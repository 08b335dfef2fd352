"""Email subscribers end to end, on both stores, against a real SMTP server: double opt-in with an
expiring link, one-click unsubscribe (the link's page and RFC 8058's POST), quarantine after a hard
bounce or repeated failures, and nothing sent to anyone not confirmed and receiving."""

from __future__ import annotations

import pytest

from tests.statuspage.subscriptions.conftest import (
    CONFIRM_LINK,
    UNSUBSCRIBE_LINK,
    Subs,
    mail_text,
    notice,
)


def test_double_opt_in_sends_nothing_until_the_link_is_confirmed_by_a_post(subs: Subs) -> None:
    answer = subs.subscribe("Reader@Example.com")
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert subs.queue(notice("before")) == 0  # pending: not a receiver yet
    assert subs.send_due() == 1
    [mail] = subs.mails_to("reader@example.com")
    assert mail["Subject"] == "Confirm your subscription to the status page"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = CONFIRM_LINK.search(mail_text(mail))
    assert link is not None
    with subs.db.unit_of_work(write=False) as session:  # the store keeps a hash, never the link's token
        from firebell.statuspage.subscriptions.models import StatusDelivery, StatusSubscriber

        stored = [str(v) for row in session.query(StatusSubscriber).all() for v in vars(row).values()]
        stored += [str(row.payload) for row in session.query(StatusDelivery).all()]
    token = link.group(1).rsplit("/", 1)[1]
    assert not any(token in value for value in stored)

    browser = subs.browser()
    page = browser.client.get(link.group(1))  # what a mail scanner does: it confirms nothing
    assert page.status_code == 200 and "Confirm subscription" in page.text
    assert subs.subscriber("reader@example.com").confirmed_at is None
    done = browser.client.post(link.group(1))
    assert done.status_code == 200 and "will receive status updates" in done.text
    assert subs.subscriber("reader@example.com").confirmed_at == subs.clock()
    assert browser.client.post(link.group(1)).status_code == 404  # used once

    assert subs.queue(notice("after")) == 1
    assert subs.send_due() == 1
    update = subs.mails_to("reader@example.com")[-1]
    assert update["Subject"] == "[Acme] New incident: Elevated API errors"
    assert "We are investigating <errors>." in mail_text(update)
    assert "&lt;errors&gt;" in update.get_body(("html",)).get_content()  # type: ignore[union-attr]
    unsubscribe = UNSUBSCRIBE_LINK.search(update["List-Unsubscribe"])
    assert unsubscribe is not None and unsubscribe.group(1) in mail_text(update)


def test_a_confirmation_link_expires_after_48_hours_and_subscribing_again_sends_a_new_one(subs: Subs) -> None:
    subs.subscribe("late@example.com")
    subs.send_due()
    first = CONFIRM_LINK.search(mail_text(subs.mails_to("late@example.com")[0]))
    assert first is not None
    subs.clock.advance(hours=48)
    assert subs.browser().client.get(first.group(1)).status_code == 410
    assert subs.browser().client.post(first.group(1)).status_code == 410
    assert subs.subscriber("late@example.com").confirmed_at is None

    subs.subscribe("late@example.com")
    subs.send_due()
    second = CONFIRM_LINK.search(mail_text(subs.mails_to("late@example.com")[1]))
    assert second is not None and second.group(1) != first.group(1)
    assert subs.browser().client.post(first.group(1)).status_code == 404  # the old link stopped working
    assert subs.browser().client.post(second.group(1)).status_code == 200


def test_the_form_never_says_who_subscribed_nor_floods_an_inbox(subs: Subs) -> None:
    subs.confirmed("known@example.com")
    for address in ("known@example.com", "fresh@example.com", "fresh@example.com", "fresh@example.com"):
        answer = subs.subscribe(address)
        assert answer.status_code == 200 and "Check your inbox" in answer.text
    subs.send_due()
    assert len(subs.mails_to("known@example.com")) == 1  # its confirmation only
    assert len(subs.mails_to("fresh@example.com")) == 1  # one link per ten minutes
    assert subs.subscribe("not an address").status_code == 422
    browser = subs.browser()
    assert browser.post("/subscribe", {"email": "x@example.com"}, csrf=None).status_code == 403


def test_sub_addresses_of_one_mailbox_share_its_hourly_cap(subs: Subs) -> None:
    """victim+1@, victim+2@, ... reach one inbox: three confirmation mails an hour, whatever the tags."""
    for n in range(8):
        answer = subs.subscribe(f"Victim+{n}@Example.com")
        assert answer.status_code == 200 and "Check your inbox" in answer.text  # the same answer throughout
    subs.send_due()
    sent = [m for m in subs.sink.received if "victim" in str(m["To"]).lower()]
    assert len(sent) == 3
    assert len(subs.mails_to("other@example.com")) == 0
    subs.subscribe("other@example.com")  # another mailbox is not held back
    subs.clock.advance(hours=1, minutes=1)
    subs.subscribe("victim+9@example.com")  # an hour later: one more
    subs.send_due()
    assert len(subs.mails_to("other@example.com")) == 1
    assert len([m for m in subs.sink.received if "victim" in str(m["To"]).lower()]) == 4


@pytest.mark.parametrize("odd", ["b@b..example", "caf\u00e9@example.com", "x\ufffd@example.com", "a@b@example.com"])
def test_odd_addresses_are_refused_with_the_reason(subs: Subs, odd: str) -> None:
    answer = subs.subscribe(odd.encode().decode("unicode_escape"))
    assert answer.status_code == 422 and "address" in answer.text


def test_unsubscribe_by_the_links_page_or_the_one_click_post(subs: Subs) -> None:
    subs.confirmed("one@example.com")
    subs.confirmed("two@example.com")
    subs.queue(notice("n1"))
    subs.send_due()
    links = {}
    for address in ("one@example.com", "two@example.com"):
        found = UNSUBSCRIBE_LINK.search(subs.mails_to(address)[-1]["List-Unsubscribe"])
        assert found is not None
        links[address] = found.group(1)

    page = subs.browser().client.get(links["one@example.com"])  # a scanner's GET unsubscribes nobody
    assert page.status_code == 200 and subs.subscriber("one@example.com").unsubscribed_at is None
    assert subs.browser().client.post(links["one@example.com"]).status_code == 200
    # A mail client's RFC 8058 request: no cookie, no CSRF token, just the body.
    one_click = subs.client.post(links["two@example.com"], content=b"List-Unsubscribe=One-Click",
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert one_click.status_code == 200
    assert subs.subscriber("two@example.com").unsubscribed_at is not None

    forged = links["one@example.com"][:-3] + "AAA"
    assert subs.client.post(forged).status_code == 404
    assert subs.queue(notice("n2")) == 0
    subs.send_due()
    assert all(len(subs.mails_to(a)) == 2 for a in links)  # confirmation and n1 only


def test_a_hard_bounce_quarantines_at_once_and_an_admin_releases(subs: Subs) -> None:
    subs.confirmed("gone@example.com")
    subs.confirmed("fine@example.com")
    subs.sink.rcpt_reply = "550 5.1.1 mailbox unavailable"
    subs.queue(notice("n1"))
    subs.send_due()
    gone = subs.subscriber("gone@example.com")
    assert gone.quarantined_at == subs.clock() and gone.last_error.startswith("SMTP 550")
    subs.sink.rcpt_reply = None
    assert subs.queue(notice("n2")) == 0  # nobody receives: both bounced the same way
    listed = subs.api("GET", "/api/v1/status-page/subscribers", params={"state": "quarantined"}).json()
    assert {s["address"] for s in listed} == {"gone@example.com", "fine@example.com"}
    assert listed[0]["purge_at"] is not None and listed[0]["last_error"].startswith("SMTP 550")

    released = subs.api("POST", f"/api/v1/status-page/subscribers/{gone.id}/release")
    assert released.status_code == 200 and released.json()["state"] == "confirmed"
    assert subs.api("POST", f"/api/v1/status-page/subscribers/{gone.id}/release").status_code == 422
    assert subs.queue(notice("n3")) == 1
    subs.send_due()
    assert subs.mails_to("gone@example.com")[-1]["Subject"] == "[Acme] New incident: Elevated API errors"


def test_temporary_failures_retry_with_backoff_and_quarantine_after_five_in_a_row(subs: Subs) -> None:
    subs.confirmed("flaky@example.com")
    subs.sink.rcpt_reply = "451 4.3.0 try again later"
    subs.queue(notice("n1"))
    subs.send_due()
    [delivery] = [d for d in subs.deliveries("flaky@example.com") if d.notice_key == "n1"]
    assert delivery.status == "pending" and delivery.attempts == 1
    assert (delivery.next_attempt_at - subs.clock()).total_seconds() >= 5  # not again at once
    for _ in range(4):
        subs.clock.advance(hours=11)
        subs.send_due()
    flaky = subs.subscriber("flaky@example.com")
    assert flaky.quarantined_at is not None and flaky.consecutive_failures == 5
    assert [d.status for d in subs.deliveries("flaky@example.com") if d.notice_key == "n1"] == ["failed"]


def test_a_success_ends_a_run_of_failures(subs: Subs) -> None:
    subs.confirmed("wobbly@example.com")
    subs.sink.rcpt_reply = "451 4.3.0 try again later"
    subs.queue(notice("n1"))
    subs.send_due()
    subs.sink.rcpt_reply = None
    subs.clock.advance(minutes=1)
    subs.send_due()
    wobbly = subs.subscriber("wobbly@example.com")
    assert wobbly.consecutive_failures == 0 and wobbly.quarantined_at is None
    assert [d.status for d in subs.deliveries("wobbly@example.com")] == ["sent", "sent"]


def test_the_same_notice_key_is_queued_once_and_components_choose_who_hears(subs: Subs) -> None:
    subs.confirmed("all@example.com")
    assert subs.api("POST", "/api/v1/status-page/subscribers",
                    json={"email": "db@example.com", "component_ids": ["c-db"],
                          "skip_confirmation_notification": True}).status_code == 201
    assert subs.queue(notice("api-1", component_ids=["c-api"])) == 1
    assert subs.queue(notice("api-1", component_ids=["c-api"])) == 0
    assert subs.queue(notice("db-1", component_ids=["c-db"])) == 2
    assert subs.queue(notice("page-1", component_ids=[])) == 2  # the whole page: everyone
    assert subs.queue(notice("comp-1", kind="component", event="status_changed")) == 0  # not by mail
    subs.send_due()
    assert len(subs.mails_to("db@example.com")) == 2
    assert len(subs.mails_to("all@example.com")) == 4  # confirmation, api-1, db-1, page-1
