"""Slack's requests to us: slash commands and button clicks.

Every request is verified first (signing secret, v0 HMAC over the exact body, 5-minute window); a
bad one is 401 and nothing else happens. Slack waits 3 s for an answer: the work runs on a thread
and, if it has not finished after REPLY_BUDGET, the person is told it is under way and the result
follows through the request's `response_url`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs

from anyio import to_thread
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from firebell.core.formats.wire_json import storable_text
from firebell.core.jsonsafe import loads_bounded
from firebell.errors import DecisionError
from firebell.incidents.effects import IncidentEffects
from firebell.notify.channels.slack_blocks import text_reply
from firebell.notify.channels.slack_web import post_to_response_url
from firebell.notify.settings import Channels
from firebell.org.models import User
from firebell.slack import handlers
from firebell.slack.commands import SlashCommandError, parse_slash_command
from firebell.slack.signing import SlackSignatureError, verify_slack_request
from firebell.store.uow import Database

log = logging.getLogger(__name__)
router = APIRouter(prefix="/integrations/slack", tags=["slack"], include_in_schema=False)
REPLY_BUDGET = 2.0  # seconds: Slack shows a timeout after 3
EMAIL_LOOKUP_BUDGET = 0.8  # users.info for members matched by email comes out of the same 3 s


async def _verified(request: Request) -> dict[str, str] | JSONResponse:
    """The request's form fields once its signature is good; else the response that refuses it."""
    channels: Channels = request.app.state.channels
    if not channels.slack_signing_secret:
        return JSONResponse({"detail": "Slack is not configured on this server (FIREBELL_SLACK_SIGNING_SECRET)"},
                            status_code=404)
    body = await request.body()
    try:
        verify_slack_request(channels.slack_signing_secret, request.headers.get("x-slack-request-timestamp"),
                             request.headers.get("x-slack-signature"), body,
                             now=request.app.state.clock().timestamp())
    except SlackSignatureError as exc:
        log.warning("refused a Slack request: %s", exc.reason)
        return JSONResponse({"detail": f"not a valid Slack request: {exc.reason}"}, status_code=401)
    try:
        return {k: storable_text(v[0]) for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    except UnicodeDecodeError:
        return JSONResponse({"detail": "the form body is not UTF-8"}, status_code=400)


def _post_reply(response_url: str, body: dict[str, Any]) -> None:
    """Post to Slack's response_url; one that is no http(s) URL (Slack's never are) is logged, where it
    raised in a thread nobody joins."""
    try:
        post_to_response_url(response_url, body)
    except ValueError as exc:
        log.warning("a Slack reply was dropped: %s", exc)


def _reply_later(response_url: str, body: dict[str, Any]) -> None:
    """Post to Slack's response_url from a thread of its own: it must not depend on the request's
    event loop, which may be gone by the time the work is done."""
    threading.Thread(target=_post_reply, args=(response_url, body), daemon=True,
                     name="slack-response").start()


async def _within_budget(work: Callable[[], dict[str, Any]], response_url: str) -> dict[str, Any] | None:
    """Run `work` on a thread; its answer if it finishes within REPLY_BUDGET, else None, and the
    answer goes to `response_url` when it is ready."""
    finished = threading.Event()
    lock = threading.Lock()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            result = work()
        except Exception:  # a bug or a database failure: the person must still hear something
            log.exception("Slack request failed")
            result = text_reply("Something went wrong in Firebell; nothing may have been done. Try again, or use "
                                "the web UI or CLI.")
        with lock:
            outcome["answer"] = result
            late = outcome.get("gave_up", False)
        finished.set()
        if late and response_url:
            _post_reply(response_url, result)

    threading.Thread(target=run, daemon=True, name="slack-work").start()
    await to_thread.run_sync(finished.wait, REPLY_BUDGET)
    with lock:
        if "answer" in outcome:
            return dict(outcome["answer"])
        outcome["gave_up"] = True
        return None


def _identified(request: Request, slack_user: str, channel: str) -> handlers.SlackRequest:
    """Who is asking; a member without a configured `slack_user` is matched by their profile email
    (looked up only then: one Slack call, outside any transaction)."""
    channels: Channels = request.app.state.channels
    db: Database = request.app.state.db
    who = handlers.SlackRequest(slack_user=slack_user, channel=channel,
                                signature=request.headers.get("x-slack-signature", ""))
    if channels.slack is None or not slack_user:
        return who
    with db.unit_of_work(write=False) as session:
        known = session.execute(select(User.id).where(User.slack_user_id == slack_user)).first() is not None
    if known:
        return who
    return replace(who, email=channels.slack.user_email(slack_user, timeout=EMAIL_LOOKUP_BUDGET))


def _in_transaction(db: Database, act: Callable[[Any], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    def work() -> dict[str, Any]:
        try:
            with db.unit_of_work() as session:
                answer = act(session)
        except DecisionError as exc:
            return handlers.refusal(exc)
        db.changed()  # incident messages and pages may have changed: let the engines post them now
        return answer
    return work


@router.post("/commands")
async def commands(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, JSONResponse):
        return form
    try:
        command = parse_slash_command(form.get("text", ""))
    except SlashCommandError as exc:
        return JSONResponse(text_reply(str(exc)))
    who = await to_thread.run_sync(_identified, request, form.get("user_id", ""), form.get("channel_id", ""))
    db: Database = request.app.state.db
    now = request.app.state.clock()
    effects: IncidentEffects = request.app.state.effects
    answer = await _within_budget(_in_transaction(db, lambda s: handlers.run_command(s, who, command, now, effects)),
                                  form.get("response_url", ""))
    return JSONResponse(answer if answer is not None else text_reply("Working on it…"))


@dataclass(frozen=True)
class ButtonClick:
    action_id: str
    ref: str
    slack_user: str
    channel: str
    response_url: str


def button_click(payload_text: str) -> ButtonClick:
    """The one button of a block_actions payload (the `payload` form field); ValueError saying what is
    wrong with anything else: not JSON, nested too deeply, or fields of the wrong shape."""
    payload = loads_bounded(payload_text)
    if not isinstance(payload, dict):
        raise ValueError("the payload is not a JSON object")
    actions, user, channel = payload.get("actions"), payload.get("user"), payload.get("channel") or {}
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict) \
            or "action_id" not in actions[0]:
        raise ValueError("'actions' must hold one action with an action_id")
    if not isinstance(user, dict) or "id" not in user:
        raise ValueError("'user' must be an object with an id")
    if not isinstance(channel, dict):
        raise ValueError("'channel' must be an object")
    action = actions[0]
    return ButtonClick(action_id=str(action["action_id"]), ref=str(action.get("value", "")),
                       slack_user=str(user["id"]), channel=str(channel.get("id", "")),
                       response_url=str(payload.get("response_url", "")))


@router.post("/interactive")
async def interactive(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, JSONResponse):
        return form
    try:
        pressed = button_click(form.get("payload", ""))
    except ValueError as exc:
        return JSONResponse({"detail": f"expected a block_actions payload with one action: {exc}"}, status_code=400)
    who = await to_thread.run_sync(_identified, request, pressed.slack_user, pressed.channel)
    db: Database = request.app.state.db
    now = request.app.state.clock()
    response_url = pressed.response_url
    effects: IncidentEffects = request.app.state.effects

    def click(session: Any) -> dict[str, Any]:
        return text_reply(handlers.run_button(session, who, pressed.action_id, pressed.ref, now, effects))

    work = _in_transaction(db, click)
    answer = await _within_budget(work, response_url)
    # The incident message itself is redrawn by the engine; the clicker hears the outcome privately.
    if answer is not None and response_url:
        _reply_later(response_url, answer | {"replace_original": False})
    return Response(status_code=200)
