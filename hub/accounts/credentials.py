"""Everything that costs an argon2 hash: the password login, changing a password, new recovery codes.

Each runs the hash off the event loop (hub.accounts.passwords) and outside any database transaction: read what is
needed in one short transaction, hash or verify with no transaction open, then write the outcome in a second one.
A slow hash therefore never holds a connection, a row or SQLite's write lock, and never stalls other requests.

The throttle is consulted BEFORE any hash: a locked account or address is refused at the cost of two small reads
and one audit record (``auth.locked_attempt``), the same whether the password is right or wrong and whether the
address exists. A wrong current password on the
account page counts on the account's password key like a failed login; at the limit the user's sessions end.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring
from hub.accounts import passwords
from hub.accounts.auth import STAGE_FULL, AuthService, account_key, address_key, mfa_key, normalise_email
from hub.accounts.models import User
from hub.audit import auth_events as events
from hub.audit.auth_events import Origin
from hub.db import transaction, utcnow
from hub.errors import NotFound, ValidationError

WRONG_CURRENT_PASSWORD = "Uw huidige wachtwoord is niet juist."  # noqa: S105  (a message)
WRONG_PASSWORD = "Uw wachtwoord is niet juist."  # noqa: S105  (a message)
NOT_EQUAL = "De twee wachtwoorden zijn niet gelijk."


@dataclass(frozen=True)
class LoginResult:
    """A password step that succeeded carries the user and the token of a new (partial) session."""

    user: User | None
    token: str = ""
    throttled: bool = False
    expired: bool = False  # the right one-time password, but past its expiry (hub.accounts.enrolment)


class ReauthenticationLimit(Exception):
    """Too many wrong current passwords on the account page: every session of the user has ended."""


class CredentialService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], keyring: Keyring) -> None:
        self.sessions = sessions
        self.keyring = keyring

    async def login(
        self,
        email: str,
        password: str,
        origin: Origin,
        *,
        replace_token: str = "",
        now: datetime | None = None,
    ) -> LoginResult:
        """Verify e-mail + password and start a partial session. Unknown and known addresses do the same work (a
        verification against a dummy hash). A locked account or address is refused before any hash runs.
        `replace_token` is the session this browser had, ended when the new one starts."""
        now = now or utcnow()
        email = normalise_email(email)
        # The second factor's own key too: an account locked for its codes is locked for its password as well.
        keys = [account_key(email), address_key(origin.client_address), mfa_key(email)]
        async with transaction(self.sessions) as db:
            row = (await db.execute(select(User).where(col(User.email) == email))).scalar_one_or_none()
            locked = await AuthService(db, self.keyring).refuse_if_locked(row, keys, origin, now)
        if locked:
            return LoginResult(user=None, throttled=True)
        stored = row.password_hash if row is not None else None
        password_ok = await passwords.verify_password(stored, password)
        async with transaction(self.sessions) as db:
            auth = AuthService(db, self.keyring)
            if await auth.refuse_if_locked(row, keys, origin, now):  # locked by another attempt while we verified
                return LoginResult(user=None, throttled=True)
            user = await db.get(User, row.id) if row is not None else None
            # A password changed while we verified: the verified one is no longer the account's.
            # An integration actor (an organisation's API token) never logs in, whatever is typed.
            if user is None or not password_ok or user.disabled or user.password_hash != stored or not user.is_person:
                await auth.record_failure(user, keys[0], origin, events.PASSWORD_FAILED, now)
                return LoginResult(user=None)
            if user.must_change_password and user.password_expires_at is not None and user.password_expires_at <= now:
                return LoginResult(user=None, expired=True)
            await auth.throttle.clear(keys[0])
            if replace_token:
                await auth.end_session(replace_token)
            token, _ = await auth.start_session(user, now=now, origin=origin)
        # Only now, with the login accepted: a locked or blocked account must not cost (and so reveal) a second hash.
        if stored is not None and passwords.needs_rehash(stored):
            await self._rehash(user.id, stored, password)
        return LoginResult(user=user, token=token)

    async def _rehash(self, user_id: str, stored: str, password: str) -> None:
        """Store the password under the current hash parameters, unless it changed meanwhile."""
        new_hash = await passwords.hash_password(password)
        async with transaction(self.sessions) as db:
            await db.execute(
                update(User)
                .where(col(User.id) == user_id, col(User.password_hash) == stored)
                .values(password_hash=new_hash)
            )

    async def set_initial_password(self, actor: User, new_password: str, repeat: str) -> None:
        """The one-time password is replaced at the first login (the session stays the partial one it is)."""
        new_hash = await self._new_hash(actor, new_password, repeat)
        async with transaction(self.sessions) as db:
            user = await self._own(db, actor)
            user.password_hash = new_hash
            user.must_change_password = False
            db.add(user)

    async def _reauthenticate(self, actor: User, password: str, origin: Origin, field: str, message: str) -> None:
        """The current password, checked on the account's password key: refused without a hash while the account is
        locked, and at the limit (the lock being set) every session of the user ends (ReauthenticationLimit)."""
        now = utcnow()
        key = account_key(actor.email)
        async with transaction(self.sessions) as db:
            locked = await AuthService(db, self.keyring).refuse_if_locked(actor, [key], origin, now)
        if not locked and await passwords.verify_password(actor.password_hash, password):
            return
        async with transaction(self.sessions) as db:
            auth = AuthService(db, self.keyring)
            if not locked:
                await auth.record_failure(actor, key, origin, events.REAUTH_FAILED, now)
            locked = await auth.throttle.locked([key], now)
            if locked:
                await auth.end_all_sessions(actor.id)
        if locked:
            raise ReauthenticationLimit
        raise ValidationError({field: message})

    async def change_password(
        self, actor: User, current_password: str, new_password: str, repeat: str, origin: Origin
    ) -> str:
        """The user's own password, the current one required. Every session of the user ends; the token of a new
        full session for this browser is returned."""
        await self._reauthenticate(actor, current_password, origin, "current_password", WRONG_CURRENT_PASSWORD)
        new_hash = await self._new_hash(actor, new_password, repeat)
        async with transaction(self.sessions) as db:
            user = await self._own(db, actor)
            if user.password_hash != actor.password_hash:  # changed elsewhere meanwhile: verify again
                raise ValidationError({"current_password": WRONG_CURRENT_PASSWORD})
            user.password_hash = new_hash
            user.must_change_password = False
            db.add(user)
            auth = AuthService(db, self.keyring)
            await auth.end_all_sessions(user.id)
            token, _ = await auth.start_session(user, stage=STAGE_FULL, origin=origin)
            await events.record_auth_event(
                db, events.PASSWORD_CHANGED, origin, user_id=user.id, organisation_id=user.organisation_id
            )
        return token

    async def new_recovery_codes(self, actor: User, password: str, origin: Origin) -> list[str]:
        """A fresh set of recovery codes (the old ones stop working), after the user gave their password."""
        await self._reauthenticate(actor, password, origin, "codes_password", WRONG_PASSWORD)
        async with transaction(self.sessions) as db:
            user = await self._own(db, actor)
            codes = await AuthService(db, self.keyring).replace_recovery_codes(user)
            await events.record_auth_event(
                db, events.RECOVERY_CODES_RENEWED, origin, user_id=user.id, organisation_id=user.organisation_id
            )
            return codes

    async def _new_hash(self, actor: User, new_password: str, repeat: str) -> str:
        if new_password != repeat:
            raise ValidationError({"password": NOT_EQUAL})
        try:
            # In a thread: the first check loads the list of 30 000 common passwords (~100 ms).
            await asyncio.to_thread(passwords.check_password_policy, new_password, email=actor.email, name=actor.name)
        except passwords.PasswordPolicyError as exc:
            raise ValidationError({"password": str(exc)}) from exc
        return await passwords.hash_password(new_password)

    @staticmethod
    async def _own(db: AsyncSession, actor: User) -> User:
        user = await db.get(User, actor.id)
        if user is None or user.disabled:
            raise NotFound("User")
        return user
