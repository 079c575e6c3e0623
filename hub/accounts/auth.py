"""Login: throttling, server-side sessions, the second factor (TOTP or a recovery code).

No Starlette here: the web layer passes plain values (the token from the cookie, the client address).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring, decrypt_field, encrypt_field
from hub.accounts import totp
from hub.accounts.models import LoginThrottle, RecoveryCode, User, UserSession
from hub.audit import auth_events as events
from hub.audit.auth_events import NO_ORIGIN, Origin
from hub.db import utcnow
from hub.fields import SESSION_PENDING_TOTP_SECRET, USER_TOTP_SECRET

SESSION_IDLE = timedelta(minutes=30)
SESSION_ABSOLUTE = timedelta(hours=12)
# A half-finished login (password given, second factor owed) gets less time, counted from the password step.
PARTIAL_SESSION_LIMIT = timedelta(minutes=10)
# last_seen_at is written at most this often, not on every request.
TOUCH_INTERVAL = timedelta(minutes=1)

THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_LOCK = timedelta(minutes=15)
ACCOUNT_MAX_FAILURES = 5
ADDRESS_MAX_FAILURES = 30

STAGE_PASSWORD_OK = "password_ok"  # noqa: S105  (a stage name, not a password)
STAGE_FULL = "full"
# A full session past its end: never valid again, purged this long after it, so that a form sent with it later is
# kept for its own user (hub.accounts.kept_forms).
STAGE_ENDED = "ended"
ENDED_KEPT = timedelta(hours=12)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def account_key(email: str) -> str:
    # The key exists whether or not the account does, so throttling reveals nothing about existence.
    return "acct:" + hashlib.sha256(normalise_email(email).encode()).hexdigest()[:40]


def mfa_key(email: str) -> str:
    """Second-factor failures count apart from password failures: a correct password does not clear them."""
    return "mfa:" + account_key(email).removeprefix("acct:")


def address_key(client_address: str) -> str:
    return "addr:" + client_address[:70]


@dataclass(frozen=True)
class ActiveSession:
    session: UserSession
    user: User
    expires_at: datetime | None = None  # set when loaded from the cookie (the idle warning counts down to it)

    @property
    def is_full(self) -> bool:
        return self.session.stage == STAGE_FULL


class Throttle:
    """Counts failures per key in a window; a key over its limit is locked for a while."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def locked(self, keys: list[str], now: datetime) -> bool:
        return bool(await self.locked_keys(keys, now))

    async def locked_keys(self, keys: list[str], now: datetime) -> list[str]:
        """Those of ``keys`` that are locked now."""
        rows = (await self.db.execute(select(LoginThrottle).where(col(LoginThrottle.key).in_(keys)))).scalars()
        return [r.key for r in rows if r.locked_until is not None and r.locked_until > now]

    async def fail(self, key: str, limit: int, now: datetime) -> bool:
        """Count one failure; True when this one set the lock."""
        row = await self.db.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now)
            self.db.add(row)
        if now - row.window_start > THROTTLE_WINDOW:
            row.failures, row.window_start = 0, now
        row.failures += 1
        locked = row.failures >= limit
        if locked:
            row.locked_until = now + THROTTLE_LOCK
            row.failures, row.window_start = 0, now
        await self.db.flush()
        return locked

    async def clear(self, key: str) -> None:
        await self.db.execute(delete(LoginThrottle).where(col(LoginThrottle.key) == key))

    async def purge_expired(self, now: datetime) -> int:
        """Forget keys whose window has passed and that are not locked: they no longer count for anything."""
        result = await self.db.execute(
            delete(LoginThrottle).where(
                col(LoginThrottle.window_start) < now - THROTTLE_WINDOW,
                or_(col(LoginThrottle.locked_until).is_(None), col(LoginThrottle.locked_until) <= now),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


class AuthService:
    def __init__(self, db: AsyncSession, keyring: Keyring, *, idle: timedelta = SESSION_IDLE) -> None:
        """``idle``: how long a full session lasts without a request (HUB_SESSION_IDLE_SECONDS)."""
        self.db = db
        self.keyring = keyring
        self.idle = idle
        self.throttle = Throttle(db)

    # -- throttle (the password step itself is CredentialService.login) ---------------------------------------

    async def mfa_locked(self, user: User, origin: Origin = NO_ORIGIN, now: datetime | None = None) -> bool:
        """Locked for the second factor: by its own failures, or the account locked by password failures. A
        refused attempt is audited (:meth:`refuse_if_locked`)."""
        return await self.refuse_if_locked(user, [mfa_key(user.email), account_key(user.email)], origin, now)

    async def record_failure(
        self, user: User | None, key: str, origin: Origin, action: str, now: datetime | None = None
    ) -> None:
        """One failed attempt on `key` (the account's password or second-factor key) and on the client address,
        audited (with the user when the account exists), and any lock it sets audited too."""
        now = now or utcnow()
        user_id = user.id if user is not None else None
        org_id = user.organisation_id if user is not None else None
        await events.record_auth_event(
            self.db, action, origin, user_id=user_id, organisation_id=org_id, object_type="account"
        )
        if await self.throttle.fail(key, ACCOUNT_MAX_FAILURES, now):
            await events.record_auth_event(
                self.db, events.ACCOUNT_LOCKED, origin, user_id=user_id, organisation_id=org_id, object_type="account"
            )
        if await self.throttle.fail(address_key(origin.client_address), ADDRESS_MAX_FAILURES, now):
            await events.record_auth_event(self.db, events.ADDRESS_LOCKED, origin, object_type="address")

    async def refuse_if_locked(
        self, user: User | None, keys: list[str], origin: Origin, now: datetime | None = None
    ) -> bool:
        """True when one of ``keys`` is locked; the refused attempt is then audited (``auth.locked_attempt``, the
        user when the account exists, object ``account`` or, when only the client address is locked, ``address``).
        It counts on no key: one record per attempt, the same work for a known and an unknown address."""
        locked = await self.throttle.locked_keys(keys, now or utcnow())
        if not locked:
            return False
        await events.record_auth_event(
            self.db,
            events.LOCKED_ATTEMPT,
            origin,
            user_id=user.id if user is not None else None,
            organisation_id=user.organisation_id if user is not None else None,
            object_type="address" if all(k.startswith("addr:") for k in locked) else "account",
        )
        return True

    async def record_mfa_failure(self, user: User, origin: Origin, now: datetime | None = None) -> None:
        await self.record_failure(user, mfa_key(user.email), origin, events.MFA_FAILED, now)

    # -- sessions -----------------------------------------------------------------------------------------

    async def start_session(
        self, user: User, stage: str = STAGE_PASSWORD_OK, now: datetime | None = None, origin: Origin = NO_ORIGIN
    ) -> tuple[str, UserSession]:
        """A brand-new session with a fresh token (never reuse a token across a login step)."""
        now = now or utcnow()
        token = secrets.token_urlsafe(32)
        row = UserSession(
            token_hash=hash_token(token),
            user_id=user.id,
            stage=stage,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            client_address=origin.client_address[:64],
            user_agent=origin.user_agent[:200],
        )
        self.db.add(row)
        await self.db.flush()
        return token, row

    async def promote_session(
        self, active: ActiveSession, origin: Origin, now: datetime | None = None
    ) -> tuple[str, UserSession]:
        """Second factor passed: replace the partial session by a full one with a new token (and CSRF token)."""
        await self.db.delete(active.session)
        token, row = await self.start_session(active.user, STAGE_FULL, now, origin)
        user = active.user
        await events.record_auth_event(
            self.db, events.LOGIN, origin, user_id=user.id, organisation_id=user.organisation_id
        )
        return token, row

    async def load_session(
        self, token: str, now: datetime | None = None, origin: Origin = NO_ORIGIN
    ) -> ActiveSession | None:
        active, _ = await self.look_up_session(token, now, origin)
        return active

    async def look_up_session(
        self, token: str, now: datetime | None = None, origin: Origin = NO_ORIGIN
    ) -> tuple[ActiveSession | None, str | None]:
        """The session named by ``token``, or None and, when it has just expired, its user's id (a form that
        arrives with it is kept for that user, hub.accounts.kept_forms)."""
        if not token or len(token) > 100:
            return None, None
        now = now or utcnow()
        row = (
            await self.db.execute(
                select(UserSession, User)
                .join(User, col(User.id) == col(UserSession.user_id))
                .where(col(UserSession.token_hash) == hash_token(token))
            )
        ).first()
        if row is None:
            return None, None
        sess, user = row
        if sess.stage == STAGE_ENDED:
            return None, None if user.disabled else user.id
        if sess.stage == STAGE_FULL:
            expired = now - sess.last_seen_at > self.idle or now - sess.created_at > SESSION_ABSOLUTE
        else:  # a half-finished login: from the password step, however busy the user was since
            expired = now - sess.created_at > PARTIAL_SESSION_LIMIT
        if expired and sess.stage == STAGE_FULL and not user.disabled:
            sess.stage = STAGE_ENDED
            await events.record_auth_event(
                self.db, events.SESSION_EXPIRED, origin, user_id=user.id, organisation_id=user.organisation_id
            )
            return None, user.id
        if expired or user.disabled:
            await self.db.delete(sess)
            if expired:
                await events.record_auth_event(
                    self.db, events.SESSION_EXPIRED, origin, user_id=user.id, organisation_id=user.organisation_id
                )
            return None, user.id if expired and sess.stage == STAGE_FULL else None
        if now - sess.last_seen_at > min(TOUCH_INTERVAL, self.idle / 4):
            sess.last_seen_at = now
        return ActiveSession(session=sess, user=user, expires_at=self.expires_at(sess)), None

    def expires_at(self, sess: UserSession) -> datetime:
        """When a full session ends if nothing more happens: idle or absolute limit, whichever comes first."""
        return min(sess.last_seen_at + self.idle, sess.created_at + SESSION_ABSOLUTE)

    async def keep_alive(self, active: ActiveSession, now: datetime | None = None) -> datetime:
        """The user asked to stay logged in: the idle time starts again now. Returns the new end."""
        sess = await self.db.merge(active.session)
        sess.last_seen_at = now or utcnow()
        await self.db.flush()
        return self.expires_at(sess)

    async def end_session(self, token: str) -> None:
        await self.db.execute(delete(UserSession).where(col(UserSession.token_hash) == hash_token(token)))

    async def end_all_sessions(self, user_id: str) -> None:
        await self.db.execute(delete(UserSession).where(col(UserSession.user_id) == user_id))

    async def purge_expired_sessions(self, now: datetime | None = None) -> int:
        """Remove expired sessions (full ones ENDED_KEPT after their end), audited (``auth.session_purged``)."""
        now = now or utcnow()
        full = col(UserSession.stage).in_([STAGE_FULL, STAGE_ENDED])
        expired = (
            (col(UserSession.last_seen_at) < now - self.idle - ENDED_KEPT)
            | (col(UserSession.created_at) < now - SESSION_ABSOLUTE - ENDED_KEPT)
            | (~full & (col(UserSession.created_at) < now - PARTIAL_SESSION_LIMIT))
        )
        rows = (
            await self.db.execute(
                select(col(UserSession.id), col(UserSession.user_id), col(User.organisation_id))
                .join(User, col(User.id) == col(UserSession.user_id))
                .where(expired)
            )
        ).all()
        if not rows:
            return 0
        await self.db.execute(delete(UserSession).where(col(UserSession.id).in_([r[0] for r in rows])))
        for _, user_id, org_id in rows:
            await events.record_auth_event(
                self.db, events.SESSION_PURGED, NO_ORIGIN, user_id=user_id, organisation_id=org_id
            )
        return len(rows)

    async def purge_expired_throttles(self, now: datetime | None = None) -> int:
        return await self.throttle.purge_expired(now or utcnow())

    # -- second factor ------------------------------------------------------------------------------------

    def user_totp_secret(self, user: User) -> bytes | None:
        if user.totp_secret is None:
            return None
        return decrypt_field(self.keyring, user.totp_secret, context=USER_TOTP_SECRET.context(user.id))

    async def verify_totp(self, user: User, code: str, now: float | None = None) -> bool:
        secret = self.user_totp_secret(user)
        if secret is None:
            return False
        step = totp.matching_step(secret, code, last_step=user.totp_last_step, now=now)
        if step is None:
            return False
        # Conditional update: of two concurrent logins with the same code, only one wins.
        result = await self.db.execute(
            update(User)
            .where(col(User.id) == user.id)
            .where(or_(col(User.totp_last_step).is_(None), col(User.totp_last_step) < step))
            .values(totp_last_step=step)
        )
        if getattr(result, "rowcount", 1) != 1:
            return False
        user.totp_last_step = step
        return True

    async def use_recovery_code(self, user: User, code: str, now: datetime | None = None) -> bool:
        """Spend one of the user's codes: a current one, or one of the old 50-bit kind before its cut-off."""
        now = now or utcnow()
        matches = col(RecoveryCode.code_hash) == totp.recovery_code_digest(self.keyring.index_key, user.id, code)
        if (legacy := totp.legacy_recovery_code_hash(code)) is not None:
            matches = or_(matches, (col(RecoveryCode.code_hash) == legacy) & (col(RecoveryCode.legacy_until) > now))
        result = await self.db.execute(
            update(RecoveryCode)
            .where(col(RecoveryCode.user_id) == user.id, matches, col(RecoveryCode.used_at).is_(None))
            .values(used_at=now)
        )
        return getattr(result, "rowcount", 0) == 1

    async def is_expired_legacy_code(self, user: User, code: str, now: datetime | None = None) -> bool:
        """Whether ``code`` is an unused code of the old kind past its cut-off (the user is told to make new ones)."""
        legacy = totp.legacy_recovery_code_hash(code)
        if legacy is None:
            return False
        found = await self.db.execute(
            select(col(RecoveryCode.id)).where(
                col(RecoveryCode.user_id) == user.id,
                col(RecoveryCode.code_hash) == legacy,
                col(RecoveryCode.used_at).is_(None),
                col(RecoveryCode.legacy_until) <= (now or utcnow()),
            )
        )
        return found.first() is not None

    async def legacy_codes_until(self, user: User) -> datetime | None:
        """When the user's unused codes that may be of the old kind stop working (None: the user has none)."""
        until = await self.db.execute(
            select(func.min(col(RecoveryCode.legacy_until))).where(
                col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None)
            )
        )
        found: datetime | None = until.scalar_one_or_none()
        return found

    async def remaining_recovery_codes(self, user: User) -> int:
        rows = await self.db.execute(
            select(col(RecoveryCode.id)).where(
                col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None)
            )
        )
        return len(rows.all())

    def begin_enrolment(self, active: ActiveSession) -> bytes:
        """A new secret kept (encrypted) on the session until a code proves the app has it."""
        if active.session.pending_totp_secret is not None:
            return decrypt_field(
                self.keyring,
                active.session.pending_totp_secret,
                context=SESSION_PENDING_TOTP_SECRET.context(active.session.id),
            )
        secret = totp.new_secret()
        active.session.pending_totp_secret = encrypt_field(
            self.keyring, secret, context=SESSION_PENDING_TOTP_SECRET.context(active.session.id)
        )
        return secret

    async def complete_enrolment(self, active: ActiveSession, code: str, now: float | None = None) -> list[str] | None:
        """Store the secret when the code matches; return fresh recovery codes (shown once), else None."""
        if active.session.pending_totp_secret is None:
            return None
        secret = decrypt_field(
            self.keyring,
            active.session.pending_totp_secret,
            context=SESSION_PENDING_TOTP_SECRET.context(active.session.id),
        )
        step = totp.matching_step(secret, code, last_step=None, now=now)
        if step is None:
            return None
        user = active.user
        await self.set_totp_secret(user, secret, last_step=step)
        active.session.pending_totp_secret = None
        return await self.replace_recovery_codes(user)

    async def set_totp_secret(self, user: User, secret: bytes, *, last_step: int | None = None) -> None:
        user.totp_secret = encrypt_field(self.keyring, secret, context=USER_TOTP_SECRET.context(user.id))
        user.totp_last_step = last_step
        user.mfa_enrolled_at = utcnow()
        self.db.add(user)
        await self.db.flush()

    async def replace_recovery_codes(self, user: User) -> list[str]:
        await self.db.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
        codes = totp.new_recovery_codes()
        for code in codes:
            digest = totp.recovery_code_digest(self.keyring.index_key, user.id, code)
            self.db.add(RecoveryCode(user_id=user.id, code_hash=digest))
        await self.db.flush()
        return codes
