"""Status page subscribers for admins, under /api/v1/status-page/subscribers: list (quarantine shown),
add, remove, release from quarantine, and CSV import. Each handler is one unit of work around
service.py. Secrets and tokens never appear in an answer; endpoints are shown by their origin only."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from firebell.api.deps import DB, CurrentActor, Now
from firebell.api.problems import problem_responses
from firebell.core.status_subscriptions import MODES
from firebell.errors import Invalid
from firebell.statuspage.subscriptions import service

_PATH = "/api/v1/status-page/subscribers"
MAX_CSV_BYTES = service.MAX_CSV_BYTES
router = APIRouter(tags=["status page subscribers"], responses=problem_responses(401, 403, 404, 422))
Mode = Literal["email", "webhook", "slack", "teams", "google_chat"]
assert set(Mode.__args__) == set(MODES)  # type: ignore[attr-defined]
State = Literal["pending", "confirmed", "unsubscribed", "quarantined"]


class SubscriberIn(BaseModel):
    """Statuspage's subscriber fields: `email` for mail, `endpoint` for the others."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    mode: Mode = "email"
    email: str | None = Field(default=None, max_length=service.MAX_ADDRESS)
    endpoint: str | None = Field(default=None, max_length=service.MAX_URL)
    component_ids: list[str] | None = Field(default=None, max_length=service.MAX_COMPONENTS,
                                            description="Absent or empty: the whole page")
    skip_confirmation_notification: bool = Field(default=False, description="Email only: confirmed at once, "
                                                 "without the confirmation mail (the admin vouches for it)")
    secret: str | None = Field(default=None, max_length=200, description="Webhook only: whsec_<base64> that signs "
                               "its requests; absent: the server's FIREBELL_WEBHOOK_SECRET")


class SubscriberOut(BaseModel):
    id: str
    mode: str
    address: str
    component_ids: list[str] | None
    state: State
    source: str
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    quarantined_at: datetime | None
    purge_at: datetime | None
    consecutive_failures: int
    last_error: str


class ImportProblem(BaseModel):
    line: int
    reason: str


class ImportOut(BaseModel):
    added: int
    existing: int
    invalid: list[ImportProblem]


@router.get(_PATH, response_model=list[SubscriberOut], summary="Every subscriber, quarantined ones marked (admins)")
def list_subscribers(db: DB, actor: CurrentActor, state: State | None = None) -> list[SubscriberOut]:
    with db.unit_of_work(write=False) as session:
        return [SubscriberOut.model_validate(s) for s in service.listing(session, actor, state)]


@router.post(_PATH, response_model=SubscriberOut, status_code=201, summary="Add a subscriber (admins)")
def add_subscriber(body: SubscriberIn, db: DB, actor: CurrentActor, now: Now) -> SubscriberOut:
    address = body.email if body.mode == "email" else body.endpoint
    if not address:
        raise Invalid("an email subscriber needs `email`; the others need `endpoint`")
    with db.unit_of_work() as session:
        added = service.add(session, actor, body.mode, address, now(), component_ids=body.component_ids,
                            skip_confirmation=body.skip_confirmation_notification, webhook_secret=body.secret or "")
        return SubscriberOut.model_validate(service.describe(added))


@router.delete(f"{_PATH}/{{subscriber_id}}", status_code=204, summary="Remove a subscriber (admins)")
def remove_subscriber(subscriber_id: str, db: DB, actor: CurrentActor, now: Now) -> Response:
    with db.unit_of_work() as session:
        service.remove(session, actor, subscriber_id, now())
    return Response(status_code=204)


@router.post(f"{_PATH}/{{subscriber_id}}/release", response_model=SubscriberOut,
             summary="Release a subscriber from quarantine (admins)")
def release_subscriber(subscriber_id: str, db: DB, actor: CurrentActor, now: Now) -> SubscriberOut:
    with db.unit_of_work() as session:
        return SubscriberOut.model_validate(service.describe(service.release(session, actor, subscriber_id, now())))


@router.post(f"{_PATH}/import", response_model=ImportOut,
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
             summary="Import subscribers from CSV (admins); each mail is confirmed by its owner unless "
                     "skip_confirmation")
async def import_subscribers(request: Request, db: DB, actor: CurrentActor, now: Now,
                             skip_confirmation: bool = Query(False)) -> ImportOut:
    text = service.csv_text(await request.body())
    def run() -> ImportOut:
        with db.unit_of_work() as session:
            done = service.import_csv(session, actor, text, now(), skip_confirmation=skip_confirmation)
            return ImportOut(added=done.added, existing=done.existing,
                             invalid=[ImportProblem(**p) for p in done.invalid])

    return await run_in_threadpool(run)
