"""Lists: filters, cursor pagination, and the other read endpoints."""

from __future__ import annotations

from tests.api.conftest import Api


def _refs(page: dict) -> list[str]:  # type: ignore[type-arg]
    return [i["ref"] for i in page["items"]]


def test_cursor_pagination_walks_every_incident_once(api: Api) -> None:
    for _ in range(7):
        api.declare()
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/incidents", limit=3, **({"cursor": cursor} if cursor else {})).json()
        seen += _refs(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
        api.declare()  # new incidents arriving mid-walk do not shift the pages
    assert seen == [f"INC-{n}" for n in range(7, 0, -1)]


def test_filters(api: Api) -> None:
    api.declare(severity="P1", services=["api"])
    api.clock.advance(hours=1)
    api.declare(severity="P3", services=["database"])
    api.declare(severity="P2", services=["auth"], who="sam")
    api.post("/api/v1/incidents/INC-2/acknowledge")
    api.post("/api/v1/incidents/INC-3/resolve")
    assert _refs(api.get("/api/v1/incidents", status="triggered").json()) == ["INC-1"]
    assert _refs(api.get("/api/v1/incidents", status="triggered,acknowledged").json()) == ["INC-2", "INC-1"]
    assert _refs(api.get("/api/v1/incidents", severity="P3").json()) == ["INC-2"]
    assert _refs(api.get("/api/v1/incidents", service="database").json()) == ["INC-2"]
    assert _refs(api.get("/api/v1/incidents", team="security").json()) == ["INC-3"]
    assert _refs(api.get("/api/v1/incidents", since="2026-11-23T03:30:00Z").json()) == ["INC-3", "INC-2"]
    assert _refs(api.get("/api/v1/incidents", since="2026-11-23T04:30:00+01:00").json()) == ["INC-3", "INC-2"]


def test_bad_list_parameters_are_explained(api: Api) -> None:
    for params, message in (({"cursor": "garbage"}, "cursor"), ({"status": "open"}, "unknown status 'open'"),
                            ({"limit": 0}, "limit"), ({"since": "yesterday"}, "since"),
                            ({"since": "2026-11-23T03:00:00"}, "time zone")):
        response = api.get("/api/v1/incidents", **params)
        assert response.status_code == 422, params
        assert message in response.json()["detail"]


def test_organisation_reads(api: Api) -> None:
    services = api.get("/api/v1/services", who="vera").json()
    assert [s["name"] for s in services] == ["api", "auth", "database"]
    assert services[0]["status_page_component"] == "API" and services[0]["team"] == "platform"
    teams = {t["name"]: t["members"] for t in api.get("/api/v1/teams").json()}
    assert teams["security"] == ["sam"]
    users = {u["name"]: u for u in api.get("/api/v1/users").json()}
    assert users["sam"]["roles"] == ["security-lead"] and users["alice"]["timezone"] == "Europe/Stockholm"


def test_severity_levels_and_assessment(api: Api) -> None:
    levels = api.get("/api/v1/severity/levels", who="vera").json()
    assert [lv["key"] for lv in levels] == ["P1", "P2", "P3", "P4"]
    assert levels[0]["acknowledge_within_seconds"] == 300 and levels[1]["recover_within_seconds"] == 7200
    assert levels[0]["update_every_seconds"] == 900 and levels[0]["postmortem_due_seconds"] == 86400
    result = api.post("/api/v1/severity/assess",
                      {"metrics": {"error_rate": 12, "latency_multiple": 3, "users_affected": 30}}, who="vera").json()
    assert result["severity"] == "P2"
    assert {m["name"] for m in result["matched"]} == {"error-rate-high", "latency-degraded", "users-many"}
    outage = api.post("/api/v1/severity/assess", {"flags": ["full_outage"]}).json()
    assert outage["severity"] == "P1"
    typo = api.post("/api/v1/severity/assess", {"metrics": {"eror_rate": 5}})
    assert typo.status_code == 422 and "eror_rate" in typo.json()["detail"]


def test_health_readiness_and_openapi(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    spec = api.client.get("/openapi.json").json()
    assert "/api/v1/incidents/{ref}/acknowledge" in spec["paths"]


def test_readyz_reports_unmigrated_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from firebell.app import create_app
    from firebell.store.db import make_engine, sqlite_url
    from firebell.store.uow import Database

    client = TestClient(create_app(Database(make_engine(sqlite_url(tmp_path / "empty.db")))))
    response = client.get("/readyz")
    assert response.status_code == 503 and "firebell db upgrade" in response.json()["reason"]
    assert client.get("/healthz").status_code == 200


def test_a_page_of_incidents_costs_the_same_statements_whatever_its_length(api: Api) -> None:
    """The incident list is what dashboards poll during a storm: its queries must not grow with the
    page (each incident's SLA targets were a query of their own)."""
    from tests.statements import statements_sent

    for severity in ("P1", "P2", "P3") * 10:
        api.declare(severity=severity)
    counts = []
    with statements_sent(api.db.engine) as statements:
        for limit in (3, 30):
            statements.clear()
            assert len(api.get("/api/v1/incidents", limit=limit).json()["items"]) == limit
            counts.append(len(statements))
    assert counts[0] == counts[1], counts
    # Under load every round trip hands the GIL over: authentication (2), the page, its links, the
    # names, the severities' clocks and the status updates: seven, not eleven as before.
    assert counts[1] <= 7, statements


def test_the_list_reads_status_updates_through_their_own_index(api: Api) -> None:
    """A storm's incidents have thousands of alert events each; the list's 'updates missed' reads
    only status updates, through the partial index of migration 0014, on both stores."""
    sql = ("SELECT incident_id, occurred_at FROM timeline_events "
           "WHERE incident_id IN ('a', 'b') AND type = 'status_update'")
    with api.db.unit_of_work(write=False) as session:
        connection = session.connection()
        if api.db.dialect == "sqlite":
            plan = " | ".join(str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            assert "INDEX ix_timeline_status_updates" in plan, plan
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")  # tiny tables: show the index it would use
            (document,), = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql).one()
            nodes = [document["Plan"]]
            for node in nodes:
                nodes += node.get("Plans", [])
            assert any(n.get("Index Name") == "ix_timeline_status_updates" for n in nodes), nodes
