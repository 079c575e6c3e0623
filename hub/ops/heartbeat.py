"""Recording the worker's completed sweeps (hub.ops.models.Heartbeat)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.ops.models import WORKER_SWEEP, Heartbeat


async def record_sweep(db: AsyncSession, now: datetime) -> None:
    """The worker completed a sweep at ``now``. Only ever moves forward: a worker whose clock lags behind another's
    does not make the lag look larger."""
    await db.execute(
        update(Heartbeat)
        .where(
            col(Heartbeat.job) == WORKER_SWEEP,
            or_(col(Heartbeat.completed_at).is_(None), col(Heartbeat.completed_at) < now),
        )
        .values(completed_at=now)
        .execution_options(synchronize_session=False)
    )
