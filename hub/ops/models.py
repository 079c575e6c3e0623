"""The worker's heartbeat: when a worker last completed its sweep, in the database so that every server reports the
same worker lag (a metric, hub.ops.gauges), however many workers there are and whichever of them swept last.
The migration inserts the one row; workers only update it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from hub.db import UTCDateTime

WORKER_SWEEP = "worker_sweep"


class Heartbeat(SQLModel, table=True):
    __tablename__ = "ops_heartbeat"

    job: str = Field(primary_key=True, max_length=40)  # WORKER_SWEEP
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))  # None: never
