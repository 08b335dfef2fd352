"""Tables for the organisation as configured. Configuration-managed rows are archived, not deleted,
so incidents and timelines that point at them stay intact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from firebell.store.base import Base, JSONType, UTCDateTime, id_column


class Organisation(Base):
    """One organisation per database."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Bumped by every config apply; processes cache the ingestion configuration against it.
    config_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Link templates built from alert labels, by name ({"trace": "https://tempo.example/trace/{traceID}"}).
    links: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict, server_default="{}")
    # Where customers ask questions, named in customer emails ("support@example.com").
    support_contact: Mapped[str] = mapped_column(String(200), default="", server_default="")


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OrgRole(Base):
    """A job role such as 'security-lead' or 'cto', used to find people (escalation, comms)."""

    __tablename__ = "org_roles"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)  # handle, e.g. "alice"
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    access: Mapped[str] = mapped_column(String(20), default="responder")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    slack_user_id: Mapped[str | None] = mapped_column(String(50), nullable=True, unique=True)  # U0123ABCD
    # Wall-clock night in the user's zone: low-urgency pages do not phone then unless they opt in.
    quiet_start: Mapped[str] = mapped_column(String(5), default="22:00", server_default="22:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="07:00", server_default="07:00")
    phone_low_urgency_at_night: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Bumped to revoke the person's calendar feed URL (oncall/feeds.py): old URLs stop working.
    feed_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # "config" for users of the tree, "sign-in" for those single sign-on created (sign_in.oidc.create_users):
    # an apply leaves the latter alone unless the tree names them, and then they become the tree's.
    origin: Mapped[str] = mapped_column(String(20), default="config", server_default="config")
    # Who keeps contact methods, notification rules and quiet hours: "managed" by the config tree
    # (apply makes them match it; the person cannot edit them) or "personal" (the person edits them
    # on /me and through the API; apply leaves them alone). docs/config-reaching-people.md.
    notification_settings: Mapped[str] = mapped_column(String(10), default="managed", server_default="managed")

    memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    role_links: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    contact_methods: Mapped[list[ContactMethod]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin",
        order_by="ContactMethod.position",
    )
    notification_rules: Mapped[list[NotificationRule]] = relationship(
        cascade="all, delete-orphan", lazy="selectin",
        order_by="(NotificationRule.urgency, NotificationRule.delay_minutes, NotificationRule.position)",
    )


class TeamMembership(Base):
    __tablename__ = "team_memberships"
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    user: Mapped[User] = relationship(back_populates="memberships")
    team: Mapped[Team] = relationship(lazy="joined")


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role_id: Mapped[str] = mapped_column(ForeignKey("org_roles.id"), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_links")
    role: Mapped[OrgRole] = relationship(lazy="joined")


class ContactMethod(Base):
    __tablename__ = "contact_methods"
    __table_args__ = (UniqueConstraint("user_id", "type", "address"),)
    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(String(20))  # email, sms, voice, slack, webhook
    address: Mapped[str] = mapped_column(String(500))
    label: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user: Mapped[User] = relationship(back_populates="contact_methods")


class NotificationRule(Base):
    """A personal rule: for pages of this urgency, use this contact method this many minutes after
    the page is made (unless it was acknowledged by then)."""

    __tablename__ = "notification_rules"
    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contact_method_id: Mapped[str] = mapped_column(ForeignKey("contact_methods.id", ondelete="CASCADE"))
    urgency: Mapped[str] = mapped_column(String(4))  # high, low
    delay_minutes: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order as configured


class Service(Base):
    __tablename__ = "services"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    # Either one policy name or {severity key: policy name}.
    escalation_policy: Mapped[Any] = mapped_column(JSONType, nullable=True)
    status_page_component: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # How alerts become incidents: paging threshold, severity mapping, grouping labels,
    # auto-resolve, flapping limits (see alerts/settings.py for the shape and defaults).
    alerting: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, server_default="{}")
    # The service's own link templates; each replaces the organisation's of the same name.
    links: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict, server_default="{}")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    team: Mapped[Team] = relationship(lazy="joined")
