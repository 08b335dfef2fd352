"""Admins' status page subscribers page: quarantined subscribers marked with why and released by a
button; a CSV import that skips confirmation only when the box is ticked. Others get the admins-only
page, and a form without the CSRF token changes nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from firebell.statuspage.subscriptions.models import StatusDelivery, StatusSubscriber
from tests.web.conftest import Web

PATH = "/admin/status-subscribers"
CSV = "email,components\nnew.one@example.com,\nnew.two@example.com,\nnot-an-address,\n"


def _quarantined(web: Web) -> str:
    with web.db.unit_of_work() as session:
        row = StatusSubscriber(mode="email", address="bounced@example.com", component_ids=None, source="form",
                               created_at=web.clock(), confirmed_at=web.clock(), quarantined_at=web.clock(),
                               purge_at=web.clock() + timedelta(days=90), consecutive_failures=1,
                               last_error="550 no such mailbox", webhook_secret="")
        session.add(row)
        session.flush()
        return row.id


def _state(web: Web, address: str) -> tuple[bool, bool]:
    with web.db.unit_of_work(write=False) as session:
        row = session.scalars(select(StatusSubscriber).where(StatusSubscriber.address == address)).one()
        return row.confirmed_at is not None, row.quarantined_at is not None


def test_quarantined_shown_and_released(web: Web) -> None:
    sid = _quarantined(web)
    admin = web.signed_in("admin")
    page = admin.get(PATH).text
    assert "bounced@example.com" in page and "Quarantined" in page and "550 no such mailbox" in page
    assert f"/admin/status-subscribers/{sid}/release" in page and "Quarantined (1)" in page
    assert admin.post(f"{PATH}/{sid}/release", csrf=None).status_code == 403
    assert _state(web, "bounced@example.com") == (True, True)
    released = admin.post(f"{PATH}/{sid}/release")
    assert released.status_code == 303
    assert "Released from quarantine" in admin.get(released.headers["location"]).text
    assert _state(web, "bounced@example.com") == (True, False)
    again = admin.post(f"{PATH}/{sid}/release")  # not quarantined any more
    assert again.status_code == 422


def test_only_admins(web: Web) -> None:
    sid = _quarantined(web)
    alice = web.signed_in("alice")
    assert alice.get(PATH).status_code == 403
    alice.get("/me")
    assert alice.post(f"{PATH}/{sid}/release").status_code == 403
    assert _state(web, "bounced@example.com") == (True, True)


def _import(web: Web, skip: bool) -> str:
    admin = web.signed_in("admin")
    admin.get(PATH)
    fields = {"csrf_token": str(admin.csrf)} | ({"skip_confirmation": "1"} if skip else {})
    answer = admin.client.post(f"{PATH}/import", data=fields, files={"csv_file": ("subs.csv", CSV, "text/csv")})
    assert answer.status_code == 200
    return answer.text


def test_csv_import_waits_for_confirmation_unless_the_admin_ticks_skip(web: Web) -> None:
    text = _import(web, skip=False)
    assert "2 added" in text and "1 refused" in text and "Line 4" in text and "confirmation mail" in text
    assert _state(web, "new.one@example.com") == (False, False)
    with web.db.unit_of_work(write=False) as session:
        mails = session.scalars(select(StatusDelivery).where(StatusDelivery.notice_key == "confirmation")).all()
        assert len(mails) == 2
    text = _import(web, skip=False)
    assert "0 added, 2 already known" in text


def test_csv_import_with_skip_confirms_at_once(web: Web) -> None:
    text = _import(web, skip=True)
    assert "2 added" in text and "confirmed at once" in text
    assert _state(web, "new.two@example.com") == (True, False)
    with web.db.unit_of_work(write=False) as session:
        assert session.scalars(select(StatusDelivery)).first() is None  # no confirmation mail
