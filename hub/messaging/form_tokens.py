"""One-time form tokens: a message form carries one, and the message it posts stores a digest of it, so a retried
submission (the answer was lost, the user pressed again) finds the first message instead of posting it twice."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.models import User
from hub.messaging.models import Message

FORM_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def new_form_token() -> str:
    """The token a message form carries (256 random bits)."""
    return secrets.token_urlsafe(32)


def form_token_digest(user: User, form_token: str | None) -> str | None:
    """What is stored of a form token: bound to its author, so nobody else's token can match. None without one."""
    if not form_token or not FORM_TOKEN_RE.fullmatch(form_token):
        return None
    return hashlib.sha256(f"{user.id}:{form_token}".encode()).hexdigest()


async def posted_with(db: AsyncSession, user: User, form_token: str | None) -> Message | None:
    """The message ``user`` already sent with the form of ``form_token``, if any."""
    digest = form_token_digest(user, form_token)
    if digest is None:
        return None
    found = (await db.execute(select(Message).where(col(Message.form_token) == digest))).scalar_one_or_none()
    return found if found is not None and found.author_id == user.id else None


async def opened_its_thread(db: AsyncSession, message: Message) -> bool:
    """Is ``message`` the first of its thread (so the token it was posted with started the thread)?"""
    first = await db.execute(
        select(col(Message.id)).where(col(Message.thread_id) == message.thread_id).order_by(col(Message.sent_at))
    )
    return first.scalars().first() == message.id
