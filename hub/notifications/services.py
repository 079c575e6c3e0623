"""Digests and the outbox's operations. The rows themselves are written by :mod:`hub.notifications.outbox` (the
Notifier that producers call); the worker sends them.

- :func:`build_digests` bundles the rows held for users who chose the daily digest into one mail per user per
  werkdag, at or after the digest hour.
- :func:`outbox_overview` and :func:`retry_failed`: the functioneel beheerder's view of the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.models import Organisation, User
from hub.calendars.services import CalendarFor
from hub.db import utcnow
from hub.errors import NotFound
from hub.notifications.models import MailKind, MailStatus, OutboxMail
from hub.terms import AMSTERDAM, default_calendar, require_aware

__all__ = ["OutboxEntry", "OutboxOverview", "build_digests", "outbox_overview", "retry_failed"]


# -- digests ---------------------------------------------------------------------------------------------------


async def build_digests(
    db: AsyncSession, now: datetime, hour: int, *, calendar_for: CalendarFor | None = None
) -> list[OutboxMail]:
    """On a werkdag (of the user's organisation's calendar) at or after ``hour`` Dutch time: one digest row per
    user holding items, which takes those items along (status 'digested', ``digest_id``). At most one digest per
    user per day (``dedupe_key``); items held later that day wait for the next werkdag's digest.
    """
    require_aware(now, "now")
    local = now.astimezone(AMSTERDAM)
    if local.hour < hour:
        return []
    today = local.date()
    cal_for = calendar_for or (lambda _org: default_calendar())
    user_ids = list(
        (
            await db.execute(
                select(col(OutboxMail.recipient_user_id))
                .where(
                    col(OutboxMail.status) == MailStatus.DIGEST_HELD.value,
                    col(OutboxMail.recipient_user_id).is_not(None),
                )
                .distinct()
            )
        ).scalars()
    )
    digests: list[OutboxMail] = []
    for user_id in sorted(user_ids):
        user = await db.get(User, user_id)
        if user is None or user.disabled or not user.is_person or not cal_for(user.organisation_id).is_werkdag(today):
            continue
        digest = OutboxMail(
            created_at=now,
            kind=MailKind.DIGEST.value,
            recipient_user_id=user.id,
            recipient_address=user.email,
            organisation_id=user.organisation_id,
            link_path="/",
            status=MailStatus.PENDING.value,
            next_attempt_at=now,
            dedupe_key=f"digest:{user.id}:{today.isoformat()}",
        )
        try:
            async with db.begin_nested():
                db.add(digest)
                await db.flush()
                await db.execute(
                    update(OutboxMail)
                    .where(
                        col(OutboxMail.recipient_user_id) == user.id,
                        col(OutboxMail.status) == MailStatus.DIGEST_HELD.value,
                    )
                    .values(status=MailStatus.DIGESTED.value, digest_id=digest.id)
                    .execution_options(synchronize_session=False)
                )
        except IntegrityError:
            continue  # today's digest exists (made earlier, or by another worker just now)
        digests.append(digest)
    return digests


# -- operations ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxEntry:
    mail: OutboxMail
    organisation: str

    @property
    def kind_label(self) -> str:
        return MailKind(self.mail.kind).label

    @property
    def status_label(self) -> str:
        return MailStatus(self.mail.status).label


@dataclass(frozen=True)
class OutboxOverview:
    counts: dict[MailStatus, int]
    failed: list[OutboxEntry]
    recent: list[OutboxEntry]


async def _entries(db: AsyncSession, *conditions: Any, limit: int) -> list[OutboxEntry]:
    result = await db.execute(
        select(OutboxMail, col(Organisation.name))
        .join(Organisation, col(Organisation.id) == col(OutboxMail.organisation_id))
        .where(*conditions)
        .order_by(col(OutboxMail.created_at).desc(), col(OutboxMail.id))
        .limit(limit)
    )
    return [OutboxEntry(mail, name) for mail, name in result.all()]


async def outbox_overview(db: AsyncSession, *, status: MailStatus | None = None, limit: int = 100) -> OutboxOverview:
    """For the functioneel beheerder: counts per status, every failed row, and the newest rows."""
    counts = {s: 0 for s in MailStatus}
    for raw, n in (
        await db.execute(select(col(OutboxMail.status), func.count()).group_by(col(OutboxMail.status)))
    ).all():
        counts[MailStatus(raw)] = int(n)
    failed = await _entries(db, col(OutboxMail.status) == MailStatus.FAILED.value, limit=limit)
    recent = await _entries(db, *([col(OutboxMail.status) == status.value] if status else []), limit=limit)
    return OutboxOverview(counts, failed, recent)


async def retry_failed(db: AsyncSession, row_id: str, now: datetime | None = None) -> None:
    """Put a failed row back in the queue (after the cause, e.g. the SMTP settings, has been fixed)."""
    row = await db.get(OutboxMail, row_id)
    if row is None or row.status != MailStatus.FAILED.value:
        raise NotFound(row_id)
    row.status = MailStatus.PENDING.value
    row.next_attempt_at = now or utcnow()
    row.attempts = 0
    db.add(row)
    await db.flush()
