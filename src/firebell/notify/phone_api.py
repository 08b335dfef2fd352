"""Twilio's requests to us: SMS replies, keys pressed during page calls, delivery receipts.

Every request is checked first: Twilio must be configured (else 404, naming the missing setting) and
`X-Twilio-Signature` must be Twilio's signature, under the auth token, of the public URL requested
(`FIREBELL_PUBLIC_URL` + path + query) and the form fields. A bad or missing signature is 401 and
nothing else happens.

- `POST /integrations/twilio/sms` (the number's messaging webhook): "ack", "4", "resolve 12"... from a
  number that a user has verified as an SMS contact method acts as that user, on the named incident or
  else on the latest page texted to that number, through `incidents.respond` like every other channel.
  The answer is TwiML with one `<Message>`: what was done, or why nothing was. Twilio's own keywords
  (STOP, START, HELP...) get no answer: Twilio answers them. A request already acted on (same signature
  and MessageSid, e.g. a retry) is told "already done" and does nothing.
- `POST /integrations/twilio/voice/<token>`: the Gather action of a page call. The token is the page's
  acknowledge-link token, checked like the link's (signature, expiry) and, like the link, acting once:
  its nonce is recorded when a key acts, so a repeated keypress or request does nothing more.
- `POST /integrations/twilio/status`: delivery receipts. The notification's `delivery_status` only moves
  forward (receipts arrive out of order); an SMS that ends undelivered or failed, or a call that fails,
  is busy or goes unanswered, is a `notification_undelivered` event on the incident's timeline
  (notify/receipts.py). A receipt for a message Firebell has not recorded yet is held until it is,
  and acknowledged so Twilio does not retry it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from firebell.core.action_links import ActionClaim, InvalidToken, read_token
from firebell.core.formats.wire_json import storable_text
from firebell.core.phone_replies import (
    ReplyError,
    parse_sms_reply,
    voice_digit_action,
)
from firebell.errors import DecisionError
from firebell.incidents.effects import IncidentEffects
from firebell.incidents.models import Incident
from firebell.incidents.respond import respond
from firebell.notify import receipts
from firebell.notify.models import ActionTokenUse, Notification
from firebell.notify.phone_settings import TWILIO_PATH
from firebell.notify.settings import Channels
from firebell.notify.twilio_signature import verify_twilio_signature
from firebell.notify.twiml import gather_result_twiml, page_call_twiml
from firebell.org.models import ContactMethod, User
from firebell.store import replay
from firebell.store.secrets import link_secret
from firebell.store.uow import Database

log = logging.getLogger(__name__)
router = APIRouter(prefix=TWILIO_PATH, tags=["twilio"], include_in_schema=False)

TWIML_TYPE = "text/xml"
# Messages Twilio answers itself (its default opt-out, opt-in and help keywords): a reply from us would
# be a second, confusing answer, and after STOP Twilio would refuse to deliver it anyway.
TWILIO_KEYWORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke",
                             "start", "yes", "unstop", "help", "info"})
NOT_LINKED = ("Firebell: this number is not linked to anyone in Firebell. Add it as an SMS contact method "
              "and verify it to answer pages by SMS.")
SHARED_NUMBER = ("Firebell: this number belongs to several people in Firebell and none of them was paged "
                 "here; answer in Firebell instead.")
NO_RECENT_PAGE = "Nothing done: no page was texted to this number. Name the incident, e.g. ACK 12"
ALREADY_DONE = "Firebell: already done (this message was handled before)."
CALL_ALREADY_ANSWERED = "This page was already answered during this call. Goodbye."
CALL_LINK_UNUSABLE = "This call can no longer act on the incident. Please open Firebell. Goodbye."
NOT_UNDERSTOOD = "Sorry, that key was not understood."
_REF = re.compile(r"\bINC-(\d+)\b")
_SID, _STATUS, _ERROR_CODE = re.compile(r"[A-Za-z0-9]{1,64}"), re.compile(r"[a-z_-]{1,40}"), re.compile(r"[0-9]{0,20}")
async def _verified(request: Request) -> dict[str, str] | JSONResponse:
    """The form fields of a genuine Twilio request, or the error response to send instead."""
    channels: Channels = request.app.state.channels
    if not channels.twilio_auth_token:
        return JSONResponse({"detail": "Twilio is not configured on this server: FIREBELL_TWILIO_AUTH_TOKEN "
                                       "(with FIREBELL_TWILIO_ACCOUNT_SID and FIREBELL_TWILIO_FROM) is not set"},
                            status_code=404)
    body = await request.body()
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        pairs = None
    raw_path = request.scope.get("raw_path")
    url = channels.public_url + (raw_path.decode("latin-1") if raw_path else request.url.path)
    query = request.scope.get("query_string") or b""
    if query:
        url += "?" + query.decode("latin-1")
    if pairs is None or not verify_twilio_signature(channels.twilio_auth_token, url, pairs,
                                                    request.headers.get("x-twilio-signature")):
        log.warning("refused a request to %s: bad or missing X-Twilio-Signature", request.url.path)
        return JSONResponse({"detail": "not a valid Twilio request: bad or missing X-Twilio-Signature "
                                       f"(signed URL expected: {url})"}, status_code=401)
    return {name: storable_text(value) for name, value in pairs}


def twiml_response(document: str) -> Response:
    return Response(document, media_type=TWIML_TYPE)


def sms_reply_twiml(text: str | None) -> str:
    """`<Response><Message>text</Message></Response>`, or an empty Response for no answer."""
    root = ET.Element("Response")
    if text:
        ET.SubElement(root, "Message").text = text
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


# --- SMS replies -----------------------------------------------------------------------------------------


@router.post("/sms")
async def inbound_sms(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, JSONResponse):
        return form
    body = form.get("Body", "")
    if body.strip().rstrip(".!").casefold() in TWILIO_KEYWORDS:
        return twiml_response(sms_reply_twiml(None))
    db: Database = request.app.state.db
    now = request.app.state.clock()
    signed = (request.headers.get("x-twilio-signature") or "") + form.get("MessageSid", "")
    effects: IncidentEffects = request.app.state.effects
    answer, acted = await run_in_threadpool(_answer_sms, db, form.get("From", "").strip(), body, signed, now,
                                            effects)
    if acted:
        db.changed()  # the engines act on it now: cancel queued pages, update Slack
    return twiml_response(sms_reply_twiml(answer))


def _answer_sms(db: Database, sender: str, body: str, signed: str, now: datetime,
                effects: IncidentEffects) -> tuple[str, bool]:
    """The text to send back, and whether an incident changed."""
    try:
        with db.unit_of_work() as session:
            user = _user_texting(session, sender)
            if isinstance(user, str):
                return user, False
            reply = parse_sms_reply(body)
            if isinstance(reply, ReplyError):
                return reply.help_text, False
            if not replay.first_time(session, "twilio", signed, now):
                return ALREADY_DONE, False
            ref = f"INC-{reply.incident_number}" if reply.incident_number else _latest_texted(session, user, sender)
            if ref is None:
                return NO_RECENT_PAGE, False
            return respond(session, user, ref, reply.action, "sms", now, effects=effects), True
    except DecisionError as exc:  # rolled back, the replay record with it: nothing happened
        return f"Nothing done: {exc.message}", False


def _user_texting(session: Session, sender: str) -> User | str:
    """The user who verified `sender` as an SMS contact method, or the answer explaining why there is none.
    A number several people share belongs to whichever of them was last texted a page there."""
    if not sender:
        return NOT_LINKED
    ids = session.execute(select(ContactMethod.user_id).distinct()
                          .where(ContactMethod.type == "sms", ContactMethod.address == sender,
                                 ContactMethod.verified_at.is_not(None))).scalars().all()
    users = [user for user in (session.get(User, user_id) for user_id in sorted(ids)) if user is not None]
    if not users:
        return NOT_LINKED
    if len(users) == 1:
        return users[0]
    last = session.execute(_texted(sender).where(Notification.user_id.in_([u.id for u in users]))
                           .with_only_columns(Notification.user_id).limit(1)).scalar()
    return next((u for u in users if u.id == last), SHARED_NUMBER)


def _texted(sender: str) -> Any:
    """Pages texted to `sender`, newest first."""
    return (select(Notification).where(Notification.channel == "sms", Notification.address == sender,
                                       Notification.state == "sent")
            .order_by(Notification.sent_at.desc(), Notification.created_at.desc(), Notification.id.desc()))


def _latest_texted(session: Session, user: User, sender: str) -> str | None:
    """The incident (id) of the newest page texted to `user` at `sender`: a reply without a number means it."""
    return session.execute(_texted(sender).where(Notification.user_id == user.id)
                           .with_only_columns(Notification.incident_id).limit(1)).scalar()


# --- Keys pressed during a page call ---------------------------------------------------------------------


@router.post("/voice/{token}")
async def voice_key(token: str, request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, JSONResponse):
        return form
    channels: Channels = request.app.state.channels
    db: Database = request.app.state.db
    now = request.app.state.clock()
    gather_url = f"{channels.public_url}{TWILIO_PATH}/voice/{token}"
    effects: IncidentEffects = request.app.state.effects
    document, acted = await run_in_threadpool(_answer_key, db, token, form.get("Digits", ""), gather_url, now,
                                              effects)
    if acted:
        db.changed()  # the engines act on it now: cancel queued pages, update Slack
    return twiml_response(document)


def _voice_nonce(claim: ActionClaim, action: str) -> str:
    """The nonce a key's action uses up: the token's own for its action, a derived one for the other
    (4 and 6 each act once per call)."""
    if action == claim.action:
        return claim.nonce
    return hashlib.sha256(f"{claim.nonce}\n{action}".encode()).hexdigest()


def _answer_key(db: Database, token: str, digits: str, gather_url: str, now: datetime,
                effects: IncidentEffects) -> tuple[str, bool]:
    """The TwiML answering a key, and whether an incident changed."""
    action = voice_digit_action(digits)
    try:
        with db.unit_of_work() as session:
            try:
                claim = read_token(link_secret(session), token, now)
            except InvalidToken as exc:
                log.warning("a page call's key came with an unusable token: %s", exc.reason)
                return gather_result_twiml(CALL_LINK_UNUSABLE), False
            incident = session.get(Incident, claim.incident_id)
            if incident is None or claim.action not in {"acknowledge", "resolve"}:
                return gather_result_twiml(CALL_LINK_UNUSABLE), False
            if action is None or action == "repeat":
                again = page_call_twiml(incident.ref, incident.title, incident.severity, gather_url)
                return (again if action == "repeat" else _prefixed(NOT_UNDERSTOOD, again)), False
            user = session.get(User, claim.user_id)
            if user is None:
                return gather_result_twiml(CALL_LINK_UNUSABLE), False
            nonce = _voice_nonce(claim, action)
            if session.get(ActionTokenUse, nonce) is not None:
                return gather_result_twiml(CALL_ALREADY_ANSWERED), False
            session.add(ActionTokenUse(nonce=nonce, action=action, incident_id=claim.incident_id, user_id=user.id,
                                       used_at=now))
            session.flush()  # a used nonce fails here, before anything else is written
            done = respond(session, user, claim.incident_id, action, "voice", now, effects=effects)
            return gather_result_twiml(_spoken(done)), True
    except IntegrityError:  # the same key twice at the same moment: the other one acted
        return gather_result_twiml(CALL_ALREADY_ANSWERED), False
    except DecisionError as exc:
        return gather_result_twiml(_spoken(f"Nothing done: {exc.message}")), False


def _spoken(text: str) -> str:
    """`text` for text-to-speech: 'INC-12' is read as 'Incident 12' (the letters of INC sound odd)."""
    return _REF.sub(r"Incident \1", text).rstrip(".") + "."


def _prefixed(text: str, document: str) -> str:
    """`document` (TwiML) saying `text` first."""
    root = ET.fromstring(document)
    say = ET.Element("Say")
    say.text = text
    root.insert(0, say)
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


# --- Delivery receipts -----------------------------------------------------------------------------------


@router.post("/status")
async def delivery_receipt(request: Request) -> Response:
    form = await _verified(request)
    if isinstance(form, JSONResponse):
        return form
    if form.get("MessageSid") and form.get("MessageStatus"):
        sid, status, is_call = form["MessageSid"], form["MessageStatus"], False
    elif form.get("CallSid") and form.get("CallStatus"):
        sid, status, is_call = form["CallSid"], form["CallStatus"], True
    else:
        return Response(status_code=200)  # nothing we read: acknowledged, so Twilio does not retry
    status, error_code = status.strip().lower(), form.get("ErrorCode", "").strip()
    # Twilio's sids are 34 characters, its statuses words like "no-answer" or "partially_delivered", its
    # error codes numbers: anything else is not Twilio's, and would not fit the columns that hold them.
    if not (_SID.fullmatch(sid) and _STATUS.fullmatch(status)):
        return Response(status_code=200)
    if not _ERROR_CODE.fullmatch(error_code):
        error_code = ""
    db: Database = request.app.state.db
    now = request.app.state.clock()
    known = await run_in_threadpool(_record_receipt, db, sid, status, is_call, error_code, now)
    return Response(status_code=204 if known else 200)


def _record_receipt(db: Database, sid: str, status: str, is_call: bool, error_code: str, now: datetime) -> bool:
    """Apply the receipt to every page the message carried (a bundle is several), or hold it until
    the sender records the sid; False when held."""
    with db.unit_of_work() as session:
        # Only Twilio calls back, and its provider ids are "twilio:<sid>".
        return receipts.receive(session, f"twilio:{sid}", status, is_call, error_code, now)
