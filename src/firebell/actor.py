"""Who is doing something, and through which channel; carried into timeline events."""

from __future__ import annotations

from dataclasses import dataclass

from firebell.core.access import AccessRole, Principal


@dataclass(frozen=True)
class Actor:
    principal: Principal
    user_name: str
    display_name: str
    via: str = "api"  # api, cli, web, slack, sms, email, ...

    @property
    def label(self) -> str:
        return f"{self.display_name or self.user_name} via {self.via}"

    @property
    def user_id(self) -> str:
        return self.principal.user_id

    @property
    def is_admin(self) -> bool:
        return self.principal.role is AccessRole.ADMIN
