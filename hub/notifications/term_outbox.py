"""The outbox side of the terms of a case's path: :class:`OutboxTermNotifier` writes the rows of a reminder stage and
cancels those a done or moved step made untrue. Like the reaction clocks' reminders (:mod:`hub.notifications.outbox`),
each row is kept once per case, step, stage, due moment and recipient (``dedupe_key``), says only that a term of the
named organisation nears, ends today or has passed, and links to the case by its id.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.models import Organisation, User
from hub.db import is_id
from hub.notifications.interfaces import TermAudience, TermReminder
from hub.notifications.models import CASE_TERM_KINDS, MailStatus, OutboxMail
from hub.notifications.outbox import _active_users, _status_for, recipients, stage_key, users_with_roles

log = logging.getLogger("hub.notifications")


def _key_prefix(case_id: str, step: str) -> str:
    if not is_id(case_id):
        raise ValueError("case_id must be a hub id")
    return f"term:{case_id}:{step}:"


async def _audience_users(db: AsyncSession, audience: TermAudience) -> list[User]:
    org = await db.get(Organisation, audience.organisation_id)
    if org is None:
        return []
    if not audience.roles:
        return await recipients(db, org, audience.assigned_user_ids)
    ids = audience.assigned_user_ids
    assigned = await _active_users(db, org.id, ids) if ids else []
    return assigned or await users_with_roles(db, org.id, audience.roles)


async def remind_term(db: AsyncSession, reminder: TermReminder, *, now: datetime) -> list[OutboxMail]:
    """One row per person of the reminder's audiences (each person once), about the owing organisation."""
    kind = reminder.stage.mail_kind
    prefix = _key_prefix(reminder.case_id, reminder.step) + stage_key(reminder.mark, reminder.due_at)
    rows: list[OutboxMail] = []
    seen: set[str] = set()
    for audience in reminder.audiences:
        for user in await _audience_users(db, audience):
            if user.id in seen:
                continue
            seen.add(user.id)
            rows.append(
                OutboxMail(
                    created_at=now,
                    kind=kind.value,
                    recipient_user_id=user.id,
                    recipient_address=user.email,
                    organisation_id=reminder.owing_org_id,
                    due_at=reminder.due_at,
                    link_path=reminder.link_path,
                    status=_status_for(user).value,
                    next_attempt_at=now,
                    dedupe_key=f"{prefix}:{user.id}",
                )
            )
    if not rows:
        log.warning("term reminder %s for case %s has no recipient", reminder.stage.value, reminder.case_id)
    db.add_all(rows)
    await db.flush()
    return rows


async def withdraw_term_reminders(db: AsyncSession, case_id: str, step: str, due_at: datetime | None) -> int:
    """Held and waiting reminder rows of a case term that are no longer true become 'cancelled': the step was done or
    is no longer owed (``due_at`` None), or its due moment moved to ``due_at``."""
    stmt = update(OutboxMail).where(
        col(OutboxMail.dedupe_key).startswith(_key_prefix(case_id, step), autoescape=True),
        col(OutboxMail.status).in_([MailStatus.DIGEST_HELD.value, MailStatus.PENDING.value]),
        col(OutboxMail.kind).in_([k.value for k in CASE_TERM_KINDS]),
    )
    if due_at is None:
        stmt = stmt.values(status=MailStatus.CANCELLED.value, last_error="Stap vastgelegd voor verzending")
    else:
        stmt = stmt.where(col(OutboxMail.due_at) != due_at).values(
            status=MailStatus.CANCELLED.value, last_error="Termijn verschoven voor verzending"
        )
    result = await db.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


class OutboxTermNotifier:
    """The :class:`~hub.notifications.interfaces.TermNotifier` that writes outbox rows in the caller's session."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def remind_term(self, reminder: TermReminder, *, now: datetime) -> None:
        await remind_term(self.db, reminder, now=now)

    async def term_changed(self, case_id: str, step: str, due_at: datetime | None) -> None:
        await withdraw_term_reminders(self.db, case_id, step, due_at)
