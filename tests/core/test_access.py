"""Access decisions for every role and incident kind."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from firebell.core.access import (
    AccessRole,
    IncidentFacts,
    Principal,
    can_act,
    can_be_on_call,
    can_change_schedule,
    can_declare,
    can_view,
    role_at_most,
)

OPS = "team-ops"
SEC = "team-sec"


def who(role: AccessRole, *teams: str, uid: str = "u1") -> Principal:
    return Principal(user_id=uid, role=role, team_ids=frozenset(teams))


def incident(team: str, private: bool = False, participants: tuple[str, ...] = ()) -> IncidentFacts:
    return IncidentFacts(team_id=team, private=private, participant_ids=frozenset(participants))


def test_admin_sees_and_acts_on_everything() -> None:
    admin = who(AccessRole.ADMIN)
    for inc in (incident(SEC), incident(SEC, private=True)):
        assert can_view(admin, inc) and can_act(admin, inc)
    assert can_declare(admin, SEC)


def test_responder_acts_within_their_teams() -> None:
    alice = who(AccessRole.RESPONDER, OPS)
    assert can_view(alice, incident(SEC)) and not can_act(alice, incident(SEC))
    assert can_act(alice, incident(OPS))
    assert can_declare(alice, OPS) and not can_declare(alice, SEC)


def test_private_incidents_hide_from_outsiders() -> None:
    alice = who(AccessRole.RESPONDER, OPS)
    breach = incident(SEC, private=True)
    assert not can_view(alice, breach) and not can_act(alice, breach)
    assert can_view(who(AccessRole.VIEWER, SEC), breach)
    added = incident(SEC, private=True, participants=("u1",))
    assert can_view(alice, added) and can_act(alice, added)


def test_viewers_never_write() -> None:
    viewer = who(AccessRole.VIEWER, OPS)
    assert can_view(viewer, incident(OPS))
    assert not can_act(viewer, incident(OPS)) and not can_declare(viewer, OPS)


def test_role_ceiling() -> None:
    assert role_at_most(AccessRole.VIEWER, AccessRole.RESPONDER)
    assert not role_at_most(AccessRole.ADMIN, AccessRole.RESPONDER)


@given(role=st.sampled_from(AccessRole), teams=st.frozensets(st.sampled_from((OPS, SEC, "team-db"))),
       schedule_team=st.sampled_from((OPS, SEC, None)))
def test_a_schedule_is_changed_by_its_teams_responders_and_admins_only(
        role: AccessRole, teams: frozenset[str], schedule_team: str | None) -> None:
    allowed = can_change_schedule(Principal(user_id="u1", role=role, team_ids=teams), schedule_team)
    in_team = schedule_team is not None and schedule_team in teams
    assert allowed == (role is AccessRole.ADMIN or (role is AccessRole.RESPONDER and in_team))


def test_viewers_are_never_put_on_call() -> None:
    assert [r for r in AccessRole if can_be_on_call(r)] == [AccessRole.ADMIN, AccessRole.RESPONDER]
