"""Who may use the status page's management API: Statuspage's v1 sends `Authorization: OAuth <key>`.

A key is an API token of scope "statuspage" (`firebell statuspage key create`): it opens the management
API and nothing else, so the key pasted into a Terraform provider cannot read internal incidents. An
ordinary API token works here too, by its role. Viewers may read; writes need a responder or an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from firebell.actor import Actor
from firebell.api.deps import DB, Now, token_actor
from firebell.core.access import AccessRole
from firebell.errors import Forbidden

SCOPES = ("api", "statuspage")
REQUIRED = "a status page API key is required (Authorization: OAuth <key>)"


@dataclass(frozen=True)
class KeyHolder:
    actor: Actor
    token_id: str  # names the caller for Idempotency-Key


def _key(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() in ("oauth", "bearer") else None


def key_holder(request: Request, db: DB, clock: Now) -> KeyHolder:
    actor, token_id = token_actor(db, clock(), _key(request), via="statuspage-api", scopes=SCOPES,
                                  required=REQUIRED)
    if request.method not in ("GET", "HEAD") and actor.principal.role is AccessRole.VIEWER:
        raise Forbidden("a viewer's key may read the status page, not change it")
    return KeyHolder(actor=actor, token_id=token_id)


Holder = Annotated[KeyHolder, Depends(key_holder)]
