"""Imports every table module so that SQLModel.metadata is complete (for Alembic and tests)."""

from hub.accounts import kept_forms as accounts_kept_forms
from hub.accounts import models as accounts_models
from hub.accounts import topic_contacts as accounts_topic_contacts
from hub.audit import models as audit_models
from hub.calendars import models as calendars_models
from hub.cases import models as cases_models
from hub.documents import models as documents_models
from hub.messaging import models as messaging_models
from hub.monitoring import steekproef_models as monitoring_steekproef_models
from hub.notes import models as notes_models
from hub.notifications import models as notifications_models
from hub.ops import models as ops_models
from hub.orgdocs import models as orgdocs_models
from hub.retention import models as retention_models
from hub.webhooks import models as webhooks_models

__all__ = [
    "accounts_kept_forms",
    "accounts_models",
    "accounts_topic_contacts",
    "audit_models",
    "calendars_models",
    "cases_models",
    "documents_models",
    "messaging_models",
    "monitoring_steekproef_models",
    "notes_models",
    "notifications_models",
    "ops_models",
    "orgdocs_models",
    "retention_models",
    "webhooks_models",
]
