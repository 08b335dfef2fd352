"""Every table of every domain, imported so the metadata is complete (Alembic's environment and the
schema tests read it). It lives at the top of the package because `store` imports no domain."""

from firebell.alerts import models as alert_models
from firebell.audit import models as audit_models
from firebell.auth import models as auth_models
from firebell.auth import oidc_models
from firebell.chat import models as chat_models
from firebell.engine import models as engine_models
from firebell.escalation import models as escalation_models
from firebell.incidents import models as incident_models
from firebell.messages import customer_models
from firebell.messages import models as message_models
from firebell.notify import models as notify_models
from firebell.oncall import models as oncall_models
from firebell.org import models as org_models
from firebell.severity import models as severity_models
from firebell.slack import models as slack_models
from firebell.statuspage import idempotency as statuspage_idempotency
from firebell.statuspage import models as status_page_models
from firebell.statuspage.subscriptions import models as status_subscription_models
from firebell.store import replay as replay_models
from firebell.store.base import Base

__all__ = ["Base", "alert_models", "audit_models", "auth_models", "chat_models", "customer_models",
           "engine_models", "escalation_models", "incident_models", "message_models", "notify_models", "oidc_models",
           "oncall_models", "org_models", "replay_models", "severity_models", "slack_models",
           "status_page_models", "status_subscription_models", "statuspage_idempotency"]
