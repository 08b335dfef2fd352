"""Import every domain's tables so the metadata is complete (Alembic and tests use this)."""

from firebell.alerts import models as alert_models
from firebell.auth import models as auth_models
from firebell.engine import models as engine_models
from firebell.escalation import models as escalation_models
from firebell.incidents import models as incident_models
from firebell.notify import models as notify_models
from firebell.oncall import models as oncall_models
from firebell.org import models as org_models
from firebell.severity import models as severity_models
from firebell.slack import models as slack_models
from firebell.store import replay as replay_models
from firebell.store.base import Base

__all__ = ["Base", "alert_models", "auth_models", "engine_models", "escalation_models", "incident_models",
           "notify_models", "oncall_models", "org_models", "replay_models", "severity_models", "slack_models"]
