"""A person's own contact methods: list them, and verify one with a code sent to it."""

from __future__ import annotations

from datetime import datetime

from anyio import to_thread
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.api.deps import DB, CurrentActor, Now
from firebell.api.problems import problem_responses
from firebell.errors import DecisionError, NotFound
from firebell.notify import verification
from firebell.notify.models import ContactVerification
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


def _user(session: Session, actor: Actor) -> User:
    user = session.execute(select(User).where(User.id == actor.user_id)).scalar_one_or_none()
    if user is None:
        raise NotFound("this token's user no longer exists")
    return user


@router.get("/contact-methods", response_model=list[ContactMethodOut], summary="Your contact methods")
def contact_methods(db: DB, actor: CurrentActor) -> list[ContactMethodOut]:
    with db.unit_of_work(write=False) as session:
        return [_out(m) for m in _user(session, actor).contact_methods]


@router.post("/contact-methods/{selector}/verification", status_code=202, response_model=CodeSent,
             responses=problem_responses(409, 502),
             summary="Send a verification code to one of your contact methods")
async def send_code(selector: str, request: Request, db: DB, actor: CurrentActor, now: Now) -> CodeSent:
    at = now()

    def make() -> verification.CodeToSend:
        with db.unit_of_work() as session:
            return verification.start(session, _user(session, actor), selector, at)

    to_send = await to_thread.run_sync(make)
    channels: Channels = request.app.state.channels
    delivery = await to_thread.run_sync(verification.send_code, channels, to_send, actor.user_name)
    if not delivery.ok:
        def forget() -> None:  # the code never arrived: asking again must not have to wait
            with db.unit_of_work() as session:
                pending = session.get(ContactVerification, to_send.method.id)
                if pending is not None:
                    session.delete(pending)

        await to_thread.run_sync(forget)
        raise SendFailed(f"could not send the code to {to_send.method.address}: {delivery.detail}")
    return CodeSent(sent_to=to_send.method.address, expires_at=at + verification.CODE_TTL, detail=delivery.detail)


@router.post("/contact-methods/{selector}/verification/confirm", response_model=ContactMethodOut,
             responses=problem_responses(409),
             summary="Confirm a contact method with the code it received")
def confirm(selector: str, body: CodeIn, db: DB, actor: CurrentActor, now: Now) -> ContactMethodOut:
    wrong: verification.WrongCode | None = None
    with db.unit_of_work() as session:
        try:
            method = verification.confirm(session, _user(session, actor), selector, body.code, now())
            result = _out(method)
        except verification.WrongCode as exc:
            wrong = exc  # commit the counted guess, then refuse
    if wrong is not None:
        raise wrong
    return result
