"""What every rendering reads that only `config apply` changes: severities' names and cadences,
stage titles, the organisation's name and support contact, and the templates from the config tree.
Read once per configuration version (apply bumps `organisations.config_version`), so a message costs
one statement for this instead of five."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.incidents.models import LifecycleStage
from firebell.messages.models import MessageTemplate
from firebell.org.models import Organisation
from firebell.severity.models import SeverityLevelRow


@dataclass(frozen=True)
class Reference:
    version: int | None
    org_name: str = "Firebell"
    support_contact: str = ""
    severities: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # key -> (name, update every s)
    stages: dict[str, str] = field(default_factory=dict)  # name -> title
    # (purpose, channel) -> [(service, parts, origin)]
    templates: dict[tuple[str, str], list[tuple[str, dict[str, str], str]]] = field(default_factory=dict)


_lock = threading.Lock()
_cached: dict[str, Reference] = {}  # by database URL: tests run several databases in one process


def reference(session: Session) -> Reference:
    org = session.execute(select(Organisation.config_version, Organisation.name, Organisation.support_contact)
                          .limit(1)).first()
    version = org[0] if org is not None else None
    key = str(session.get_bind().engine.url)
    found = _cached.get(key)
    if found is not None and found.version == version and version is not None:
        return found
    templates: dict[tuple[str, str], list[tuple[str, dict[str, str], str]]] = {}
    for row in session.execute(select(MessageTemplate.purpose, MessageTemplate.channel, MessageTemplate.service,
                                      MessageTemplate.parts, MessageTemplate.origin)):
        templates.setdefault((row[0], row[1]), []).append((row[2], dict(row[3] or {}), row[4]))
    fresh = Reference(
        version=version, org_name=org[1] if org is not None else "Firebell",
        support_contact=(org[2] or "") if org is not None else "",
        severities={key: (name, every) for key, name, every in session.execute(
            select(SeverityLevelRow.key, SeverityLevelRow.name, SeverityLevelRow.update_every_s))},
        stages={name: title or name for name, title in session.execute(
            select(LifecycleStage.name, LifecycleStage.title))},
        templates=templates)
    with _lock:
        _cached[key] = fresh
    return fresh
