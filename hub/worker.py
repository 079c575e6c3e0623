"""The worker as the hub runs it: the outbox worker of :mod:`hub.notifications.worker` with the periodic jobs of
every part, wired here so that notifications imports none of them.

- the reminder sweep over the reaction clocks (:mod:`hub.messaging.reminders`);
- the sweep over the terms of the cases' paths (:mod:`hub.cases.term_sweep`);
- the purge of expired login sessions and of login-throttle rows that no longer count
  (:meth:`hub.accounts.auth.AuthService.purge_expired_sessions`, ``purge_expired_throttles``), and of kept forms
  past their 30 minutes (:func:`hub.accounts.kept_forms.purge_kept_forms`);
- the disabling of the integration actors of expired organisation API tokens
  (:meth:`hub.accounts.api_tokens.ApiTokenService.disable_expired`);
- hourly, the removal of crash leftovers in the blob store (:func:`hub.documents.services.cleanup_orphan_blobs`);
- daily, retention (:func:`hub.retention.run.run_retention`): ended cases, withdrawn documents, documents past
  their type's period and old outbox rows past their period, each deletion in a transaction of its own;
- beside the mails, in every round, the webhook deliveries (:class:`hub.webhooks.delivery.WebhookOutbox`);
- last, the heartbeat: the moment this sweep completed, for the worker-lag metric (:mod:`hub.ops.heartbeat`).

The server's lifespan (``HUB_WORKER=on``) and ``hub worker`` both build it with :func:`worker_for`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.api_tokens import ApiTokenService
from hub.accounts.auth import AuthService
from hub.accounts.kept_forms import purge_kept_forms
from hub.calendars.services import calendar_source
from hub.cases.term_sweep import term_sweep
from hub.documents.components import blobs_of
from hub.documents.services import cleanup_orphan_blobs
from hub.messaging.reminders import clock_states, reminder_sweep
from hub.notifications import worker as outbox
from hub.notifications.sender import MailSender
from hub.notifications.worker import OutboxWorker, Sweep, stop_worker, worker_name
from hub.ops.heartbeat import record_sweep
from hub.retention.components import policy_of
from hub.retention.run import RunResult, run_retention
from hub.runtime import Runtime
from hub.terms import AMSTERDAM
from hub.webhooks.delivery import WebhookOutbox

__all__ = ["hub_sweeps", "start_worker", "stop_worker", "worker_for"]

ORPHAN_SWEEP_EVERY = timedelta(hours=1)
RETENTION_EVERY = timedelta(days=1)


def hub_sweeps(runtime: Runtime) -> list[Sweep]:
    """The periodic jobs of a running hub, in the order the worker runs them."""
    settings = runtime.settings

    async def expired_sessions(db: AsyncSession, now: datetime) -> int:
        return await AuthService(db, runtime.keyring, idle=settings.session_idle).purge_expired_sessions(now)

    async def expired_kept_forms(db: AsyncSession, now: datetime) -> int:
        return await purge_kept_forms(db, now)

    async def expired_throttles(db: AsyncSession, now: datetime) -> int:
        return await AuthService(db, runtime.keyring).purge_expired_throttles(now)

    async def expired_api_tokens(db: AsyncSession, now: datetime) -> int:
        return await ApiTokenService(db).disable_expired(now)

    last_orphan_sweep: list[datetime] = []

    async def orphan_blobs(db: AsyncSession, now: datetime) -> tuple[int, int]:
        """Unfinished uploads and blobs without a document row, left by a killed process, once they are older than
        an hour (an upload in flight on another server is younger). At most once an hour: it lists the store. It
        reads the document rows in a short transaction of its own, not in ``db``, so no write lock is held while
        the store is listed."""
        if last_orphan_sweep and now - last_orphan_sweep[-1] < ORPHAN_SWEEP_EVERY:
            return 0, 0
        last_orphan_sweep[:] = [now]
        return await cleanup_orphan_blobs(runtime.sessions, blobs_of(runtime))

    last_retention: list[datetime] = []

    async def retention(db: AsyncSession, now: datetime) -> RunResult | None:
        """Once a day per worker process (a second worker's run finds nothing left). Its deletions run in
        transactions of their own, not in ``db``, so that each case commits before its blobs are removed."""
        if last_retention and now - last_retention[-1] < RETENTION_EVERY:
            return None
        last_retention[:] = [now]
        today = now.astimezone(AMSTERDAM).date()
        return await run_retention(
            runtime.sessions, blobs_of(runtime), policy_of(runtime), now=now, today=today, actor="worker"
        )

    return [
        reminder_sweep(calendar_source(settings.decree_days_file), escalate_after=settings.escalate_after_werkdagen),
        term_sweep(calendar_source(settings.decree_days_file), warn_months=settings.schuldhulp_warn_months),
        expired_sessions,
        expired_kept_forms,
        expired_throttles,
        expired_api_tokens,
        orphan_blobs,
        retention,
        record_sweep,  # last: the sweep completed (the worker-lag metric, the same on every server)
    ]


def worker_for(runtime: Runtime, *, sender: MailSender | None = None, name: str | None = None) -> OutboxWorker:
    """The hub's worker: sends the outbox and the webhooks, builds digests, runs :func:`hub_sweeps`."""
    name = name or worker_name()
    webhooks = WebhookOutbox(
        runtime.sessions, runtime.keyring, name=name, allow_private=runtime.settings.webhook_allow_private
    )
    return outbox.worker_for(
        runtime, hub_sweeps(runtime), clock_states=clock_states, outboxes=[webhooks], sender=sender, name=name
    )


def start_worker(runtime: Runtime) -> tuple[asyncio.Task[None], asyncio.Event]:
    """The hub's worker in a task of the running loop (the server's lifespan); stop it with :func:`stop_worker`."""
    return outbox.start_worker(worker_for(runtime))
