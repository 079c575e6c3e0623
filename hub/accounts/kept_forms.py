"""Kept forms: what a user typed into a form that arrived after their session had ended, kept for a short while
so that it can be put back into the same page after they log in again (never submitted by itself).

The text fields are encrypted (:data:`hub.fields.KEPT_FORM_FIELDS`); the browser holds a random reference in a
short-lived cookie, only its SHA-256 is stored. A kept form is bound to the user whose session had ended when that
is known; when that session is gone altogether (a logout in another tab, purged), to the user the browser's signed
"who logged in last" cookie names (:func:`user_hint`); only without either to the first user who logs in with the
same cookie. Anyone else logging in removes it unseen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, LargeBinary, delete, select
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring, decrypt_field, encrypt_field
from hub.db import UTCDateTime, new_id, transaction, utcnow
from hub.fields import KEPT_FORM_FIELDS
from hub.runtime import Runtime

KEPT_FORM_LIFETIME = timedelta(minutes=30)
MAX_KEPT_BYTES = 256 * 1024  # the text fields together, as JSON


class KeptForm(SQLModel, table=True):
    __tablename__ = "kept_form"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    reference_hash: str = Field(max_length=64, unique=True)
    user_id: str | None = Field(default=None, max_length=32, index=True)  # the ended session's user, if known
    return_path: str = Field(max_length=500)  # the page the form is on (a local path)
    form_path: str = Field(max_length=500)  # where the form posts: which form on that page to fill
    fields: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # encrypted JSON [[name, value], ...]
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


@dataclass(frozen=True)
class KeptFields:
    form_path: str
    fields: list[tuple[str, str]]


def _hint_mac(keyring: Keyring, user_id: str) -> str:
    # The keyring's index key, with a purpose prefix so that no blind index can ever equal a hint.
    return hmac.new(keyring.index_key, b"hub kept-form user hint\x00" + user_id.encode(), hashlib.sha256).hexdigest()


def user_hint(keyring: Keyring, user_id: str) -> str:
    """The value of the browser's "who logged in last" cookie: the user's id with its MAC (no personal data)."""
    return f"{user_id}.{_hint_mac(keyring, user_id)}"


def user_of_hint(keyring: Keyring, value: str) -> str | None:
    """The user id a hint cookie names, when its MAC is right; None for anything else."""
    user_id, _, mac = value.partition(".")
    if not user_id or len(user_id) > 32 or not hmac.compare_digest(mac, _hint_mac(keyring, user_id)):
        return None
    return user_id


def reference_hash(reference: str) -> str:
    return hashlib.sha256(reference.encode("ascii", "ignore")).hexdigest()


async def keep_form(
    db: AsyncSession,
    keyring: Keyring,
    *,
    reference: str,
    user_id: str | None,
    return_path: str,
    form_path: str,
    fields: list[tuple[str, str]],
    now: datetime | None = None,
) -> bool:
    """Keep ``fields`` under ``reference`` (replacing what that browser kept before); False when too large."""
    now = now or utcnow()
    plain = json.dumps(fields, ensure_ascii=False).encode("utf-8")
    if len(plain) > MAX_KEPT_BYTES or len(return_path) > 500 or len(form_path) > 500:
        return False
    await purge_kept_forms(db, now)
    digest = reference_hash(reference)
    await db.execute(delete(KeptForm).where(col(KeptForm.reference_hash) == digest))
    row = KeptForm(
        reference_hash=digest,
        user_id=user_id,
        return_path=return_path,
        form_path=form_path,
        fields=b"",
        created_at=now,
        expires_at=now + KEPT_FORM_LIFETIME,
    )
    row.fields = encrypt_field(keyring, plain, context=KEPT_FORM_FIELDS.context(row.id))
    db.add(row)
    await db.flush()
    return True


async def take_kept_form(
    db: AsyncSession, keyring: Keyring, *, reference: str, user_id: str, path: str, now: datetime | None = None
) -> KeptFields | None:
    """The fields kept under ``reference`` for ``user_id``, once, when ``path`` (with its query string) is their
    page. Another user's kept
    form is removed (it is never shown to anyone else); an expired one is gone."""
    now = now or utcnow()
    row = (
        await db.execute(select(KeptForm).where(col(KeptForm.reference_hash) == reference_hash(reference)))
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.expires_at <= now or (row.user_id is not None and row.user_id != user_id):
        await db.delete(row)
        return None
    if row.return_path not in (path, path.partition("?")[0]):  # the page itself (a kept query must match too)
        if row.user_id is None:
            row.user_id = user_id  # the first login with this cookie claims it
        return None
    plain = decrypt_field(keyring, row.fields, context=KEPT_FORM_FIELDS.context(row.id))
    await db.delete(row)
    return KeptFields(form_path=row.form_path, fields=[(str(n), str(v)) for n, v in json.loads(plain)])


async def purge_kept_forms(db: AsyncSession, now: datetime | None = None) -> int:
    """Remove kept forms past their lifetime."""
    result = await db.execute(delete(KeptForm).where(col(KeptForm.expires_at) <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)


class StoredForms:
    """The kept forms of a running hub, as the web layer's FormKeeper (hub.web.kept_forms): each call in a
    transaction of its own. ``runtime`` is called on use: the app's runtime exists only once its lifespan runs."""

    def __init__(self, runtime: Callable[[], Runtime]) -> None:
        self.runtime = runtime

    async def keep(
        self,
        *,
        reference: str,
        user_id: str | None,
        return_path: str,
        form_path: str,
        fields: list[tuple[str, str]],
        user_hint: str = "",
    ) -> bool:
        rt = self.runtime()
        if user_id is None and user_hint:
            user_id = user_of_hint(rt.keyring, user_hint)
        async with transaction(rt.sessions) as db:
            return await keep_form(
                db, rt.keyring, reference=reference, user_id=user_id, return_path=return_path, form_path=form_path,
                fields=fields,
            )  # fmt: skip

    async def take(self, *, reference: str, user_id: str, path: str) -> KeptFields | None:
        rt = self.runtime()
        async with transaction(rt.sessions) as db:
            return await take_kept_form(db, rt.keyring, reference=reference, user_id=user_id, path=path)
