"""The retention policy of a running hub, from its HUB_RETENTION_* settings (the worker and the command share it)."""

from __future__ import annotations

from hub.retention.policy import RetentionPolicy
from hub.runtime import Runtime


def policy_of(runtime: Runtime) -> RetentionPolicy:
    settings = runtime.settings
    return RetentionPolicy(
        case_years=settings.retention_case_years,
        withdrawn_days=settings.retention_withdrawn_days,
        outbox_days=settings.retention_outbox_days,
    )
