"""Import every domain's tables so the metadata is complete (Alembic and tests use this)."""

from firebell.alerts import models as alert_models
from firebell.auth import models as auth_models
from firebell.incidents import models as incident_models
from firebell.org import models as org_models
from firebell.severity import models as severity_models
from firebell.store.base import Base

__all__ = ["Base", "alert_models", "auth_models", "incident_models", "org_models", "severity_models"]
