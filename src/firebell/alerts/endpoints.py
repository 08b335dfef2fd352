"""Wire-compatible ingestion endpoints: PagerDuty Events v2, Alertmanager, Grafana, generic
webhooks and heartbeats. They answer 2xx only after the event is committed."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from firebell.alerts import heartbeats, snapshot
from firebell.alerts.models import ChangeEvent
from firebell.alerts.service import Outcome, ingest, lock_names
from firebell.alerts.snapshot import IntegrationInfo
from firebell.alerts.wire import TooLarge, parse_body, read_limited
from firebell.alerts.wire_schema import (
    ALERTMANAGER_BODY,
    ANY_JSON_BODY,
    GRAFANA_BODY,
    PAGERDUTY_CHANGE,
    PAGERDUTY_ERRORS,
    PAGERDUTY_EVENT,
    SIGNED_WEBHOOK_ERRORS,
    WEBHOOK_ERRORS,
    json_body,
)
from firebell.api.deps import DB, Now
from firebell.api.problems import problem_responses
from firebell.core.constant_time import constant_time_equals
from firebell.core.events import AlertEvent, excerpt_with_json
from firebell.core.formats import PayloadError
from firebell.core.formats.alertmanager import alert_excerpts, parse_message
from firebell.core.formats.pagerduty import MAX_BODY_BYTES, parse_change, parse_event
from firebell.core.formats.webhook import parse_webhook
from firebell.store.batch import run_alone
from firebell.store.uow import Database

router = APIRouter(tags=["ingestion"])
MAX_WEBHOOK_BYTES = 5_000_000
MAX_EVENTS_PER_MESSAGE = 10_000  # Alertmanager's max_alerts keeps a sender under it
EVENTS_PER_CHUNK = 100  # events of one message in one transaction (bench/storm.py)
# SQLite runs each chunk on the event loop (store/batch.py): smaller ones let /healthz in more often.
INLINE_EVENTS_PER_CHUNK = 32
MAX_OUTCOMES_LISTED = 100
SIGNATURE_WINDOW_S = 300
_QUOTED_FIELD = re.compile(r"'([^']{1,200})'")  # the parsers' errors start with the field: "'alerts[0].status' must..."


def _pd_error(status: int, message: str, errors: list[str]) -> JSONResponse:
    return JSONResponse({"status": "invalid event", "message": message, "errors": errors}, status_code=status)


def pagerduty_too_large(detail: str) -> JSONResponse:
    """A body over a limit, as PagerDuty's Events API says it (its senders read status and message)."""
    return _pd_error(413, "Event object is too large", [detail])


PAGERDUTY_PATHS = ("/v2/enqueue", "/v2/change/enqueue")


def _not_found() -> JSONResponse:
    # Deliberately says nothing about which part was wrong.
    return JSONResponse({"status": "not found", "message": "Not Found"}, status_code=404)


def _no_integration() -> JSONResponse:
    """The webhooks' 404: problem+json like their other errors, as vague as PagerDuty's."""
    return _problem(404, "no integration of this kind has this key")


def _problem(status: int, detail: str, errors: list[str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": "Bad Request" if status == 400 else "Error",
                            "status": status, "detail": detail}
    if errors:  # as the API's problems list them (api/problems.py FieldError)
        body["errors"] = [{"field": field.group(1) if (field := _QUOTED_FIELD.match(e)) else "body", "message": e}
                          for e in errors]
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def find_integration(session: Session, key: str, types: tuple[str, ...], *,
                     for_locks: bool = False) -> IntegrationInfo | None:
    """The integration of `key`; `for_locks`: only to name a batch's locks (the config may be a
    version behind: the work looks again)."""
    config = snapshot.assumed(session) if for_locks else snapshot.current(session)
    return config.integration(key, types)


def _summaries(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    return [{"dedup_key": o.dedup_key, "alert": o.alert_op, "incident": o.incident, "incident_op": o.incident_op}
            for o in outcomes]


async def _read_pd(request: Request, parse: Callable[[Any], Any]) -> Response | tuple[Any, Any]:
    """(body, parsed) of a PagerDuty-style request, or the PagerDuty-style error answer."""
    try:
        return await parse_body(await read_limited(request, MAX_BODY_BYTES), parse)
    except TooLarge as exc:
        return _pd_error(413, "Event object is too large", [str(exc)])
    except PayloadError as exc:
        return _pd_error(400, exc.message, exc.errors)


@router.post("/v2/enqueue", summary="PagerDuty Events API v2 compatible", status_code=202,
             responses=PAGERDUTY_ERRORS, openapi_extra=json_body(PAGERDUTY_EVENT))
async def enqueue(request: Request) -> Response:
    # The busiest route reads the app's database and clock itself: FastAPI's dependency solving
    # was a sixth of the per-event cost in bench/ingest.py.
    db: Database = request.app.state.db
    now: Callable[[], Any] = request.app.state.clock
    parsed = await _read_pd(request, lambda body: parse_event(body, generated_dedup_key=uuid.uuid4().hex))
    if isinstance(parsed, Response):
        return parsed
    body, (routing_key, event) = parsed

    def work(session: Session) -> Response:
        integration = find_integration(session, routing_key, ("pagerduty",))
        if integration is None:
            return _not_found()
        ingest(session, integration, [event], now(), raw=body)
        return JSONResponse({"status": "success", "message": "Event processed", "dedup_key": event.dedup_key},
                            status_code=202)

    def locks(session: Session) -> list[tuple[str, ...]]:
        return lock_names(session, find_integration(session, routing_key, ("pagerduty",), for_locks=True), [event],
                          now())

    return await db.group_commit.run(work, locks)


async def _in_thread(db: Database, work: Callable[[Session], Response]) -> Response:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(run_alone, db, work)


async def noop(request: Request) -> Response:
    """Same stack as /v2/enqueue (body read, JSON parse, threadpool hop) minus the database: the
    baseline `bench/ingest.py` compares against. Served only when FIREBELL_BENCHMARK_ROUTES is set
    (alerts/hot_routes.py)."""
    parsed = await _read_pd(request, lambda body: body)
    if isinstance(parsed, Response):
        return parsed

    def work() -> Response:
        return JSONResponse({"status": "success", "message": "Event processed", "dedup_key": ""}, status_code=202)

    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(work)


@router.post("/v2/change/enqueue", summary="PagerDuty change events", status_code=202,
             responses=PAGERDUTY_ERRORS, openapi_extra=json_body(PAGERDUTY_CHANGE))
async def change_enqueue(request: Request, db: DB, now: Now) -> Response:
    parsed = await _read_pd(request, parse_change)
    if isinstance(parsed, Response):
        return parsed
    _body, (routing_key, change) = parsed

    def work(session: Session) -> Response:
        integration = find_integration(session, routing_key, ("pagerduty",))
        if integration is None:
            return _not_found()
        at = now()
        session.add(ChangeEvent(service_id=integration.service_id, integration_id=integration.id,
                                summary=change.summary, source=change.source, occurred_at=change.occurred_at or at,
                                received_at=at, details=change.details, links=change.links))
        return JSONResponse({"status": "success", "message": "Change event processed"}, status_code=202)

    return await _in_thread(db, work)


def _bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


async def _webhook(request: Request, db: Database, now: Callable[[], Any], key: str, kind: str,
                   parse: Callable[[Any, IntegrationInfo], list[AlertEvent]],
                   verify: Callable[[IntegrationInfo, bytes, Request, float], str | None] | None = None,
                   excerpts: Callable[[Any], list[tuple[Any, str]]] | None = None) -> Response:
    """`excerpts`: what each event keeps of the message (default: the message, once per request)."""
    try:
        raw = await read_limited(request, MAX_WEBHOOK_BYTES)
    except TooLarge as exc:
        return _problem(413, str(exc))
    key = key or _bearer(request)
    with db.unit_of_work(write=False) as session:
        integration = find_integration(session, key, (kind,))
    if integration is None:
        return _no_integration()
    if verify is not None:
        problem = verify(integration, raw, request, now().timestamp())
        if problem:
            return _problem(401, problem)
    def parsed(body: Any) -> tuple[list[AlertEvent], list[tuple[Any, str]] | None]:
        # What each alert keeps of the message is made here too, on parse_body's thread for a large
        # one: 10,000 alerts' excerpts took 85 ms, which on the event loop held /healthz as long.
        return parse(body, integration), excerpts(body) if excerpts is not None else None

    try:
        body, (events, per_alert) = await parse_body(raw, parsed)
    except PayloadError as exc:
        return _problem(400, f"{exc.message}: {'; '.join(exc.errors)}", exc.errors)
    if len(events) > MAX_EVENTS_PER_MESSAGE:
        return _problem(413, f"the message holds {len(events)} alerts; the limit is {MAX_EVENTS_PER_MESSAGE} a "
                             "message (Alertmanager: set max_alerts in the webhook_config)")
    payloads = per_alert if per_alert is not None else [excerpt_with_json(body)] * len(events)
    outcomes: list[Outcome] = []
    # A large message goes in chunks, each its own transaction, so other requests (health checks
    # included) are answered between them. A failure part-way leaves the chunks before it stored;
    # the sender's retry of the whole message finds those unchanged (a repeated event is a duplicate).
    per_chunk = INLINE_EVENTS_PER_CHUNK if db.dialect == "sqlite" else EVENTS_PER_CHUNK
    for start in range(0, len(events), per_chunk):
        chunk = slice(start, start + per_chunk)

        def work(session: Session, chunk: slice = chunk) -> Response | list[Outcome]:
            # The key may have been rotated or the integration archived since it was checked.
            live = find_integration(session, key, (kind,))
            if live is None:
                return _no_integration()
            return ingest(session, live, events[chunk], now(), payloads=payloads[chunk])

        def locks(session: Session, chunk: slice = chunk) -> list[tuple[str, ...]]:
            return lock_names(session, find_integration(session, key, (kind,), for_locks=True), events[chunk], now())

        done = await db.group_commit.run(work, locks, weight=len(events[chunk]))
        if isinstance(done, Response):
            return done
        outcomes += done
    return JSONResponse(_accepted(outcomes), status_code=202)


def _accepted(outcomes: list[Outcome]) -> dict[str, Any]:
    """The answer to a message: counts, and each event's outcome for all but huge messages."""
    answer: dict[str, Any] = {"status": "accepted", "events": len(outcomes),
                              "outcomes": _summaries(outcomes[:MAX_OUTCOMES_LISTED])}
    if len(outcomes) > MAX_OUTCOMES_LISTED:
        answer["outcomes_truncated"] = True
        answer["incidents"] = sorted({o.incident for o in outcomes if o.incident})
    return answer


def _parse_am(body: Any, _integration: IntegrationInfo) -> list[AlertEvent]:
    return parse_message(body, flavour="alertmanager")


def _parse_grafana(body: Any, _integration: IntegrationInfo) -> list[AlertEvent]:
    return parse_message(body, flavour="grafana")


def _parse_webhook(body: Any, integration: IntegrationInfo) -> list[AlertEvent]:
    return [parse_webhook(body, (integration.settings or {}).get("mapping") or {"summary": "summary"})]


def verify_grafana(integration: IntegrationInfo, raw: bytes, request: Request, now_ts: float) -> str | None:
    """Grafana's optional HMAC: hex HMAC-SHA256 of the body, or of "<unix seconds>:<body>" when a
    timestamp header is configured (then the timestamp must be within 5 minutes). Header values can
    hold any character: a non-ASCII one is simply a bad signature or timestamp."""
    settings = integration.settings or {}
    secret = settings.get("hmac_secret") or os.environ.get(settings.get("hmac_secret_env") or "", "")
    if not secret:
        return None
    header = settings.get("signature_header") or "X-Grafana-Alerting-Signature"
    given = request.headers.get(header, "")
    signed = raw
    ts_header = settings.get("timestamp_header")
    if ts_header:
        stamp = request.headers.get(ts_header, "")
        # ASCII digits, and few: "²".isdigit() is true, and int() refuses more than 4,300 digits.
        well_formed = stamp.isascii() and stamp.isdigit() and len(stamp) <= 12
        if not well_formed or abs(now_ts - int(stamp)) > SIGNATURE_WINDOW_S:
            return f"missing or stale {ts_header} header"
        signed = stamp.encode() + b":" + raw
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not given or not constant_time_equals(given.lower(), expected):
        return f"bad or missing {header} signature"
    return None


@router.post("/integrations/alertmanager/{key}", status_code=202, summary="Alertmanager webhook (version 4)",
             responses=WEBHOOK_ERRORS, openapi_extra=ALERTMANAGER_BODY)
async def alertmanager(key: str, request: Request, db: DB, now: Now) -> Response:
    return await _webhook(request, db, now, key, "alertmanager", _parse_am, excerpts=alert_excerpts)


@router.post("/integrations/alertmanager", status_code=202, summary="Alertmanager webhook, key as bearer token",
             responses=WEBHOOK_ERRORS, openapi_extra=ALERTMANAGER_BODY)
async def alertmanager_bearer(request: Request, db: DB, now: Now) -> Response:
    return await _webhook(request, db, now, "", "alertmanager", _parse_am, excerpts=alert_excerpts)


async def grafana(key: str, request: Request, db: DB, now: Now) -> Response:
    return await _webhook(request, db, now, key, "grafana", _parse_grafana, verify_grafana, excerpts=alert_excerpts)


for _method in ("POST", "PUT"):  # Grafana's contact point can use either
    router.add_api_route("/integrations/grafana/{key}", grafana, methods=[_method], status_code=202,
                         operation_id=f"grafana_webhook_{_method.lower()}", responses=SIGNED_WEBHOOK_ERRORS,
                         openapi_extra=GRAFANA_BODY,
                         summary="Grafana webhook contact point (version 1)")


@router.post("/integrations/webhook/{key}", status_code=202, summary="Generic JSON webhook with field mapping",
             responses=WEBHOOK_ERRORS, openapi_extra=ANY_JSON_BODY)
async def webhook(key: str, request: Request, db: DB, now: Now) -> Response:
    return await _webhook(request, db, now, key, "webhook", _parse_webhook)


async def heartbeat(key: str, db: DB, now: Now) -> Response:
    def work(session: Session) -> Response:
        integration = find_integration(session, key, ("heartbeat",))
        if integration is None:
            return _no_integration()
        outcomes = heartbeats.beat(session, integration, now())
        return JSONResponse({"status": "accepted", "recovered": bool(outcomes)}, status_code=202)

    return await _in_thread(db, work)


for _method in ("GET", "POST", "HEAD"):  # cron jobs curl, load balancers probe
    router.add_api_route("/integrations/heartbeat/{key}", heartbeat, methods=[_method], status_code=202,
                         operation_id=f"heartbeat_{_method.lower()}", responses=problem_responses(404),
                         summary="Heartbeat: each call proves the sender alive")
