"""Who may see and change an incident. Pure: the shell loads the facts, this decides.

- admin: everything.
- responder: sees every public incident and acts on incidents of their teams or that they were
  added to (a role or as a responder); declares incidents for their teams.
- viewer: reads, never writes.
Private incidents (security, data breach) are visible only to the owning team, admins and people
added to the incident; everyone else is told it does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AccessRole(StrEnum):
    ADMIN = "admin"
    RESPONDER = "responder"
    VIEWER = "viewer"


_RANK = {AccessRole.VIEWER: 0, AccessRole.RESPONDER: 1, AccessRole.ADMIN: 2}


def role_at_most(requested: AccessRole, ceiling: AccessRole) -> bool:
    return _RANK[requested] <= _RANK[ceiling]


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: AccessRole
    team_ids: frozenset[str]


@dataclass(frozen=True)
class IncidentFacts:
    team_id: str | None
    private: bool
    participant_ids: frozenset[str]  # role holders and added responders


def _involved(principal: Principal, incident: IncidentFacts) -> bool:
    in_team = incident.team_id is not None and incident.team_id in principal.team_ids
    return in_team or principal.user_id in incident.participant_ids


def can_view(principal: Principal, incident: IncidentFacts) -> bool:
    if principal.role is AccessRole.ADMIN or not incident.private:
        return True
    return _involved(principal, incident)


def can_act(principal: Principal, incident: IncidentFacts) -> bool:
    if principal.role is AccessRole.ADMIN:
        return True
    if principal.role is AccessRole.VIEWER:
        return False
    return _involved(principal, incident)


def can_declare(principal: Principal, team_id: str | None) -> bool:
    if principal.role is AccessRole.ADMIN:
        return True
    if principal.role is AccessRole.VIEWER:
        return False
    return team_id is not None and team_id in principal.team_ids
