"""Contract dicts (SP_CONTRACT.md's PublicDocuments) for the site's tests: one per overall state of a
page, built here by hand as the core side will build them, with Statuspage's v2 field names.

    docs = page_in("major")            # operational, minor, major, critical, maintenance, several, empty
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

NOW = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
PAGE_ID = "pg7h2k9x4m1q"
ZONE = "Europe/Berlin"
STATES = ("operational", "minor", "major", "critical", "maintenance", "several", "empty")
DESCRIPTIONS = {"none": "All Systems Operational", "minor": "Minor Service Outage",
                "major": "Partial System Outage", "critical": "Major Service Outage",
                "maintenance": "Service Under Maintenance"}
Doc = dict[str, Any]


def stamp(at: datetime) -> str:
    """The contract's timestamps: UTC, milliseconds, `Z`."""
    at = at.astimezone(UTC)
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z"


def ago(**delta: float) -> str:
    return stamp(NOW - timedelta(**delta))


def page() -> Doc:
    return {"id": PAGE_ID, "name": "Pria", "url": "https://status.pria.example", "time_zone": ZONE,
            "updated_at": ago(minutes=5)}


def component(ident: str, name: str, status: str = "operational", position: int = 1, *,
              group_id: str | None = None, children: list[str] | None = None, description: str | None = None,
              only_show_if_degraded: bool = False) -> Doc:
    found = {"id": ident, "name": name, "status": status, "created_at": "2025-01-01T00:00:00.000Z",
             "updated_at": ago(minutes=20), "position": position, "description": description, "showcase": True,
             "start_date": None, "group_id": group_id, "page_id": PAGE_ID, "group": children is not None,
             "only_show_if_degraded": only_show_if_degraded}
    if children is not None:
        found["components"] = children
    return found


def components(**statuses: str) -> list[Doc]:
    """Website, API, the Infrastructure group (Database, Queue) and Status emails (shown only when
    degraded); `api="partial_outage"` sets one's status (the group takes its worst child's)."""
    s = {"web": "operational", "api": "operational", "db": "operational", "queue": "operational",
         "mail": "operational"} | statuses
    order = ["operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"]
    group_status = max((s["db"], s["queue"]), key=lambda v: order.index(v) if v in order else -1)
    return [
        component("cweb", "Website", s["web"], 1, description="The public site and the dashboard"),
        component("capi", "API", s["api"], 2),
        component("cinfra", "Infrastructure", group_status, 3, children=["cdb", "cqueue"]),
        component("cdb", "Database", s["db"], 1, group_id="cinfra"),
        component("cqueue", "Queue", s["queue"], 2, group_id="cinfra"),
        component("cmail", "Status emails", s["mail"], 4, only_show_if_degraded=True),
    ]


def update(incident_id: str, n: int, status: str, body: str, at: str,
           affected: list[tuple[str, str, str, str]] | None = None) -> Doc:
    return {"id": f"{incident_id}u{n}", "status": status, "body": body, "incident_id": incident_id,
            "created_at": at, "updated_at": at, "display_at": at,
            "affected_components": [{"code": c, "name": name, "old_status": old, "new_status": new}
                                    for c, name, old, new in affected] if affected else None,
            "deliver_notifications": True, "custom_tweet": None, "tweet_id": None}


def incident(ident: str, name: str, status: str, impact: str, updates: list[tuple[str, str, str]],
             affected: list[Doc] | None = None, **extra: Any) -> Doc:
    """`updates` as (status, body, created_at), oldest first as one writes them; stored newest first."""
    listed = [update(ident, n, st, body, at) for n, (st, body, at) in enumerate(updates, 1)][::-1]
    first, last = updates[0][2], updates[-1][2]
    found = {"id": ident, "name": name, "status": status, "impact": impact, "created_at": first,
             "updated_at": last, "monitoring_at": None, "resolved_at": last if status == "resolved" else None,
             "started_at": first, "shortlink": f"https://status.pria.example/i/{ident}", "page_id": PAGE_ID,
             "incident_updates": listed,
             "components": [{"id": c["id"], "name": c["name"], "status": c["status"]} for c in affected or []]}
    return found | extra


def maintenance(ident: str, name: str, status: str, starts: str, ends: str, updates: list[tuple[str, str, str]],
                affected: list[Doc] | None = None) -> Doc:
    return incident(ident, name, status, "maintenance", updates, affected, scheduled_for=starts,
                    scheduled_until=ends)


def uptime(comps: list[Doc], bad: dict[str, dict[int, str]] | None = None,
           maintained: dict[str, set[int]] | None = None) -> dict[str, Doc]:
    """90 days per non-group component, oldest first; `bad[id][k]` is the worst state k days ago."""
    today = date(2026, 12, 7)
    found = {}
    for c in comps:
        if c["group"]:
            continue
        worst = (bad or {}).get(c["id"], {})
        maint = (maintained or {}).get(c["id"], set())
        days = [{"date": (today - timedelta(days=k)).isoformat(), "worst": worst.get(k, "operational"),
                 "maintenance": k in maint} for k in range(89, -1, -1)]
        outage = sum({"partial_outage": 0.3, "major_outage": 1.0}.get(s, 0) for s in worst.values())
        found[c["id"]] = {"percent": round(100 - outage * 100 / 90 / 24, 4), "days": days}
    return found


def _resolved_last_month() -> Doc:
    return incident("inc0old", "Delayed status emails", "resolved", "minor", [
        ("investigating", "Status emails are queued for up to 20 minutes.", ago(days=33, hours=2)),
        ("resolved", "The mail relay is back; the queue is empty.", ago(days=33))])


def _maint_done() -> Doc:
    return maintenance("mnt0done", "Database upgrade to PostgreSQL 17", "completed", ago(days=20),
                       ago(days=20, hours=-2), [
        ("scheduled", "We will upgrade the database; the API may be slow.", ago(days=27)),
        ("completed", "The upgrade is complete.", ago(days=20, hours=-2))])


def documents(status: str, comps: list[Doc], unresolved: list[Doc], maintenances: list[Doc],
              history: list[Doc], bad: dict[str, dict[int, str]] | None = None) -> Doc:
    """A contract dict; `maintenances` of any status (the summary keeps the upcoming and active ones)."""
    everything = sorted({i["id"]: i for i in [*unresolved, *history]}.values(),
                        key=lambda i: i["created_at"], reverse=True)
    incidents = [i for i in everything if "scheduled_for" not in i]
    all_maint = sorted({m["id"]: m for m in [*maintenances, *(h for h in history if "scheduled_for" in h)]}.values(),
                       key=lambda m: m["created_at"], reverse=True)
    return {
        "summary": {"page": page(), "status": {"indicator": status, "description": DESCRIPTIONS[status]},
                    "components": comps, "incidents": unresolved,
                    "scheduled_maintenances": [m for m in all_maint
                                               if m["status"] in ("scheduled", "in_progress", "verifying")]},
        "incidents": incidents,
        "scheduled_maintenances": all_maint,
        "history": [*everything, *[m for m in all_maint if m not in everything]],
        "uptime": uptime(comps, bad, {"cdb": {20}}),
        "branding": {"logo_url": None, "accent": "#6f42c1", "custom_css": None,
                     "footer_links": [{"label": "Pria home", "url": "https://pria.example"},
                                      {"label": "Privacy", "url": "https://pria.example/privacy"}],
                     "support_url": "https://pria.example/support"},
    }


def page_in(state: str) -> Doc:
    """A page in one of STATES."""
    past = [_resolved_last_month(), _maint_done()]
    if state == "empty":
        docs = documents("none", [], [], [], [])
        docs["uptime"] = {}
        docs["branding"] = {"logo_url": None, "accent": "#0b5cad", "custom_css": None, "footer_links": [],
                            "support_url": None}
        return docs
    if state == "operational":
        return documents("none", components(), [], [], past, {"capi": {33: "partial_outage"}})
    if state in ("minor", "major", "critical"):
        api = {"minor": "degraded_performance", "major": "partial_outage", "critical": "major_outage"}[state]
        comps = components(api=api)
        name = {"minor": "Slow API responses", "major": "Elevated API error rates",
                "critical": "API unavailable"}[state]
        now_incident = incident(f"inc{state}", name, "identified", state, [
            ("investigating", "We are investigating reports of errors from the API.", ago(minutes=40)),
            ("identified", "A bad deploy of the API gateway is the cause; we are rolling it back.", ago(minutes=12))],
            affected=[c for c in comps if c["id"] == "capi"])
        return documents(state, comps, [now_incident], [], [now_incident, *past],
                         {"capi": {0: api, 33: "partial_outage"}})
    if state == "maintenance":
        comps = components(db="under_maintenance")
        window = maintenance("mntnow", "Database storage migration", "in_progress", ago(minutes=30), ago(minutes=-90), [
            ("scheduled", "We will move the database to new storage. Writes may pause for a few seconds.", ago(days=3)),
            ("in_progress", "The migration has started.", ago(minutes=30))],
            affected=[c for c in comps if c["id"] == "cdb"])
        docs = documents("maintenance", comps, [], [window], past)
        docs["uptime"]["cdb"]["days"][-1] |= {"worst": "under_maintenance", "maintenance": True}
        return docs
    if state == "several":
        comps = components(api="major_outage", web="degraded_performance", queue="partial_outage",
                           mail="degraded_performance")
        first = incident("incapi", "API unavailable in eu-west", "investigating", "critical", [
            ("investigating", "Requests to the API in eu-west fail. We are investigating.", ago(minutes=8))],
            affected=[comps[1]])
        second = incident("incqueue", "Queue backlog delays notifications", "monitoring", "major", [
            ("investigating", "Jobs wait longer than usual.", ago(hours=2)),
            ("identified", "A consumer host ran out of disk.", ago(hours=1, minutes=30)),
            ("monitoring", "Disk freed; the backlog is draining.\nWe will post again within the hour.",
             ago(minutes=25))],
            affected=[comps[4]])
        third = incident("incweb", "Dashboard charts load slowly", "identified", "minor", [
            ("investigating", "Some charts take over 10 s to load.", ago(hours=3)),
            ("identified", "A slow query; a fix is on its way.", ago(hours=2, minutes=40))],
            affected=[comps[0], comps[5]])
        upcoming = maintenance("mntnext", "Network maintenance", "scheduled", ago(days=-2), ago(days=-2, hours=-2), [
            ("scheduled", "Our provider will replace a core switch; brief connection drops are possible.",
             ago(days=1))],
            affected=[comps[1], comps[0]])
        return documents("critical", comps, [first, second, third], [upcoming], [first, second, third, *past],
                         {"capi": {0: "major_outage", 5: "partial_outage", 33: "partial_outage"},
                          "cweb": {0: "degraded_performance"}, "cqueue": {0: "partial_outage", 61: "major_outage"}})
    raise ValueError(state)
