"""Account events and enrolment links.

A user whose account the functioneel beheerder creates or resets never gets a password through the operator: a
single-use enrolment link goes to the user's own address instead. The token is made when the mail is sent
(:func:`issue_token`, called by the mail worker), exists only in that mail, and only its SHA-256 is stored; it
expires after :data:`ENROLMENT_VALID`. Using it lets the user choose a password and then enrol MFA as at any first
login. A one-time password shown to an organisation's own administrator expires after :data:`ONE_TIME_PASSWORD_VALID`.

Every change to an account (created, blocked, unblocked, reset, roles changed) is told to the user by mail, through an
:class:`AccountMailer` the caller passes in (the notifications package implements it: accounts cannot import it),
and written to the audit log, ids only.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring
from hub.accounts import passwords
from hub.accounts.auth import AuthService
from hub.accounts.models import EnrolmentToken, User
from hub.audit import auth_events as events
from hub.audit.auth_events import NO_ORIGIN, Origin
from hub.db import transaction, utcnow
from hub.errors import ValidationError

ENROLMENT_VALID = timedelta(hours=72)
ONE_TIME_PASSWORD_VALID = timedelta(hours=72)
TOKEN_BYTES = 32  # 256 bits
NOT_EQUAL = "De twee wachtwoorden zijn niet gelijk."


class AccountEvent(StrEnum):
    """What happened to an account; the value is the audit action's suffix (``user.<value>``)."""

    CREATED = "created"  # by the organisation's own administrator, with a one-time password shown to them
    CREATED_ENROL = "created_enrolment_link"  # by the operator: the user gets an enrolment link
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    PASSWORD_RESET = "password_reset"  # noqa: S105  (an event name); a one-time password shown to the organisation's own administrator
    PASSWORD_RESET_ENROL = "password_reset_enrolment_link"  # noqa: S105  (an event name); by the operator: the user gets an enrolment link
    MFA_RESET = "mfa_reset"
    ROLES_CHANGED = "roles_changed"
    ENROLLED = "enrolment_link_used"  # the user set their password through an enrolment link
    ENROLMENT_REISSUED = "enrolment_link_reissued"  # by the operator: a new link for one who never enrolled
    DETAILS_CHANGED = "details_changed"  # name or address changed by an administrator (hub.accounts.user_admin)
    REMOVED = "removed"  # removed by the organisation's administrator: never logs in again
    HANDED_OVER = "assignments_handed_over"  # the user's open cases and threads handed to a colleague (no mail)


# The events whose mail carries an enrolment link.
ENROLMENT_EVENTS = frozenset(
    {AccountEvent.CREATED_ENROL, AccountEvent.PASSWORD_RESET_ENROL, AccountEvent.ENROLMENT_REISSUED}
)


def awaits_enrolment(user: User) -> bool:
    """Never enrolled: no password of the user's own choosing yet (the enrolment link unused, or a one-time password
    never replaced) and no second factor. Such a user never logged in, and has seen nothing."""
    return user.must_change_password and user.totp_secret is None and user.mfa_enrolled_at is None


class AccountMailer(Protocol):
    """Writes the mail about an account event (in the caller's transaction)."""

    async def account_event(self, user: User, event: AccountEvent, *, now: datetime) -> None: ...


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


async def record_event(
    db: AsyncSession,
    mailer: AccountMailer | None,
    actor: User | None,
    target: User,
    event: AccountEvent,
    *,
    now: datetime | None = None,
    origin: Origin = NO_ORIGIN,
) -> None:
    """Mail the user (when a mailer is given), and audit and log the event with where the request came from: ids
    only. ``origin`` is NO_ORIGIN from the command line."""
    now = now or utcnow()
    if mailer is not None:
        await mailer.account_event(target, event, now=now)
    await events.record_auth_event(
        db,
        f"user.{event.value}",
        origin,
        user_id=actor.id if actor is not None else None,
        organisation_id=target.organisation_id,
        object_type="user",
        object_id=target.id,
    )


async def withdraw_tokens(db: AsyncSession, user_id: str) -> None:
    """Every enrolment link of the user stops working (a new one is on its way, or the password was set)."""
    await db.execute(delete(EnrolmentToken).where(col(EnrolmentToken.user_id) == user_id))


async def issue_token(db: AsyncSession, user_id: str, *, now: datetime) -> str:
    """A new enrolment token for the user (the mail worker calls this as it sends the mail)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.add(
        EnrolmentToken(user_id=user_id, token_hash=hash_token(token), created_at=now, expires_at=now + ENROLMENT_VALID)
    )
    await db.flush()
    return token


async def _valid(db: AsyncSession, token: str, now: datetime) -> tuple[EnrolmentToken, User] | None:
    if not token or len(token) > 100:
        return None
    row = (
        await db.execute(
            select(EnrolmentToken, User)
            .join(User, col(User.id) == col(EnrolmentToken.user_id))
            .where(col(EnrolmentToken.token_hash) == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    found, user = row
    if found.used_at is not None or found.expires_at <= now or user.disabled:
        return None
    return found, user


class EnrolmentService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], keyring: Keyring) -> None:
        self.sessions = sessions
        self.keyring = keyring

    async def user_for(self, token: str, now: datetime | None = None) -> User | None:
        """The user a valid (unused, unexpired) link is for; None otherwise."""
        async with transaction(self.sessions) as db:
            found = await _valid(db, token, now or utcnow())
        return found[1] if found is not None else None

    async def complete(
        self, token: str, password: str, repeat: str, now: datetime | None = None, origin: Origin = NO_ORIGIN
    ) -> str | None:
        """Set the user's password through the link (once); returns the token of a new partial session (the second
        factor, or its enrolment, is still owed), or None when the link is not (or no longer) valid."""
        user = await self.user_for(token, now)
        if user is None:
            return None
        if password != repeat:
            raise ValidationError({"password": NOT_EQUAL})
        try:
            await asyncio.to_thread(passwords.check_password_policy, password, email=user.email, name=user.name)
        except passwords.PasswordPolicyError as exc:
            raise ValidationError({"password": str(exc)}) from exc
        new_hash = await passwords.hash_password(password)
        async with transaction(self.sessions) as db:
            now = now or utcnow()
            found = await _valid(db, token, now)
            if found is None:
                return None
            row, user = found
            used = await db.execute(
                update(EnrolmentToken)
                .where(col(EnrolmentToken.id) == row.id, col(EnrolmentToken.used_at).is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(used, "rowcount", 0) != 1:  # used by a concurrent request
                return None
            await db.execute(
                delete(EnrolmentToken)
                .where(col(EnrolmentToken.user_id) == user.id, col(EnrolmentToken.id) != row.id)
                .execution_options(synchronize_session=False)
            )
            user.password_hash = new_hash
            user.must_change_password = False
            user.password_expires_at = None
            db.add(user)
            auth = AuthService(db, self.keyring)
            await auth.end_all_sessions(user.id)
            session_token, _ = await auth.start_session(user, now=now, origin=origin)
            await record_event(db, None, user, user, AccountEvent.ENROLLED, now=now, origin=origin)
        return session_token
