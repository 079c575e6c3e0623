"""The gauges that need the database, read when Prometheus scrapes (hub.ops.metrics_server), with a short time-out:

- ``hub_outbox_depth``: mails waiting for a worker (pending, or claimed and not yet sent);
- ``hub_outbox_oldest_pending_age_seconds``: how long the oldest of them has waited (0 when none waits);
- ``hub_clock_oldest_overdue_seconds``: how far past its due moment the oldest running reaction clock is (0: none);
- ``hub_worker_lag_seconds``: time since a worker last completed its sweep (hub.ops.heartbeat), the same on every
  server; absent before the first sweep;
- ``hub_metrics_database_up``: 1 when these were read, 0 when the database did not answer in time (then the others
  are absent rather than wrong).

Counts and ages only: no ids, no organisation names, nothing of a person.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import utcnow
from hub.messaging.models import Clock
from hub.notifications.models import MailStatus, OutboxMail
from hub.ops.models import WORKER_SWEEP, Heartbeat

log = logging.getLogger(__name__)

WAITING = (MailStatus.PENDING.value, MailStatus.SENDING.value)


@dataclass(frozen=True)
class DatabaseGauges:
    outbox_depth: int
    outbox_oldest_age: float
    clock_oldest_overdue: float
    worker_lag: float | None


def _age(now: datetime, moment: datetime | None) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment is not None else 0.0


async def read_gauges(sessions: async_sessionmaker[AsyncSession], now: datetime) -> DatabaseGauges:
    async with sessions() as db:
        await db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})  # reads only: no write lock
        depth, oldest = (
            await db.execute(
                select(func.count(), func.min(col(OutboxMail.created_at))).where(col(OutboxMail.status).in_(WAITING))
            )
        ).one()
        overdue = (
            await db.execute(
                select(func.min(col(Clock.due_at))).where(col(Clock.stopped_at).is_(None), col(Clock.due_at) < now)
            )
        ).scalar_one_or_none()
        swept = (
            await db.execute(select(col(Heartbeat.completed_at)).where(col(Heartbeat.job) == WORKER_SWEEP))
        ).scalar_one_or_none()
    return DatabaseGauges(
        outbox_depth=int(depth),
        outbox_oldest_age=_age(now, _aware(oldest)),
        clock_oldest_overdue=_age(now, _aware(overdue)),
        worker_lag=_age(now, swept) if swept is not None else None,
    )


def _aware(moment: datetime | None) -> datetime | None:
    """An aggregate's result skips the column type on SQLite (a naive UTC datetime, or its text): made aware here."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)


class DatabaseCollector(Collector):
    """Collected in the metrics server's thread: the queries run on the app's event loop, at most ``timeout``
    seconds."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        loop: asyncio.AbstractEventLoop,
        *,
        timeout: float = 3.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.loop = loop
        self.timeout = timeout
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("hub_metrics_database_up", "1 when the database gauges could be read in time")
        try:
            future = asyncio.run_coroutine_threadsafe(
                asyncio.wait_for(read_gauges(self.sessions, self.clock()), self.timeout), self.loop
            )
            gauges = future.result(self.timeout + 1)
        except Exception as exc:
            log.warning("metrics: the database gauges could not be read: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("hub_outbox_depth", "Mails waiting for a worker", value=gauges.outbox_depth)
        yield GaugeMetricFamily(
            "hub_outbox_oldest_pending_age_seconds",
            "Seconds the oldest waiting mail has waited",
            value=gauges.outbox_oldest_age,
        )
        yield GaugeMetricFamily(
            "hub_clock_oldest_overdue_seconds",
            "Seconds the oldest running reaction clock is past its due moment",
            value=gauges.clock_oldest_overdue,
        )
        if gauges.worker_lag is not None:
            yield GaugeMetricFamily(
                "hub_worker_lag_seconds", "Seconds since a worker last completed its sweep", value=gauges.worker_lag
            )
