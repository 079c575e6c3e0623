"""Organisations, convenants, users, their MFA material and server-side sessions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel, col

from hub.accounts.roles import OrgKind, Role, parse_roles
from hub.db import UTCDateTime, new_id, utcnow

# How a user hears of new work: a mail per event, or one daily digest on werkdagen (Dutch labels for the form).
NOTIFY_MODES = {"direct": "Direct een e-mail bij elk nieuw bericht of document", "digest": "Eén overzicht per werkdag"}


def _moment(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    kind: str = Field(max_length=32, index=True)
    name: str = Field(max_length=200, unique=True)
    # The covenant's one contact person and one fixed address (§1a), and when they were last confirmed.
    contact_person: str = Field(default="", max_length=200)
    contact_email: str = Field(default="", max_length=254)
    contact_phone: str = Field(default="", max_length=40)
    contacts_confirmed_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    contacts_confirmed_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    # Its own retention period for ended cases, in years (hub.retention); None: HUB_RETENTION_CASE_YEARS. A case
    # is kept for the longer period of its two parties.
    retention_case_years: int | None = None
    # The day the organisation ended (hub.accounts.organisation_admin): its convenants end that day too, so no new
    # case or question starts; its history stays.
    ended_on: date | None = None

    @property
    def org_kind(self) -> OrgKind:
        return OrgKind(self.kind)

    def party_ids(self) -> tuple[str]:
        return (self.id,)


CONVENANT_ACTIVE = "actief"


class Convenant(SQLModel, table=True):
    __tablename__ = "convenant"
    __table_args__ = (UniqueConstraint("gemeente_id", "kantoor_id", "start_date"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    gemeente_id: str = Field(foreign_key="organisation.id", index=True, max_length=32)
    kantoor_id: str = Field(foreign_key="organisation.id", index=True, max_length=32)
    start_date: date
    end_date: date | None = None
    status: str = Field(default="actief", max_length=20)  # concept | actief | beeindigd
    created_at: datetime = Field(default_factory=utcnow, sa_column=_moment())

    def party_ids(self) -> tuple[str, str]:
        return (self.gemeente_id, self.kantoor_id)

    def is_active_on(self, day: date) -> bool:
        """The one rule for "an active convenant": marked actief, started, and not yet ended on ``day``
        (a Dutch calendar date). New cases and new general questions both need it."""
        return (
            self.status == CONVENANT_ACTIVE
            and self.start_date <= day
            and (self.end_date is None or self.end_date >= day)
        )


# What a user row is: a person who logs in, or an organisation API token's integration actor (hub.accounts.
# api_tokens): a row that messages and documents can name as their author, which never logs in and is in no list of
# people. Its id is the token's id, so that its audit records name the token.
PERSON = "person"
INTEGRATION = "integration"
INTEGRATION_PREFIX = "API-koppeling "  # its name: the prefix and the token's name


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=32)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254, unique=True)  # stored lower-cased
    roles: str = Field(max_length=200)  # comma-separated Role values
    password_hash: str = Field(max_length=255)
    must_change_password: bool = False
    disabled: bool = False
    # TOTP secret, field-encrypted with the keyring; NULL until enrolment is complete.
    totp_secret: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # The last accepted TOTP time step: a code is accepted once only.
    totp_last_step: int | None = None
    mfa_enrolled_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    notify_mode: str = Field(default="direct", max_length=10)  # one of NOTIFY_MODES
    # A one-time password (must_change_password) no longer logs in after this moment; NULL: no limit (a password
    # the user chose, or one set before expiry existed).
    password_expires_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    # Removed by an administrator (hub.accounts.user_admin): also ``disabled``, for good. The row stays so that the
    # audit log, messages and notes keep showing the name; the user is in no list of people to assign.
    removed_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    kind: str = Field(default=PERSON, max_length=20)  # PERSON or INTEGRATION

    @property
    def is_person(self) -> bool:
        return self.kind == PERSON

    @property
    def role_set(self) -> frozenset[Role]:
        return parse_roles(self.roles)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.role_set.intersection(roles))

    def party_ids(self) -> tuple[str]:
        return (self.organisation_id,)


def people() -> ColumnElement[bool]:
    """The condition of every list of people (colleagues, assignees, recipients, user administration): no
    integration actor."""
    return col(User.kind) == PERSON


class RecoveryCode(SQLModel, table=True):
    __tablename__ = "recovery_code"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="user_account.id", index=True, max_length=32)
    code_hash: str = Field(max_length=64)  # HMAC of an 80-bit random code (hub.accounts.totp.recovery_code_digest)
    used_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    # Set on the rows that existed at revision 0011, which may be 50-bit codes stored as an unkeyed SHA-256: such a
    # code is accepted until this moment only. NULL for every code made since (80 bits, HMAC).
    legacy_until: datetime | None = Field(default=None, sa_column=_moment(nullable=True))


class EnrolmentToken(SQLModel, table=True):
    """A single-use link that lets a user set their own password (and then enrol MFA). The token is made when the
    mail is sent and exists only in that mail; only its SHA-256 is stored."""

    __tablename__ = "enrolment_token"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="user_account.id", index=True, max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    expires_at: datetime = Field(sa_column=_moment())
    used_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))


class UserSession(SQLModel, table=True):
    """A server-side session. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: str = Field(foreign_key="user_account.id", index=True, max_length=32)
    # password_ok: the password was right; the second factor is still owed. full: logged in.
    stage: str = Field(default="password_ok", max_length=20)
    csrf_token: str = Field(max_length=64)
    # A TOTP secret being enrolled, field-encrypted; moved to the user only when a code proves it.
    pending_totp_secret: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    # Where the login came from, shown to the user only (Mijn account: where am I logged in?).
    client_address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)


class LoginThrottle(SQLModel, table=True):
    """Failed attempts per key (an account's hashed e-mail, or a client address) in the current window."""

    __tablename__ = "login_throttle"
    __table_args__ = (Index("ix_login_throttle_locked_until", "locked_until"),)

    key: str = Field(primary_key=True, max_length=80)
    failures: int = 0
    window_start: datetime = Field(default_factory=utcnow, sa_column=_moment())
    locked_until: datetime | None = Field(default=None, sa_column=_moment(nullable=True))


class ApiToken(SQLModel, table=True):
    """A bearer token for the API (hub.api). The token is ``hub_<id>_<secret>``: the id finds the row, only the
    SHA-256 of the whole token is stored (the secret is 256 random bits, so a fast hash suffices). A user's token
    acts as that user; an organisation's token (``user_id`` NULL) acts as the organisation with ``role``. The scopes
    narrow what the roles allow, never widen it. The rate window is stored here so that every server counts alike."""

    __tablename__ = "api_token"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=32)
    user_id: str | None = Field(default=None, foreign_key="user_account.id", index=True, max_length=32)
    role: str | None = Field(default=None, max_length=40)  # an organisation token's role; NULL for a user's token
    name: str = Field(max_length=100)
    scopes: str = Field(max_length=300)  # comma-separated, hub.accounts.api_tokens.SCOPES
    token_hash: str = Field(max_length=64, unique=True)
    created_by: str = Field(foreign_key="user_account.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    expires_at: datetime = Field(sa_column=_moment())
    revoked_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    rate_window_start: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    rate_count: int = 0

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split(",") if s)
