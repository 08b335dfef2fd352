"""What every rendering reads that only `config apply` changes: severities' names and cadences,
stage titles, the organisation's name and support contact, and the templates from the config tree.
Read once per configuration version (apply bumps `organisations.config_version`), so a message costs
one statement for this instead of five."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.incidents.models import LifecycleStage
from firebell.messages.models import MessageTemplate
from firebell.org.models import Organisation
from firebell.severity.models import SeverityLevelRow
from firebell.store.txcache import PerVersion


@dataclass(frozen=True)
class Reference:
    version: int | None
    org_name: str = "Firebell"
    support_contact: str = ""
    severities: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # key -> (name, update every s)
    stages: dict[str, str] = field(default_factory=dict)  # name -> title
    # (purpose, channel) -> [(service, parts, origin)]
    templates: dict[tuple[str, str], list[tuple[str, dict[str, str], str]]] = field(default_factory=dict)


_cache: PerVersion[Reference] = PerVersion()


def reference(session: Session) -> Reference:
    org = session.execute(select(Organisation.config_version, Organisation.name, Organisation.support_contact)
                          .limit(1)).first()
    if org is None:  # nothing applied yet: nothing to cache
        return _read(session, None)
    return _cache.get(str(session.get_bind().engine.url), org[0], lambda: _read(session, org))


def _read(session: Session, org: Any) -> Reference:
    templates: dict[tuple[str, str], list[tuple[str, dict[str, str], str]]] = {}
    for row in session.execute(select(MessageTemplate.purpose, MessageTemplate.channel, MessageTemplate.service,
                                      MessageTemplate.parts, MessageTemplate.origin)):
        templates.setdefault((row[0], row[1]), []).append((row[2], dict(row[3] or {}), row[4]))
    return Reference(
        version=org[0] if org is not None else None, org_name=org[1] if org is not None else "Firebell",
        support_contact=(org[2] or "") if org is not None else "",
        severities={key: (name, every) for key, name, every in session.execute(
            select(SeverityLevelRow.key, SeverityLevelRow.name, SeverityLevelRow.update_every_s))},
        stages={name: title or name for name, title in session.execute(
            select(LifecycleStage.name, LifecycleStage.title))},
        templates=templates)
