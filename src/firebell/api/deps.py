"""FastAPI dependencies: the database, the clock and the authenticated actor."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from firebell.actor import Actor
from firebell.auth.service import authenticate, touch_token
from firebell.errors import Invalid
from firebell.incidents.effects import IncidentEffects
from firebell.store.uow import Database

Clock = Callable[[], datetime]


# Plain lookups are async so FastAPI calls them inline; a sync dependency costs a threadpool hop
# per request, which the ingestion endpoints feel.
async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_effects(request: Request) -> IncidentEffects:
    """What a person's change to an incident sets off (incidents/effects.py), put there by app.py."""
    effects: IncidentEffects = request.app.state.effects
    return effects


def _via(request: Request) -> str:
    agent = request.headers.get("user-agent", "")
    return "cli" if agent.startswith("firebell-cli") else "api"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def token_actor(db: Database, now: datetime, plain: str | None, *, via: str, scopes: tuple[str, ...] = ("api",),
                required: str | None = None) -> tuple[Actor, str]:
    """The actor behind a token of one of `scopes`, and the token's id; records its use now and then."""
    with db.unit_of_work(write=False) as session:
        auth = authenticate(session, plain, now=now, via=via, scopes=scopes,
                            **({} if required is None else {"required": required}))
    if auth.needs_touch:
        with db.unit_of_work() as session:
            touch_token(session, auth.token_id, now)
    return auth.actor, auth.token_id


def current_actor(request: Request, db: Annotated[Database, Depends(get_db)],
                  clock: Annotated[Clock, Depends(get_clock)]) -> Actor:
    return token_actor(db, clock(), _bearer(request), via=_via(request))[0]


DB = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
Effects = Annotated[IncidentEffects, Depends(get_effects)]
CurrentActor = Annotated[Actor, Depends(current_actor)]


def no_nul_in_parameters(request: Request) -> None:
    """Query and path parameters never hold NUL: PostgreSQL refuses it in text, so a lookup by such a
    value was a 500 there (schemathesis: GET /api/v1/incidents?service=%00) and a miss on SQLite.
    The REST API's routes only: a calendar feed answers every malformed token with the same 404."""
    if not request.url.path.startswith("/api/v1/"):
        return
    refuse_nul("query", request.query_params.multi_items())
    refuse_nul("path", request.path_params.items())


def refuse_nul(where: str, values: Iterable[tuple[str, object]]) -> None:
    """Invalid if any text value holds NUL (the console's pages check their forms with it too)."""
    for name, value in values:
        if isinstance(value, str) and "\x00" in value:
            raise Invalid(f"{where} parameter {name!r} contains a NUL character")
