"""Field types the API shares: instants kept in the range `core.instants` computes with.

A request field or query parameter typed `Instant` refuses, as a 422 naming the field, a time without
a zone offset or one outside years 1900-8999 (UTC), so no route stores or adds a duration to a time
that overflows; the value it hands the route is in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from firebell.core.instants import checked_instant


def _instant(value: datetime) -> datetime:
    try:
        return checked_instant(value)
    except ValueError as exc:
        raise PydanticCustomError("instant", "{reason}", {"reason": str(exc)}) from None


Instant = Annotated[datetime, AfterValidator(_instant)]
