"""The worker: claims outbox rows, sends them outside any transaction, records the outcome; runs the sweeps.

The sweeps are the digests (this part's own) and whatever periodic jobs the hub's wiring gives it (:data:`Sweep`:
the reminder sweep of messaging, the purge of expired sessions, ...): this module imports no producer.

Claiming is one statement in a short transaction (:mod:`hub.notifications.claiming`, shared with the webhook
deliveries)::

    UPDATE outbox_mail SET status='sending', claimed_at=now, claimed_by=me, attempts=attempts+1,
                           next_attempt_at=now+lease
    WHERE id IN (SELECT id FROM outbox_mail
                 WHERE status IN ('pending','sending') AND next_attempt_at <= now
                 ORDER BY next_attempt_at LIMIT n
                 FOR UPDATE SKIP LOCKED)          -- PostgreSQL only; SQLite serialises writers
    RETURNING id

so several workers on PostgreSQL never take the same row, and a row whose worker died while sending is taken
up again once its lease (``next_attempt_at`` of a 'sending' row) has passed. The lease is short (a minute) and
renewed while the worker lives (:mod:`hub.notifications.lease`), so a live worker is never overtaken and a dead
one's mails wait about a minute. Delivery is therefore at least once, and exactly once unless a worker dies between
the server's acceptance and the commit of 'sent' (or cannot renew for a whole lease while sending).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts import enrolment
from hub.accounts.models import Organisation, User
from hub.calendars.services import CalendarSource, calendar_source
from hub.config import Settings
from hub.db import transaction, utcnow
from hub.errors import exception_place
from hub.notifications import claiming
from hub.notifications.claiming import anything_due, claim_due
from hub.notifications.interfaces import ClockStates
from hub.notifications.lease import LEASE, kept_alive, renew_one
from hub.notifications.models import ACCOUNT_KINDS, ENROLMENT_KINDS, MailKind, MailStatus, OutboxMail
from hub.notifications.outbox import cancel_stale_reminders
from hub.notifications.render import MailContent, RenderError, new_message_id, render_mail
from hub.notifications.sender import FileSender, MailSender, PermanentFailure, SmtpSender, TemporaryFailure
from hub.notifications.services import build_digests
from hub.runtime import Runtime

log = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
MAX_ATTEMPTS = 40  # about 1.5 days of temporary failures; then the row fails visibly
BATCH = 20
OUTBOX_TABLE = cast(Table, OutboxMail.__table__)  # type: ignore[attr-defined]

Sweep = Callable[[AsyncSession, datetime], Awaitable[object]]
"""A periodic job of the worker, run with ``(db, now)`` in a transaction of its own at every sweep."""
Outbox = Callable[[datetime | None], Awaitable[int]]
"""Another outbox the worker delivers in each round beside the mails (the webhooks): claims and delivers one batch
at ``now`` (None: the present), returns how many rows it claimed."""


def backoff(attempts: int) -> timedelta:
    """1 minute after the first failed attempt, then 2, 4, 8 … minutes, at most an hour."""
    return claiming.backoff(attempts, first=BACKOFF_FIRST, most=BACKOFF_MAX)


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Job:
    id: str
    to: str
    attempts: int
    message_id: str
    content: MailContent


def make_sender(settings: Settings) -> MailSender:
    if not settings.smtp_host:
        return FileSender(settings.mail_dir)
    return SmtpSender(
        host=settings.smtp_host,
        port=settings.smtp_port,
        tls=settings.smtp_tls,
        username=settings.smtp_username,
        password=settings.smtp_password,
        cafile=settings.smtp_cafile,
    )


class OutboxWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: MailSender,
        *,
        base_url: str,
        mail_from: str,
        digest_hour: int = 8,
        calendars: CalendarSource | None = None,
        sweeps: Sequence[Sweep] = (),
        clock_states: ClockStates | None = None,
        outboxes: Sequence[Outbox] = (),
        name: str | None = None,
        batch: int = BATCH,
        lease: timedelta = LEASE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.base_url = base_url
        self.mail_from = mail_from
        self.digest_hour = digest_hour
        self.calendars = calendars if calendars is not None else CalendarSource()
        self.sweeps = tuple(sweeps)
        self.clock_states = clock_states
        self.outboxes = tuple(outboxes)
        self.name = name or worker_name()
        self.batch = batch
        self.lease = lease
        self.clock = clock

    # -- claiming ----------------------------------------------------------------------------------------------

    async def claim(self, now: datetime | None = None) -> list[Job]:
        now = now or self.clock()
        if not await anything_due(self.sessions, OUTBOX_TABLE, now):
            return []
        async with transaction(self.sessions) as db:
            ids = await claim_due(db, OUTBOX_TABLE, now=now, name=self.name, batch=self.batch, lease=self.lease)
            if not ids:
                return []
            return await self._jobs(db, ids, now)

    async def _jobs(self, db: AsyncSession, ids: list[str], now: datetime) -> list[Job]:
        """Drop what may no longer go out, then gather the whitelisted values each mail is rendered from.

        Reminders of a clock that stopped or moved were cancelled when it did (the Notifier's ``clock_changed``); the
        clocks' owner is asked once more here (``clock_states``), for a row a sweep wrote just before its clock stopped
        and for a row taken up again after a dead worker's lease."""
        if self.clock_states is not None:
            await cancel_stale_reminders(db, self.clock_states, claimed_ids=ids)
        await db.execute(
            update(OutboxMail)
            .where(
                col(OutboxMail.id).in_(ids),
                col(OutboxMail.status) == MailStatus.SENDING.value,
                col(OutboxMail.recipient_user_id).in_(
                    select(col(User.id)).where(col(User.disabled).is_(True)).scalar_subquery()
                ),
                # A blocked user is still told about their account (that it was blocked); not sent an enrolment link.
                col(OutboxMail.kind).not_in([k.value for k in ACCOUNT_KINDS - ENROLMENT_KINDS]),
            )
            .values(status=MailStatus.CANCELLED.value, last_error="Ontvanger geblokkeerd voor verzending")
            .execution_options(synchronize_session=False)
        )
        rows = (
            await db.execute(
                select(OutboxMail, col(Organisation.name))
                .join(Organisation, col(Organisation.id) == col(OutboxMail.organisation_id))
                .where(col(OutboxMail.id).in_(ids), col(OutboxMail.status) == MailStatus.SENDING.value)
                .order_by(col(OutboxMail.next_attempt_at))
            )
        ).all()
        digest_ids = [row.id for row, _ in rows if row.kind == MailKind.DIGEST.value]
        counts: dict[str, list[tuple[MailKind, int]]] = {}
        if digest_ids:
            grouped = await db.execute(
                select(col(OutboxMail.digest_id), col(OutboxMail.kind), func.count())
                .where(col(OutboxMail.digest_id).in_(digest_ids), col(OutboxMail.status) == MailStatus.DIGESTED.value)
                .group_by(col(OutboxMail.digest_id), col(OutboxMail.kind))
            )
            for digest_id, kind, n in grouped.all():
                counts.setdefault(digest_id, []).append((MailKind(kind), int(n)))
        jobs: list[Job] = []
        for row, org_name in rows:
            if row.message_id is None:
                row.message_id = new_message_id(self.base_url)
                db.add(row)
            try:
                kind = MailKind(row.kind)
                token = ""
                if kind in ENROLMENT_KINDS and row.recipient_user_id is not None:
                    # Made now, it exists only in this mail (each attempt has its own; the link expires).
                    token = await enrolment.issue_token(db, row.recipient_user_id, now=now)
                content = MailContent(
                    kind=kind,
                    organisation=org_name,
                    link_path=row.link_path,
                    due_at=row.due_at,
                    counts=tuple(counts.get(row.id, ())),
                    enrolment_token=token,
                    moved_terms=row.moved_terms or 0,
                    moved_werkdagen=row.moved_werkdagen or 0,
                )
            except (TypeError, ValueError) as exc:
                await self._finish(db, row.id, MailStatus.FAILED, now, f"Ongeldige meldingsgegevens: {exc}")
                continue
            jobs.append(Job(row.id, row.recipient_address, row.attempts, row.message_id, content))
        await db.flush()
        return jobs

    # -- delivering --------------------------------------------------------------------------------------------

    async def _finish(
        self,
        db: AsyncSession,
        row_id: str,
        status: MailStatus,
        now: datetime,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> bool:
        values: dict[str, object] = {"status": status.value, "last_error": error}
        if status is MailStatus.SENT:
            values["sent_at"] = now
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        result = await db.execute(
            update(OutboxMail)
            .where(
                col(OutboxMail.id) == row_id,
                col(OutboxMail.status) == MailStatus.SENDING.value,
                col(OutboxMail.claimed_by) == self.name,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def deliver(self, job: Job, now: datetime | None = None) -> MailStatus | None:
        """Send one claimed mail (no transaction open while talking to the server) and record the outcome.

        None when the row is no longer this worker's (its lease ran out while this worker stalled). Checking that
        renews the claim, so the mail goes out with a whole lease ahead (renewed further while it is on its way)."""
        if not await renew_one(self.sessions, self.name, job.id, (now or self.clock()) + self.lease):
            log.warning("outbox row %s was taken over by another worker; not sent by %s", job.id, self.name)
            return None
        status, error, retry_at = MailStatus.SENT, None, None
        try:
            message = render_mail(
                job.content,
                to=job.to,
                mail_from=self.mail_from,
                base_url=self.base_url,
                message_id=job.message_id,
                now=self.clock(),
            )
            await self.sender.send(message)
        except PermanentFailure as exc:
            status, error = MailStatus.FAILED, exc.reason
        except TemporaryFailure as exc:
            if job.attempts >= MAX_ATTEMPTS:
                status, error = MailStatus.FAILED, f"Opgegeven na {job.attempts} pogingen: {exc.reason}"
            else:
                status, error = MailStatus.PENDING, exc.reason
                retry_at = self.clock() + backoff(job.attempts)
        except RenderError as exc:
            status, error = MailStatus.FAILED, f"Kon de e-mail niet opmaken: {exc}"
        except Exception as exc:  # a bug must not lose the row: it is retried like a temporary failure
            log.error("sending outbox row %s failed unexpectedly: %s", job.id, exception_place(exc))
            status, error = MailStatus.PENDING, f"Interne fout: {type(exc).__name__}"
            retry_at = self.clock() + backoff(job.attempts)
        async with transaction(self.sessions) as db:
            recorded = await self._finish(db, job.id, status, self.clock(), error, retry_at)
        if not recorded:
            log.warning("outbox row %s was taken over by another worker before its outcome was recorded", job.id)
        elif status is MailStatus.FAILED:
            log.warning("outbox row %s failed: %s", job.id, error)
        return status

    async def run_once(self, now: datetime | None = None) -> int:
        """Claim one batch and deliver it; the number of rows claimed."""
        jobs = await self.claim(now)
        claimed = len(jobs)
        if jobs:
            async with kept_alive(self.sessions, self.name, self.lease, self.clock):
                for job in jobs:
                    await self.deliver(job, now)
        for outbox in self.outboxes:
            try:
                claimed += await outbox(now)
            except Exception as exc:  # one outbox failing must not stop the mails (nor the other way round)
                log.error("outbox %s failed: %s", getattr(outbox, "__name__", outbox), exception_place(exc))
        return claimed

    async def drain(self, now: datetime | None = None, rounds: int = 1000) -> int:
        """Deliver until nothing is due (tests and `hub worker --once`)."""
        total = 0
        for _ in range(rounds):
            n = await self.run_once(now)
            if n == 0:
                break
            total += n
        return total

    # -- sweeps ------------------------------------------------------------------------------------------------

    async def sweep(self, now: datetime | None = None) -> int:
        """The periodic jobs (each in its own transaction: one that fails does not stop the others), then the
        digests; the number of digest rows written."""
        now = now or self.clock()
        for job in self.sweeps:
            try:
                async with transaction(self.sessions) as db:
                    await job(db, now)
            except Exception as exc:
                log.error("periodic job %s failed: %s", getattr(job, "__name__", job), exception_place(exc))
        async with transaction(self.sessions) as db:
            if self.clock_states is not None:  # no reminder that is no longer true goes into a digest
                await cancel_stale_reminders(db, self.clock_states)
            calendar_for = await self.calendars.calendar_for(db)
            digests = await build_digests(db, now, self.digest_hour, calendar_for=calendar_for)
        return len(digests)

    # -- the loop ----------------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, *, poll: float = 2.0, sweep_every: float = 60.0) -> None:
        """Until ``stop`` is set: sweep every ``sweep_every`` seconds, send what is due, wait ``poll`` seconds."""
        log.info("mail worker %s started", self.name)
        last_sweep = float("-inf")
        while not stop.is_set():
            claimed = 0
            try:
                if time.monotonic() - last_sweep >= sweep_every:
                    last_sweep = time.monotonic()
                    await self.sweep()
                claimed = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away for a moment: log, wait, go on
                log.error("mail worker round failed: %s", exception_place(exc))
            if claimed >= self.batch:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll)
        log.info("mail worker %s stopped", self.name)


def worker_for(
    runtime: Runtime,
    sweeps: Sequence[Sweep] = (),
    *,
    clock_states: ClockStates | None = None,
    outboxes: Sequence[Outbox] = (),
    sender: MailSender | None = None,
    name: str | None = None,
) -> OutboxWorker:
    """A worker configured from the running hub's settings, with the hub's periodic jobs ``sweeps`` (the sender may
    be replaced, e.g. in tests). The hub's own wiring is :func:`hub.worker.worker_for`."""
    settings = runtime.settings
    return OutboxWorker(
        runtime.sessions,
        sender or make_sender(settings),
        base_url=settings.base_url,
        mail_from=settings.mail_from,
        digest_hour=settings.digest_hour,
        calendars=calendar_source(settings.decree_days_file),
        sweeps=sweeps,
        clock_states=clock_states,
        outboxes=outboxes,
        name=name,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
    )


def start_worker(worker: OutboxWorker) -> tuple[asyncio.Task[None], asyncio.Event]:
    """Run ``worker`` in a task of the running loop until the returned event is set (:func:`stop_worker`)."""
    stop = asyncio.Event()
    return asyncio.create_task(worker.run(stop), name="hub-mail-worker"), stop


async def stop_worker(task: asyncio.Task[None], stop: asyncio.Event, grace: float = 10.0) -> None:
    """Ask the worker to finish its current mail, then cancel it if it does not stop in time."""
    stop.set()
    try:
        await asyncio.wait_for(task, grace)
    except TimeoutError:
        log.warning("mail worker did not stop within %.0f s; cancelled", grace)
    except asyncio.CancelledError:
        if not task.cancelled():
            raise
    except Exception as exc:
        log.error("mail worker ended with an error: %s", exception_place(exc))
