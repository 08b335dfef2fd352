"""Nothing stored in the database signs an action link the server accepts: whoever can read the
database (a copy, a backup, a world-readable file) cannot acknowledge or resolve as somebody else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect, select, text

from firebell.core.action_links import make_token
from firebell.incidents.models import Incident
from firebell.org.models import User
from tests.api.conftest import Api
from tests.escalation.test_paging_end_to_end import first_email_link


def _stored_text(api: Api) -> set[str]:
    """Every text value in every table of the database, whatever the tables are."""
    found: set[str] = set()
    with api.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                found.update(value for value in row if isinstance(value, str))
    return found


def test_a_link_signed_with_anything_the_database_holds_is_refused(api: Api) -> None:
    genuine = first_email_link(api)  # a page with links: the server has its signing key by now
    with api.db.unit_of_work(write=False) as session:
        incident_id = session.execute(select(Incident.id)).scalar_one()
        admin_id = session.execute(select(User.id).where(User.name == "admin")).scalar_one()
    expires = api.clock.now + timedelta(hours=1)
    candidates = [value for value in _stored_text(api) if len(value.encode()) >= 16]
    assert candidates
    accepted = []
    for candidate in candidates:
        forged = make_token(candidate.encode(), "acknowledge", incident_id, admin_id, "forged:acknowledge", expires)
        if api.client.post(f"/act/{forged}").status_code != 400:
            accepted.append(candidate)
    assert accepted == []
    (incident,) = api.get("/api/v1/incidents").json()["items"]
    assert incident["status"] == "triggered"
    assert api.client.post(genuine).status_code == 200  # the server's own links still work
