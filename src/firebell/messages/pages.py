"""The words of a page (purpose "page"), for the sender (notify/sender.py), which receives this
function through `Channels.render_page` (firebell/jobs.py wires it: notify cannot import messages)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from firebell.incidents.models import Incident
from firebell.messages import render
from firebell.notify.channels.base import Rendered


def render_page(session: Session, incident_id: str, channel: str, page: Mapping[str, str],
                links: Mapping[str, str], now: datetime, public_url: str) -> Rendered | None:
    incident = session.get(Incident, incident_id)
    if incident is None:
        return None
    return render.for_incident(session, "page", channel, incident, now, public_url=public_url,
                               extra={"page": page}, links={k: v for k, v in links.items() if v})
