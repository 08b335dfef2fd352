"""One way to answer a page, whichever channel it came from.

The API, the CLI, an email link, a Slack button or slash command, an SMS reply and a key pressed on a
voice call all end here, so they follow the same rules (access, the lifecycle's refusals, stopping
the ladder) and leave the same timeline event ("acknowledged by Alice via sms"). A refusal is a
DecisionError whose message says why nothing happened ("INC-12 is already acknowledged"); callers
report it on their own channel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from firebell.auth.service import actor_for
from firebell.core.access import AccessRole
from firebell.errors import Forbidden, Invalid
from firebell.incidents import service
from firebell.incidents.effects import IncidentEffects
from firebell.org.models import User

Response = Literal["acknowledge", "resolve", "escalate", "command"]
RESPONSES: tuple[Response, ...] = ("acknowledge", "resolve", "escalate", "command")


def respond(session: Session, user: User, ref: str, action: str, via: str, now: datetime, *,
            effects: IncidentEffects, help_needed: str = "", actions_taken: str = "") -> str:
    """Carry out `action` on incident `ref` as `user` coming through `via`; the answer to show them.
    `effects`: what the change sets off in the domains above incidents (incidents/effects.py).
    `help_needed`, `actions_taken`: what an escalation asks for, carried into its pages."""
    if user.archived_at is not None:
        raise Forbidden(f"{user.name} no longer has access to Firebell")
    actor = actor_for(user, AccessRole(user.access), via=via)
    who = actor.display_name
    if action == "acknowledge":
        incident = service.acknowledge(session, actor, ref, now, effects=effects)
        return f"{incident.ref} acknowledged by {who} via {via}"
    if action == "resolve":
        incident = service.resolve(session, actor, ref, now, f"resolved via {via}", effects=effects)
        return f"{incident.ref} resolved by {who} via {via}"
    if action == "escalate":
        level = effects.escalate(session, actor, ref, None, now, help_needed=help_needed,
                                 actions_taken=actions_taken)
        return f"{ref} escalated by {who}: level {level} is being paged"
    if action == "command":
        incident = service.assign_role(session, actor, ref, "commander", user.name, now)
        return f"{who} is now commander of {incident.ref}"
    raise Invalid(f"unknown response {action!r}; one of {', '.join(RESPONSES)}")
