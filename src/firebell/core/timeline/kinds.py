"""The kinds of timeline event: every name the `timeline_events.type` column holds."""

from __future__ import annotations

from enum import StrEnum

FIREBELL = "firebell"  # the actor of events Firebell records on its own account


class EventKind(StrEnum):
    # The incident itself (incidents/)
    DECLARED = "declared"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    STAGE_CHANGED = "stage_changed"
    NOTE_ADDED = "note_added"
    STATUS_UPDATE = "status_update"
    SEVERITY_CHANGED = "severity_changed"
    ROLE_ASSIGNED = "role_assigned"
    ROLE_UNASSIGNED = "role_unassigned"
    RESPONDER_ADDED = "responder_added"
    DETAILS_CHANGED = "details_changed"
    UPDATE_DUE = "update_due"
    UPDATE_OVERDUE = "update_overdue"
    # Its alerts (alerts/)
    ALERT_ATTACHED = "alert_attached"
    ALERT_REFIRED = "alert_refired"
    ALERT_RESOLVED = "alert_resolved"
    # Its escalation (escalation/)
    ESCALATED = "escalated"
    REASSIGNED = "reassigned"
    ESCALATION_STEP = "escalation_step"
    ESCALATION_TRIGGER = "escalation_trigger"
    ESCALATION_EXHAUSTED = "escalation_exhausted"
    # Its pages (notify/) and its Slack message (slack/)
    NOTIFICATION_SENT = "notification_sent"
    NOTIFICATION_FAILED = "notification_failed"
    NOTIFICATION_FAILOVER = "notification_failover"
    NOTIFICATION_CANCELLED = "notification_cancelled"
    NOTIFICATION_UNCERTAIN = "notification_uncertain"
    NOTIFICATION_HELD = "notification_held"
    NOTIFICATION_BUNDLED = "notification_bundled"
    NOTIFICATION_UNDELIVERED = "notification_undelivered"
    PAGE_UNDELIVERABLE = "page_undeliverable"
    SLACK_MESSAGE_FAILED = "slack_message_failed"
    # What was said about it (messages/)
    MESSAGE_SENT = "message_sent"
    TEMPLATE_FELL_BACK = "template_fell_back"
    CUSTOMER_EMAIL_DRAFTED = "customer_email_drafted"
    CUSTOMER_EMAIL_APPROVED = "customer_email_approved"
    CUSTOMER_EMAIL_SENT = "customer_email_sent"
    CUSTOMER_EMAIL_DISCARDED = "customer_email_discarded"
    # What the public status page says of it (statuspage/)
    PUBLIC_INCIDENT_OPENED = "public_incident_opened"
    PUBLIC_INCIDENT_UPDATED = "public_incident_updated"
    PUBLIC_RESOLUTION_PROPOSED = "public_resolution_proposed"
