"""Leases for work that must run once across every engine sharing a database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.base import Base, UTCDateTime


class Lease(Base):
    """Held by one engine until `expires_at`; `token` grows with every new holder, so work done
    under an expired lease can be recognised and refused (fencing)."""

    __tablename__ = "engine_leases"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    token: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
