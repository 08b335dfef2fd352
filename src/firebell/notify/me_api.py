"""A person's own contact methods: list, add and remove them (when they keep their own settings:
notify/personal.py), and verify one with a code sent to it."""

from __future__ import annotations

from datetime import datetime

from anyio import to_thread
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.api.deps import DB, CurrentActor, Now
from firebell.api.problems import problem_responses
from firebell.errors import DecisionError, NotFound
from firebell.notify import personal, verification
from firebell.notify.settings import Channels
from firebell.org.models import ContactMethod, User

router = APIRouter(prefix="/api/v1/me", tags=["me"], responses=problem_responses(401, 404, 422))


class ContactMethodOut(BaseModel):
    id: str
    type: str
    address: str
    label: str
    verified: bool
    verified_at: datetime | None


class ContactMethodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(description="email, sms, voice, slack or webhook")
    address: str = Field(min_length=1, max_length=500)
    label: str = Field(default="", max_length=100)


class CodeSent(BaseModel):
    sent_to: str
    expires_at: datetime
    detail: str


class CodeIn(BaseModel):
    code: str = Field(min_length=1, max_length=20)


class SendFailed(DecisionError):
    kind = "unavailable"


def _out(method: ContactMethod) -> ContactMethodOut:
    return ContactMethodOut(id=method.id, type=method.type, address=method.address, label=method.label,
                            verified=method.verified_at is not None, verified_at=method.verified_at)


def own_user(session: Session, actor: Actor) -> User:
    user = session.execute(select(User).where(User.id == actor.user_id)).scalar_one_or_none()
    if user is None:
        raise NotFound("this token's user no longer exists")
    return user


@router.get("/contact-methods", response_model=list[ContactMethodOut], summary="Your contact methods")
def contact_methods(db: DB, actor: CurrentActor) -> list[ContactMethodOut]:
    with db.unit_of_work(write=False) as session:
        return [_out(m) for m in own_user(session, actor).contact_methods]


@router.post("/contact-methods", status_code=201, response_model=ContactMethodOut,
             responses=problem_responses(409), summary="Add a contact method (unverified until you confirm its code)")
def add_method(body: ContactMethodIn, db: DB, actor: CurrentActor, now: Now) -> ContactMethodOut:
    with db.unit_of_work() as session:
        method = personal.add_method(session, own_user(session, actor), kind=body.type, address=body.address,
                                     label=body.label, now=now(), actor=actor.user_name)
        return _out(method)


@router.delete("/contact-methods/{selector}", status_code=204, responses=problem_responses(409),
               summary="Remove a contact method, and the notification rules that use it")
def remove_method(selector: str, db: DB, actor: CurrentActor, now: Now) -> Response:
    with db.unit_of_work() as session:
        personal.remove_method(session, own_user(session, actor), selector, now=now(), actor=actor.user_name)
    return Response(status_code=204)


@router.post("/contact-methods/{selector}/verification", status_code=202, response_model=CodeSent,
             responses=problem_responses(409, 502),
             summary="Send a verification code to one of your contact methods")
async def send_code(selector: str, request: Request, db: DB, actor: CurrentActor, now: Now) -> CodeSent:
    channels: Channels = request.app.state.channels
    sent = await to_thread.run_sync(verification.send_new_code, db, actor.user_id, selector, channels, now())
    if not sent.delivery.ok:
        raise SendFailed(f"could not send the code to {sent.address}: {sent.delivery.detail}")
    return CodeSent(sent_to=sent.address, expires_at=sent.expires_at, detail=sent.delivery.detail)


@router.post("/contact-methods/{selector}/verification/confirm", response_model=ContactMethodOut,
             responses=problem_responses(409),
             summary="Confirm a contact method with the code it received")
def confirm(selector: str, body: CodeIn, db: DB, actor: CurrentActor, now: Now) -> ContactMethodOut:
    method_id = verification.confirm_code(db, actor.user_id, selector, body.code, now())
    with db.unit_of_work(write=False) as session:
        method = session.get(ContactMethod, method_id)
        if method is None:
            raise NotFound("that contact method was removed meanwhile")
        return _out(method)
