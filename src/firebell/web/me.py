"""/me: a person's own page. Contact methods (add, verify with a code, remove), notification rules per
urgency, quiet hours, API tokens and the calendar feed.

The routes hold no rules: they call the services the API calls (notify/personal.py, notify/
verification.py, auth/service.py, oncall/service.py). Whether the person may edit their methods,
rules and quiet hours, or the config tree manages them, is notify/personal.py's to say. Every form
posts, then redirects back here with a short notice (so a reload does not post again), except token
creation, whose answer is the only place the token is ever shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.api.problems import status_for
from firebell.auth.service import create_token, list_tokens, revoke_own_token
from firebell.core.access import AccessRole, role_at_most
from firebell.errors import DecisionError, Invalid, NotFound
from firebell.notify import personal, verification
from firebell.notify.me_settings_api import quiet_hours_of, rules_of
from firebell.notify.settings import Channels
from firebell.oncall import service as oncall
from firebell.org.models import User
from firebell.store.uow import Database
from firebell.web.deps import CsrfChecked, WebActor
from firebell.web.render import page

router = APIRouter(include_in_schema=False)

Field = Annotated[str, Form(max_length=500)]
TOKEN_LIFETIMES = {"30": "30 days", "90": "90 days", "365": "a year", "never": "never expires"}
NOTICES = {
    "method-added": "Contact method added. Send it a code and type the code in to verify it: until then it is never "
                    "paged.",
    "method-removed": "Contact method removed.",
    "verified": "Verified: Firebell may page you there.",
    "rules-saved": "Notification rules saved.",
    "quiet-saved": "Quiet hours saved.",
    "token-revoked": "Token revoked: it no longer works.",
    "feed-rotated": "New calendar URL made. The old one no longer works: calendars subscribed to it need this one.",
}


def when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at is not None else ""


def _user(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id)
    if user is None or user.archived_at is not None:
        raise NotFound("your account no longer exists")
    return user


def me_page(request: Request, actor: Actor, *, error: str | None = None, status_code: int = 200,
            **extra: Any) -> HTMLResponse:
    db: Database = request.app.state.db
    now = request.app.state.clock()
    channels: Channels = request.app.state.channels
    notice = NOTICES.get(request.query_params.get("done", ""))
    with db.unit_of_work(write=False) as session:
        user = _user(session, actor)
        context = {
            "person": {"name": user.name, "full_name": user.full_name or user.name, "email": user.email,
                       "timezone": user.timezone, "access": user.access},
            "editable": personal.may_edit(user),
            "methods": [{"id": m.id, "type": m.type, "address": m.address, "label": m.label,
                         "verified": m.verified_at is not None} for m in user.contact_methods],
            "rules": rules_of(user),
            "quiet": quiet_hours_of(user),
            "tokens": [{"id": t.id, "name": t.name, "prefix": t.prefix, "role": t.role, "created": when(t.created_at),
                        "expires": when(t.expires_at) or "never", "last_used": when(t.last_used_at) or "never"}
                       for t in list_tokens(session, user_id=user.id, now=now)],
            "token_roles": [r.value for r in AccessRole if role_at_most(r, AccessRole(user.access))],
            "token_lifetimes": TOKEN_LIFETIMES,
            "feed_url": channels.public_url.rstrip("/") + oncall.feed_path(session, "user", user),
            "type_names": TYPE_NAMES, "urgency_help": URGENCY_HELP,
            "error": error, "notice": notice, "new_token": None, "code_for": None,
        }
    return page(request, "me.html", context | extra, status_code=status_code)


TYPE_NAMES = {"sms": "SMS", "voice": "Voice", "email": "Email", "slack": "Slack", "webhook": "Webhook"}
URGENCY_HELP = {
    "high": "High urgency (P1, P2 by default): wakes you whatever the hour.",
    "low": "Low urgency (P3, P4 by default): your phone stays quiet during quiet hours.",
}


def _done(notice: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/me?done={notice}#{anchor}", status_code=303)


def _change(request: Request, actor: Actor, notice: str, anchor: str,
            act: Callable[[Session, User, datetime], object]) -> Response:
    """Runs `act` in a unit of work on the signed-in person; back to /me with `notice`, or the page
    again with what was refused (and nothing changed)."""
    db: Database = request.app.state.db
    try:
        with db.unit_of_work() as session:
            act(session, _user(session, actor), request.app.state.clock())
    except DecisionError as exc:
        return me_page(request, actor, error=exc.message, status_code=status_for(exc))
    return _done(notice, anchor)


@router.get("/me", response_class=HTMLResponse)
def me(request: Request, actor: WebActor) -> HTMLResponse:
    return me_page(request, actor)


@router.post("/me/contact-methods", dependencies=[CsrfChecked])
def add_method(request: Request, actor: WebActor, type: Field = "", address: Field = "",
               label: Field = "") -> Response:
    return _change(request, actor, "method-added", "methods", lambda session, user, now: personal.add_method(
        session, user, kind=type, address=address, label=label, now=now, actor=actor.user_name))


@router.post("/me/contact-methods/{method_id}/remove", dependencies=[CsrfChecked])
def remove_method(request: Request, actor: WebActor, method_id: str) -> Response:
    return _change(request, actor, "method-removed", "methods", lambda session, user, now: personal.remove_method(
        session, user, method_id, now=now, actor=actor.user_name))


@router.post("/me/contact-methods/{method_id}/send-code", dependencies=[CsrfChecked])
def send_code(request: Request, actor: WebActor, method_id: str) -> Response:
    """Sync, so it runs on a worker thread: the code goes out through the method's channel."""
    try:
        sent = verification.send_new_code(request.app.state.db, actor.user_id, method_id,
                                          request.app.state.channels, request.app.state.clock())
    except DecisionError as exc:
        return me_page(request, actor, error=exc.message, status_code=status_for(exc))
    if not sent.delivery.ok:
        return me_page(request, actor, error=f"Could not send a code to {sent.address}: {sent.delivery.detail}",
                       status_code=502)
    minutes = int(verification.CODE_TTL.total_seconds() // 60)
    return me_page(request, actor, notice=f"Code sent to {sent.address}. Type it in below within {minutes} minutes.",
                   code_for=method_id)


@router.post("/me/contact-methods/{method_id}/verify", dependencies=[CsrfChecked])
def verify(request: Request, actor: WebActor, method_id: str,
           code: Annotated[str, Form(max_length=20)] = "") -> Response:
    try:
        verification.confirm_code(request.app.state.db, actor.user_id, method_id, code, request.app.state.clock())
    except DecisionError as exc:
        return me_page(request, actor, error=exc.message, status_code=status_for(exc), code_for=method_id)
    return _done("verified", "methods")


def _whole(text: str, what: str) -> int:
    if not text.strip().isdigit():
        raise Invalid(f"{text!r} is not {what}: give a whole number, such as 5")
    return int(text)


def _rules_now(user: User) -> dict[str, list[personal.RuleIn]]:
    current = rules_of(user)
    return {urgency: [personal.RuleIn(r.method_id, r.after_minutes) for r in getattr(current, urgency)]
            for urgency in ("high", "low")}


@router.post("/me/rules/add", dependencies=[CsrfChecked])
def add_rule(request: Request, actor: WebActor, urgency: Field = "", method: Field = "",
             after_minutes: Field = "0") -> Response:
    def act(session: Session, user: User, now: datetime) -> None:
        rules = _rules_now(user)
        rules.setdefault(urgency, []).append(personal.RuleIn(method, _whole(after_minutes, "a delay in minutes")))
        rules[urgency].sort(key=lambda r: r.after_minutes)  # the list reads in time order, as pages go out
        personal.set_rules(session, user, {urgency: rules[urgency]}, now=now, actor=actor.user_name)

    return _change(request, actor, "rules-saved", "rules", act)


@router.post("/me/rules/remove", dependencies=[CsrfChecked])
def remove_rule(request: Request, actor: WebActor, urgency: Field = "", index: Field = "") -> Response:
    def act(session: Session, user: User, now: datetime) -> None:
        rules, position = _rules_now(user), _whole(index, "a rule's position")
        if urgency not in rules or position >= len(rules[urgency]):
            raise NotFound("that rule is gone already; the page shows your rules as they are now")
        del rules[urgency][position]
        personal.set_rules(session, user, {urgency: rules[urgency]}, now=now, actor=actor.user_name)

    return _change(request, actor, "rules-saved", "rules", act)


@router.post("/me/quiet-hours", dependencies=[CsrfChecked])
def quiet_hours(request: Request, actor: WebActor, start: Field = "", end: Field = "",
                phone_low_urgency: Field = "") -> Response:
    return _change(request, actor, "quiet-saved", "quiet", lambda session, user, now: personal.set_quiet_hours(
        session, user, start=start, end=end, phone_low_urgency=phone_low_urgency == "on", now=now,
        actor=actor.user_name))


@router.post("/me/tokens", dependencies=[CsrfChecked])
def new_token(request: Request, actor: WebActor, name: Annotated[str, Form(max_length=100)] = "",
              role: Field = "", lifetime: Field = "90") -> Response:
    days = None if lifetime == "never" else int(lifetime) if lifetime in TOKEN_LIFETIMES else 90
    db: Database = request.app.state.db
    try:
        with db.unit_of_work() as session:
            issued = create_token(session, user_name=actor.user_name, role=role or actor.principal.role.value,
                                  name=name.strip(), now=request.app.state.clock(), actor=actor.user_name,
                                  expires_in=None if days is None else timedelta(days=days))
    except DecisionError as exc:
        return me_page(request, actor, error=exc.message, status_code=status_for(exc))
    return me_page(request, actor, new_token={"token": issued.token, "name": name.strip(), "role": issued.role})


@router.post("/me/tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def revoke(request: Request, actor: WebActor, token_id: str) -> Response:
    return _change(request, actor, "token-revoked", "tokens", lambda session, user, now: revoke_own_token(
        session, user_id=user.id, token_id=token_id, now=now, actor=actor.user_name))


@router.post("/me/feed/rotate", dependencies=[CsrfChecked])
def rotate(request: Request, actor: WebActor) -> Response:
    return _change(request, actor, "feed-rotated", "feed", lambda session, user, now: oncall.rotate_feed(
        session, actor, "user", user, now))
