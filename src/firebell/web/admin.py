"""/admin: people (invite, deactivate, access level), browser sessions (list, revoke) and the audit log
with its chain's verification, for admins only.

Anyone else gets a 403 page for every /admin path, GET or POST (the API answers 403 to a non-admin
as well), and a forged POST changes nothing. The routes call the services the CLI calls
(auth/password_links.issue_link as `firebell user invite`, auth/web_sessions as `firebell session`,
audit/log.verify as `firebell audit verify`) and auth/accounts.py; each service writes the audit
entry, with the admin's name as the actor, as the API's actions do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.api.problems import status_for
from firebell.audit.log import newest_entries, verify
from firebell.auth import accounts
from firebell.auth.models import Password, WebSession
from firebell.auth.password_links import issue_link
from firebell.auth.web_sessions import list_sessions, revoke_sessions
from firebell.core.access import AccessRole
from firebell.errors import DecisionError
from firebell.notify.account_mail import send_password_link
from firebell.notify.settings import Channels
from firebell.org.models import User
from firebell.store.uow import Database
from firebell.web.deps import CsrfChecked, WebActor
from firebell.web.me import when
from firebell.web.render import page
from firebell.web.sessions import signed_in

AUDIT_PAGE = 50
NOTICES = {
    "deactivated": "Deactivated: they can no longer sign in, use their tokens or be paged, and their sessions ended.",
    "access": "Access level changed; it applies to their sessions and tokens at once.",
    "revoked": "Session ended.",
    "revoked-all": "Every session of that person ended.",
}


class AdminsOnly(Exception):
    """A signed-in person who is not an admin asked for an admin page or action: a 403 page."""


def admin_actor(actor: WebActor) -> Actor:
    if not actor.is_admin:
        raise AdminsOnly
    return actor


def admins_only(request: Request, exc: Exception) -> HTMLResponse:
    return page(request, "message.html", {"title": "Admins only", "message": "Only admins may see or change this, "
                "so nothing was changed. Ask an admin if you need something here."}, status_code=403)


AdminActor = Annotated[Actor, Depends(admin_actor)]
router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=200)]


def _admin_page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    notice = NOTICES.get(request.query_params.get("done", ""))
    return page(request, template, {"notice": notice, "error": None} | context, status_code=status_code)


def people_page(request: Request, *, error: str | None = None, status_code: int = 200,
                invited: dict[str, str] | None = None) -> HTMLResponse:
    db: Database = request.app.state.db
    now = request.app.state.clock()
    with db.unit_of_work(write=False) as session:
        users = session.execute(select(User).order_by(User.name)).scalars().all()
        with_password = set(session.execute(select(Password.user_id)).scalars())
        live: dict[str, int] = dict(session.execute(
            select(WebSession.user_id, func.count()).where(
                WebSession.revoked_at.is_(None), WebSession.expires_at > now, WebSession.idle_expires_at > now)
            .group_by(WebSession.user_id)).all())
        people = [{"name": u.name, "full_name": u.full_name, "email": u.email, "access": u.access,
                   "teams": ", ".join(sorted(m.team.name for m in u.memberships)),
                   "password": u.id in with_password, "sessions": live.get(u.id, 0),
                   "settings": u.notification_settings}
                  for u in users if u.archived_at is None]
        gone = [{"name": u.name, "full_name": u.full_name, "since": when(u.archived_at)}
                for u in users if u.archived_at is not None]
    return _admin_page(request, "admin_people.html", {
        "people": people, "deactivated": gone, "levels": [level.value for level in AccessRole],
        "error": error, "invited": invited}, status_code=status_code)


def _act(request: Request, done: str, back: str, act: Callable[[Session, datetime], object],
         refused: Callable[[str, int], HTMLResponse]) -> Response:
    db: Database = request.app.state.db
    try:
        with db.unit_of_work() as session:
            act(session, request.app.state.clock())
    except DecisionError as exc:
        return refused(exc.message, status_for(exc))
    return RedirectResponse(f"{back}?done={done}", status_code=303)


@router.get("/admin", response_class=HTMLResponse)
def people(request: Request, actor: AdminActor) -> HTMLResponse:
    return people_page(request)


@router.post("/admin/people/{user_name}/invite", dependencies=[CsrfChecked])
def invite(request: Request, actor: AdminActor, user_name: str) -> Response:
    """Like `firebell user invite`: a one-time link, mailed when this server has email, and shown here."""
    db: Database = request.app.state.db
    try:
        with db.unit_of_work() as session:
            link = issue_link(session, user_name=user_name, purpose="invite", now=request.app.state.clock(),
                              actor=actor.user_name)
    except DecisionError as exc:
        return people_page(request, error=exc.message, status_code=status_for(exc))
    channels: Channels = request.app.state.channels
    delivery = send_password_link(channels, link)
    mailed = ("No email channel is configured here: send the link yourself." if delivery is None
              else f"Mailed to {link.email}." if delivery.ok
              else f"Could not mail {link.email} ({delivery.detail}): send the link yourself.")
    return people_page(request, invited={"user": link.user_name, "url": link.url(channels.public_url),
                                         "mailed": mailed, "until": when(link.expires_at)})


@router.post("/admin/people/{user_name}/deactivate", dependencies=[CsrfChecked])
def deactivate(request: Request, actor: AdminActor, user_name: str) -> Response:
    return _act(request, "deactivated", "/admin", lambda session, now: accounts.deactivate(
        session, user_name=user_name, now=now, actor=actor.user_name),
        lambda message, status: people_page(request, error=message, status_code=status))


@router.post("/admin/people/{user_name}/access", dependencies=[CsrfChecked])
def access(request: Request, actor: AdminActor, user_name: str, level: Text = "") -> Response:
    return _act(request, "access", "/admin", lambda session, now: accounts.set_access(
        session, user_name=user_name, access=level, now=now, actor=actor.user_name),
        lambda message, status: people_page(request, error=message, status_code=status))


def sessions_page(request: Request, *, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    db: Database = request.app.state.db
    with db.unit_of_work(write=False) as session:
        found = list_sessions(session, now=request.app.state.clock())
    mine = signed_in(request)
    rows = [{"id": s.id, "current": mine is not None and s.id == mine.id, "user": s.user_name, "via": s.via,
             "signed_in": when(s.created_at),
             "last_seen": when(s.last_seen_at), "ends": when(s.expires_at), "address": s.client_address,
             "browser": s.user_agent if len(s.user_agent) <= 60 else s.user_agent[:59] + "…"} for s in found]
    return _admin_page(request, "admin_sessions.html", {"sessions": rows, "error": error}, status_code)


@router.get("/admin/sessions", response_class=HTMLResponse)
def sessions(request: Request, actor: AdminActor) -> HTMLResponse:
    return sessions_page(request)


@router.post("/admin/sessions/{session_id}/revoke", dependencies=[CsrfChecked])
def revoke_one(request: Request, actor: AdminActor, session_id: str) -> Response:
    return _act(request, "revoked", "/admin/sessions", lambda session, now: revoke_sessions(
        session, now=now, actor=actor.user_name, session_id=session_id),
        lambda message, status: sessions_page(request, error=message, status_code=status))


@router.post("/admin/sessions/revoke-user", dependencies=[CsrfChecked])
def revoke_person(request: Request, actor: AdminActor, user_name: Text = "") -> Response:
    return _act(request, "revoked-all", "/admin/sessions", lambda session, now: revoke_sessions(
        session, now=now, actor=actor.user_name, user_name=user_name),
        lambda message, status: sessions_page(request, error=message, status_code=status))


@router.get("/admin/audit", response_class=HTMLResponse)
def audit(request: Request, actor: AdminActor, before: int | None = None) -> HTMLResponse:
    db: Database = request.app.state.db
    with db.unit_of_work(write=False) as session:
        try:
            broken = verify(session)
            chain = {"intact": broken is None, "text": "The chain is intact: no entry was changed or removed."
                     if broken is None else f"The chain is broken at entry {broken.entry_id}: {broken.reason}. "
                     "Entries from there on cannot be trusted; see `firebell audit verify`."}
        except DecisionError as exc:  # no usable server secret
            chain = {"intact": False, "text": f"The chain could not be checked: {exc.message}"}
        entries = newest_entries(session, before_id=before, limit=AUDIT_PAGE + 1)
        rows = [{"id": e.id, "at": when(e.occurred_at), "actor": e.actor, "action": e.action, "subject": e.subject,
                 "details": ", ".join(f"{k}: {v}" for k, v in e.details.items())} for e in entries[:AUDIT_PAGE]]
    older = rows[-1]["id"] if len(entries) > AUDIT_PAGE else None
    return _admin_page(request, "admin_audit.html", {"chain": chain, "entries": rows, "older": older,
                                                     "first_page": before is None})
