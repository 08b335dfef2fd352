"""Who may see and change an incident. Pure: the shell loads the facts, this decides.

- admin: everything.
- responder: sees every public incident and acts on incidents of their teams or that they were
  added to (a role or as a responder); declares incidents for their teams.
- viewer: reads, never writes, and is never put on call.
Schedules belong to a team: its responders and admins change them (overrides, calendar feed) and
hold their secret feed URL; everyone sees who is on call.
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


def can_act_for_team(principal: Principal, team_id: str | None) -> bool:
    """Act in a team's name (declare its incidents, change its schedules). Something of no team is
    the admins' alone."""
    if principal.role is AccessRole.ADMIN:
        return True
    if principal.role is AccessRole.VIEWER:
        return False
    return team_id is not None and team_id in principal.team_ids


def can_declare(principal: Principal, team_id: str | None) -> bool:
    return can_act_for_team(principal, team_id)


def can_change_schedule(principal: Principal, schedule_team_id: str | None) -> bool:
    """Add overrides, rotate the calendar feed, and read its secret URL."""
    return can_act_for_team(principal, schedule_team_id)


def can_be_on_call(access: AccessRole) -> bool:
    """Whom an override may put on call: someone paged must be able to acknowledge."""
    return access is not AccessRole.VIEWER
