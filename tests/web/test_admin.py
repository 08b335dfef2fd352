"""/admin: only admins see or change anything there; deactivating a person ends their sessions and
tokens; access levels, invitations and sessions; the audit log newest first with its chain's
verification, and every admin action in it under the admin's name."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from firebell.audit.log import record
from firebell.audit.models import AuditEntry
from firebell.auth.web_sessions import list_sessions
from firebell.org.models import User
from tests.test_audit_chain import _drop_guard
from tests.web.conftest import Web

ADMIN_PAGES = ["/admin", "/admin/sessions", "/admin/audit"]


def _user(web: Web, name: str) -> User:
    with web.db.unit_of_work(write=False) as session:
        return session.execute(select(User).where(User.name == name)).scalar_one()


def _last_audit(web: Web) -> AuditEntry:
    with web.db.unit_of_work(write=False) as session:
        return session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one()


@pytest.mark.parametrize("who", ["alice", "vera"])
def test_only_admins_see_admin_pages_and_a_forged_post_changes_nothing(web: Web, who: str) -> None:
    someone = web.signed_in(who)
    for path in ADMIN_PAGES:
        answer = someone.get(path)
        assert answer.status_code == 403 and "Admins only" in answer.text, path
    assert 'href="/admin"' not in someone.get("/me").text  # no Admin link in their navigation
    forged = [someone.post("/admin/people/bob/deactivate"), someone.post("/admin/people/bob/access",
                                                                          {"level": "admin"}),
              someone.post("/admin/sessions/revoke-user", {"user_name": "bob"}),
              someone.post("/admin/people/bob/invite")]
    assert [answer.status_code for answer in forged] == [403] * 4
    bob = _user(web, "bob")
    assert bob.archived_at is None and bob.access == "responder"
    assert web.browser().get("/admin").headers["location"] == "/sign-in?next=/admin"


def test_deactivating_a_person_ends_their_sessions_and_tokens_at_once(web: Web) -> None:
    admin, bob = web.signed_in("admin"), web.signed_in("bob")
    api = web.browser().client
    bobs_token = {"Authorization": f"Bearer {web.tokens['bob']}"}
    assert bob.get("/me").status_code == 200 and api.get("/api/v1/me", headers=bobs_token).status_code == 200

    no_csrf = admin.post("/admin/people/bob/deactivate", csrf=None)
    assert no_csrf.status_code == 403 and _user(web, "bob").archived_at is None
    done = admin.post("/admin/people/bob/deactivate")
    assert done.status_code == 303 and done.headers["location"] == "/admin?done=deactivated"
    assert bob.get("/me").status_code == 303  # signed out
    assert api.get("/api/v1/me", headers=bobs_token).status_code == 401
    with web.db.unit_of_work(write=False) as session:
        assert list_sessions(session, now=web.clock(), user_name="bob") == []
    entry = _last_audit(web)
    assert (entry.actor, entry.action, entry.subject, entry.details) == ("admin", "user.deactivate", "bob",
                                                                         {"sessions_ended": 1})
    page = admin.get(done.headers["location"]).text
    assert "Deactivated:" in page and "Bob Berg" in page.split('id="gone-title"')[1]

    myself = admin.post("/admin/people/admin/deactivate")
    assert myself.status_code == 409 and "yourself" in myself.text and _user(web, "admin").archived_at is None


def test_an_access_level_change_applies_to_sessions_at_once_and_the_last_admin_stays(web: Web) -> None:
    admin, alice = web.signed_in("admin"), web.signed_in("alice")
    assert alice.get("/admin").status_code == 403
    assert admin.post("/admin/people/alice/access", {"level": "admin"}).status_code == 303
    assert alice.get("/admin").status_code == 200
    assert (_last_audit(web).action, _last_audit(web).details) == ("user.access", {"before": "responder",
                                                                                   "after": "admin"})
    assert admin.post("/admin/people/alice/access", {"level": "root"}).status_code == 422
    assert alice.post("/admin/people/admin/access", {"level": "viewer"}).status_code == 303
    last = alice.post("/admin/people/alice/access", {"level": "viewer"})
    assert last.status_code == 409 and "last admin" in last.text and _user(web, "alice").access == "admin"


def test_an_invitation_shows_its_one_time_link(web: Web) -> None:
    admin = web.signed_in("admin")
    answer = admin.post("/admin/people/bob/invite")
    assert answer.status_code == 200 and "No email channel is configured here" in answer.text
    link = re.search(r'value="[^"]*(/invite/[^"]+)"', answer.text)
    assert link, answer.text
    assert web.browser().get(link.group(1)).status_code == 200
    assert (_last_audit(web).actor, _last_audit(web).action) == ("admin", "password_link.invite")
    assert admin.post("/admin/people/nobody/invite").status_code == 404


def test_an_admin_ends_one_session_or_all_of_a_persons(web: Web) -> None:
    admin, laptop, phone = web.signed_in("admin"), web.signed_in("bob"), web.signed_in("bob")
    page = admin.get("/admin/sessions").text
    assert page.count('aria-label="End this session of bob"') == 2
    with web.db.unit_of_work(write=False) as session:
        first = list_sessions(session, now=web.clock(), user_name="bob")[0].id
    assert admin.post(f"/admin/sessions/{first}/revoke").status_code == 303
    assert sorted(b.get("/me").status_code for b in (laptop, phone)) == [200, 303]
    assert admin.post("/admin/sessions/revoke-user", {"user_name": "bob"}).status_code == 303
    assert [b.get("/me").status_code for b in (laptop, phone)] == [303, 303]
    assert _last_audit(web).actor == "admin" and _last_audit(web).action == "session.revoke"
    assert admin.post("/admin/sessions/revoke-user", {"user_name": "nobody"}).status_code == 404


def test_the_audit_log_pages_newest_first_and_says_whether_its_chain_holds(web: Web) -> None:
    with web.db.unit_of_work() as session:
        for n in range(60):
            record(session, actor="test", action="test.entry", subject=f"entry {n}", now=web.clock())
    admin = web.signed_in("admin")
    first = admin.get("/admin/audit").text
    assert "Verified." in first and "The chain is intact" in first
    assert first.index("session.start") < first.index("entry 59") or "session.start" not in first
    assert first.index("entry 59") < first.index("entry 58")
    older = re.search(r'href="(/admin/audit\?before=\d+)"', first)
    assert older
    second = admin.get(older.group(1)).text
    assert "entry 59" not in second and "config.apply" in second and 'href="/admin/audit">Newest' in second

    with web.db.unit_of_work() as session:  # someone edits the database behind the chain's back
        _drop_guard(web.db, session)
        session.execute(update(AuditEntry).where(AuditEntry.subject == "entry 30").values(actor="someone else"))
    broken = admin.get("/admin/audit").text
    assert "Not verified." in broken and "The chain is broken at entry" in broken
