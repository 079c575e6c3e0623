"""API tokens: made, listed, revoked and checked (the API's bearer tokens, issue 17).

A token is ``hub_<id>_<secret>``: ``id`` is the row's id (not secret: it finds the row and names the token in the
audit log), ``secret`` is 32 random bytes, URL-safe base64. Only the SHA-256 of the whole token is stored: the
value is high-entropy, so a slow password hash would add nothing but latency to every call. The token is shown
once, when it is made.

Two kinds:
- a user's token, made on *Mijn account*: acts as that user, with the user's roles as they are at each call (a
  blocked user's tokens stop working at once);
- an organisation's token, made by the organisation's administrator for a system integration: acts as the
  organisation with one chosen case role, not as any person, through its *integration actor*: a stored user row of
  kind ``integration`` with the token's id, named "API-koppeling <token name>", in the token's organisation with the
  token's role. Documents and messages name it as their author; its audit records carry the token's id. It has no
  password and no second factor, the login refuses it, and it is in no list of people (hub.accounts.models.people).
  Revoking the token disables it at once; an expired token's actor is disabled by the worker's sweep (and the
  token is refused from its expiry on anyway).
The scopes narrow what the roles allow (``cases:read`` and so on); they never widen it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.authz import CASE_WORKERS
from hub.accounts.models import INTEGRATION, INTEGRATION_PREFIX, ApiToken, Organisation, User
from hub.accounts.roles import ADMIN_ROLE, ROLES_FOR_KIND, OrgKind, Role, format_roles
from hub.audit import actions
from hub.audit import services as audit
from hub.db import is_id, utcnow
from hub.errors import Forbidden, NotFound, ValidationError

PREFIX = "hub_"
SCOPES: dict[str, str] = {
    "cases:read": "Dossiers lezen",
    "cases:write": "Dossiers aanmaken en wijzigen",
    "documents:read": "Documenten lezen en downloaden",
    "documents:write": "Documenten toevoegen",
    "messages:read": "Berichten lezen",
    "messages:write": "Berichten versturen",
}
# How long a new token may live, in days (the form's choices); the default is the first.
LIFETIMES: tuple[int, ...] = (90, 30, 180, 365)
NAME_MAX = 100
RATE_WINDOW = timedelta(minutes=1)
OBJECT_TYPE = "api_token"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed token, else None (then nothing is looked up)."""
    if not token.startswith(PREFIX):
        return None
    token_id, _, secret = token[len(PREFIX) :].partition("_")
    if not is_id(token_id) or len(secret) < 40:
        return None
    return token_id, secret


def org_token_roles(org: Organisation) -> list[Role]:
    """The roles an organisation's token may act with: the case roles of its kind of organisation."""
    return sorted(ROLES_FOR_KIND[org.org_kind] & CASE_WORKERS, key=lambda r: r.value)


@dataclass(frozen=True)
class Caller:
    """Who an accepted token acts as: a user (the token's own, or an organisation token's integration actor), the
    token itself, and its scopes."""

    user: User
    token: ApiToken

    @property
    def scopes(self) -> frozenset[str]:
        return self.token.scope_set

    @property
    def is_organisation_token(self) -> bool:
        return self.token.user_id is None


class Refused(Exception):
    """The token was not accepted: malformed, unknown, wrong, expired, revoked, or its user blocked."""


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class ApiTokenService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # -- making and revoking -------------------------------------------------------------------------------------

    def _checked(self, name: str, scopes: list[str], days: int) -> tuple[str, str]:
        errors: dict[str, str] = {}
        name = " ".join(name.split())
        if not name:
            errors["name"] = "Geef de sleutel een naam, bijvoorbeeld de naam van uw bewindvoeringspakket."
        elif len(name) > NAME_MAX:
            errors["name"] = f"Een naam is ten hoogste {NAME_MAX} tekens lang."
        chosen = [s for s in SCOPES if s in scopes]
        if not chosen or len(chosen) != len(set(scopes)):
            errors["scopes"] = "Kies ten minste één bevoegdheid uit de lijst."
        if days not in LIFETIMES:
            errors["days"] = "Kies een geldigheidsduur uit de lijst."
        if errors:
            raise ValidationError(errors)
        return name, ",".join(chosen)

    async def _make(self, actor: User, *, org_id: str, user_id: str | None, role: str | None, name: str,
                    scopes: str, days: int) -> tuple[str, ApiToken]:  # fmt: skip
        row = ApiToken(
            organisation_id=org_id, user_id=user_id, role=role, name=name, scopes=scopes, token_hash="",
            created_by=actor.id, expires_at=utcnow() + timedelta(days=days),
        )  # fmt: skip
        token = f"{PREFIX}{row.id}_{secrets.token_urlsafe(32)}"
        row.token_hash = token_digest(token)
        self.db.add(row)
        if user_id is None:
            self.db.add(integration_actor(row))
        await self._audit(actor, actions.API_TOKEN_CREATE, row.id)
        await self.db.flush()
        return token, row

    async def create_for_user(self, user: User, *, name: str, scopes: list[str], days: int) -> tuple[str, ApiToken]:
        """A token acting as ``user``; returns the token (to show once) and its row."""
        if user.disabled or not user.has_role(*CASE_WORKERS):
            raise Forbidden("api_token")
        clean, joined = self._checked(name, scopes, days)
        return await self._make(
            user, org_id=user.organisation_id, user_id=user.id, role=None, name=clean, scopes=joined, days=days
        )

    async def create_for_organisation(
        self, admin: User, *, name: str, role: str, scopes: list[str], days: int
    ) -> tuple[str, ApiToken]:
        """An organisation's token, made by its administrator, acting with ``role``."""
        org = await self._admin_org(admin)
        clean, joined = self._checked(name, scopes, days)
        if role not in {r.value for r in org_token_roles(org)}:
            raise ValidationError({"role": "Kies een rol uit de lijst."})
        return await self._make(
            admin, org_id=org.id, user_id=None, role=role, name=clean, scopes=joined, days=days
        )  # fmt: skip

    async def _admin_org(self, admin: User) -> Organisation:
        org = await self.db.get(Organisation, admin.organisation_id)
        # The functioneel beheerder's own organisation is party to no case: it has no use for a token.
        if (
            org is None
            or org.org_kind == OrgKind.BEHEER
            or admin.disabled
            or not admin.has_role(ADMIN_ROLE[org.org_kind])
        ):
            raise Forbidden("api_token")
        return org

    async def user_tokens(self, user: User) -> list[ApiToken]:
        rows = await self.db.execute(
            select(ApiToken).where(col(ApiToken.user_id) == user.id).order_by(col(ApiToken.created_at).desc())
        )
        return list(rows.scalars())

    async def organisation_tokens(self, admin: User) -> list[ApiToken]:
        org = await self._admin_org(admin)
        rows = await self.db.execute(
            select(ApiToken)
            .where(col(ApiToken.organisation_id) == org.id, col(ApiToken.user_id).is_(None))
            .order_by(col(ApiToken.created_at).desc())
        )
        return list(rows.scalars())

    async def revoke(self, actor: User, token_id: str) -> ApiToken:
        """Revoke the actor's own token, or (an administrator) one of the organisation's tokens. Another's token
        does not exist for the actor (NotFound)."""
        row = await self.db.get(ApiToken, token_id) if is_id(token_id) else None
        if row is None:
            raise NotFound("ApiToken")
        if row.user_id is not None:
            if row.user_id != actor.id:
                raise NotFound("ApiToken")
        elif row.organisation_id != actor.organisation_id:
            raise NotFound("ApiToken")
        else:
            await self._admin_org(actor)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            self.db.add(row)
            await self._disable_actors([row.id])
            await self._audit(actor, actions.API_TOKEN_REVOKE, row.id)
            await self.db.flush()
        return row

    async def _disable_actors(self, token_ids: list[str]) -> None:
        await self.db.execute(
            update(User)
            .where(col(User.id).in_(token_ids), col(User.kind) == INTEGRATION)
            .values(disabled=True)
            .execution_options(synchronize_session=False)
        )

    async def disable_expired(self, now: datetime) -> int:
        """Disable the integration actors of the organisation tokens expired by ``now`` (the worker's sweep)."""
        expired = select(col(ApiToken.id)).where(
            col(ApiToken.user_id).is_(None), col(ApiToken.expires_at) <= now
        )  # fmt: skip
        result = await self.db.execute(
            update(User)
            .where(col(User.id).in_(expired), col(User.kind) == INTEGRATION, col(User.disabled).is_(False))
            .values(disabled=True)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def _audit(self, actor: User, action: str, token_id: str) -> None:
        await audit.record(
            self.db, user_id=actor.id, organisation_id=actor.organisation_id, action=action,
            object_type=OBJECT_TYPE, object_id=token_id,
        )  # fmt: skip

    # -- checking a call -----------------------------------------------------------------------------------------

    async def accept(self, token: str, *, rate_limit: int, now: datetime | None = None) -> Caller:
        """The caller a presented token acts as, with the call counted against the token's rate window and
        recorded (``api.call``, object: the token). Refused for any token that is not valid now; RateLimited when
        the window is full (then nothing is recorded). Locks the token's row: every server counts alike."""
        parts = split_token(token)
        if parts is None:
            raise Refused
        row = (
            await self.db.execute(
                select(ApiToken)
                .where(col(ApiToken.id) == parts[0])
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        if row is None or not hmac.compare_digest(row.token_hash, token_digest(token)):
            raise Refused
        # The time is taken holding the row's lock: a call that waited for it is never counted as earlier than the
        # call that opened the window (its Retry-After came out as 61 seconds of a 60-second window).
        now = now or utcnow()
        if row.revoked_at is not None or row.expires_at <= now:
            raise Refused
        user = await self._acting_user(row)
        if row.rate_window_start is None or now - row.rate_window_start >= RATE_WINDOW:
            row.rate_window_start, row.rate_count = now, 0
        if row.rate_count >= rate_limit:
            raise RateLimited(max(1, math.ceil((row.rate_window_start + RATE_WINDOW - now).total_seconds())))
        row.rate_count += 1
        row.last_used_at = now
        self.db.add(row)
        await audit.record(
            self.db, user_id=user.id, organisation_id=row.organisation_id, action=actions.API_CALL,
            object_type=OBJECT_TYPE, object_id=row.id,
        )  # fmt: skip
        await self.db.flush()
        return Caller(user=user, token=row)

    async def _acting_user(self, row: ApiToken) -> User:
        """The token's user, or an organisation token's integration actor, as it is now (read afresh: a block or a
        revocation committed since this session began counts)."""
        user = (
            await self.db.execute(
                select(User).where(col(User.id) == (row.user_id or row.id)).execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        if user is None or user.disabled or user.organisation_id != row.organisation_id:
            raise Refused
        if user.is_person == (row.user_id is None):  # a person for an organisation's token, or the reverse
            raise Refused
        return user


def integration_actor(token: ApiToken) -> User:
    """An organisation token's actor: the token's id, organisation and role; no password (``!`` matches no hash),
    no second factor, an address that can take no mail (``.invalid``, RFC 2606)."""
    return User(
        id=token.id, organisation_id=token.organisation_id, name=f"{INTEGRATION_PREFIX}{token.name}",
        email=f"api-{token.id}@koppeling.invalid", roles=format_roles({Role(token.role or "")}),
        password_hash="!", kind=INTEGRATION,  # noqa: S106  (no password: never logs in)
    )  # fmt: skip
