"""Readiness: may this server take requests? The database answers, the blob store answers through its own protocol,
and the database's schema is the one this code was written for (its alembic version is the scripts' head).

A probe may come every few seconds from every load balancer and kubelet, so the verdict is kept for ``ttl`` seconds
and each check has a short time-out. The answer names only the checks and whether each passed: no error text, no
address, no path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub import migrate

log = logging.getLogger(__name__)

CHECKS = ("database", "migrations", "blobs")


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(self.checks.get(name, False) for name in CHECKS)


class ReadinessProbe:
    """``await probe.check()``: the verdict, at most ``ttl`` seconds old."""

    def __init__(
        self,
        engine: AsyncEngine,
        blob_check: Callable[[], Awaitable[object]],
        *,
        head: str | None = None,
        ttl: float = 1.0,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.blob_check = blob_check
        self.head = head if head is not None else migrate.head_revision()  # the code's head: read once
        self.ttl = ttl
        self.timeout = timeout
        self.clock = clock
        self._verdict: Readiness | None = None
        self._taken = float("-inf")
        self._lock = asyncio.Lock()

    async def check(self) -> Readiness:
        async with self._lock:  # a burst of probes costs one round of checks
            if self._verdict is None or self.clock() - self._taken >= self.ttl:
                verdict = await self._run()
                if self._verdict is not None and verdict.checks != self._verdict.checks:
                    log.warning("readiness changed: %s", _summary(verdict))
                elif self._verdict is None and not verdict.ready:
                    log.warning("not ready: %s", _summary(verdict))
                self._verdict, self._taken = verdict, self.clock()
            return self._verdict

    async def _run(self) -> Readiness:
        revision = await self._within("database", self._database_revision())
        blobs = await self._within("blobs", self.blob_check())
        return Readiness(
            {
                "database": revision is not _FAILED,
                "migrations": revision is not _FAILED and revision == self.head,
                "blobs": blobs is not _FAILED,
            }
        )

    async def _database_revision(self) -> str | None:
        async with self.engine.connect() as plain:
            # A plain read: no transaction (on SQLite every transaction takes the write lock, and a probe must never
            # wait behind, or hold up, a writer).
            conn = await plain.execution_options(isolation_level="AUTOCOMMIT")
            return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one_or_none()

    async def _within(self, name: str, work: Awaitable[object]) -> object:
        try:
            return await asyncio.wait_for(work, self.timeout)
        except Exception as exc:  # unreachable, timed out, refused: not ready; the type only (no address, no path)
            log.debug("readiness check %s failed: %s", name, type(exc).__name__)
            return _FAILED


_FAILED = object()


def _summary(verdict: Readiness) -> str:
    return ", ".join(f"{name} {'ok' if verdict.checks.get(name) else 'FAILED'}" for name in CHECKS)
