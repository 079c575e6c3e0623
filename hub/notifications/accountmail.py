"""The outbox implementation of :class:`hub.accounts.enrolment.AccountMailer`: a mail to the user about a change to
their own account, written in the caller's transaction. The row names the kind of change and the user's
organisation, nothing else; an enrolment link's token is made by the worker as it sends (never stored in a row).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.enrolment import AccountEvent
from hub.accounts.models import User
from hub.notifications.models import ENROLMENT_KINDS, MailKind, MailStatus, OutboxMail

MAIL_FOR_EVENT: dict[AccountEvent, MailKind] = {
    AccountEvent.CREATED: MailKind.ACCOUNT_AANGEMAAKT,
    AccountEvent.CREATED_ENROL: MailKind.ACCOUNT_ACTIVEREN,
    AccountEvent.BLOCKED: MailKind.ACCOUNT_GEBLOKKEERD,
    AccountEvent.UNBLOCKED: MailKind.ACCOUNT_GEDEBLOKKEERD,
    AccountEvent.PASSWORD_RESET: MailKind.ACCOUNT_WACHTWOORD,
    AccountEvent.PASSWORD_RESET_ENROL: MailKind.ACCOUNT_HERSTELLEN,
    AccountEvent.ENROLMENT_REISSUED: MailKind.ACCOUNT_NIEUWE_LINK,
    AccountEvent.MFA_RESET: MailKind.ACCOUNT_MFA,
    AccountEvent.ROLES_CHANGED: MailKind.ACCOUNT_ROLLEN,
    AccountEvent.DETAILS_CHANGED: MailKind.ACCOUNT_GEGEVENS,
    AccountEvent.REMOVED: MailKind.ACCOUNT_VERWIJDERD,
}


class OutboxAccountMailer:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def account_event(self, user: User, event: AccountEvent, *, now: datetime) -> None:
        kind = MAIL_FOR_EVENT.get(event)
        if kind is None:
            return
        if kind in ENROLMENT_KINDS:
            # An enrolment link still waiting to go out is replaced by this one.
            await self.db.execute(
                update(OutboxMail)
                .where(
                    col(OutboxMail.recipient_user_id) == user.id,
                    col(OutboxMail.kind).in_([k.value for k in ENROLMENT_KINDS]),
                    col(OutboxMail.status) == MailStatus.PENDING.value,
                )
                .values(status=MailStatus.CANCELLED.value, last_error="Vervangen door een nieuwere activeringslink")
                .execution_options(synchronize_session=False)
            )
        self.db.add(
            OutboxMail(
                created_at=now,
                kind=kind.value,
                recipient_user_id=user.id,
                recipient_address=user.email,
                organisation_id=user.organisation_id,
                link_path="/",
                status=MailStatus.PENDING.value,
                next_attempt_at=now,
            )
        )
        await self.db.flush()
