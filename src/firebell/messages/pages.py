"""The words of a page, for the sender (notify/sender.py), which receives this function through
`Channels.render_page` (firebell/jobs.py wires it: notify cannot import messages).

A page a person asked for (kind "manual": `add-responder` with a message, `incident escalate`) is a
request for help, so on the channels the escalation message has (TenSafe "Escalation Communication":
email, Slack, SMS) its words come from purpose "escalation", with the message given as
`escalation.help`, what was done so far (`incident escalate --actions-taken`) as `escalation.actions`
and who is asked as `escalation.to`; a call keeps the page's words. Every other page
uses purpose "page"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from firebell.incidents.models import Incident
from firebell.messages import render
from firebell.messages.catalogue import PURPOSES
from firebell.notify.channels.base import Rendered

MANUAL = "manual"


def purpose_of_page(kind: str, channel: str) -> str:
    return "escalation" if kind == MANUAL and channel in PURPOSES["escalation"].channels else "page"


def render_page(session: Session, incident_id: str, channel: str, page: Mapping[str, str],
                links: Mapping[str, str], now: datetime, public_url: str) -> Rendered | None:
    incident = session.get(Incident, incident_id)
    if incident is None:
        return None
    purpose = purpose_of_page(page.get("kind", ""), channel)
    asked = {name: page.get(name, "") for name in ("help", "to", "actions")}
    extra = {"escalation": asked} if purpose == "escalation" else {"page": page}
    return render.for_incident(session, purpose, channel, incident, now, public_url=public_url,
                               extra=extra, links={k: v for k, v in links.items() if v})
