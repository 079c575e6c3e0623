"""Where a user is logged in: their own sessions (browser, address, last seen), and ending one or all others.

Only the user themselves sees and ends their sessions; someone else's session does not exist for them (NotFound).
The session's address and browser come from the request that started it; they are shown to that user only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.auth import SESSION_ABSOLUTE, SESSION_IDLE, STAGE_FULL
from hub.accounts.models import User, UserSession
from hub.db import is_id, utcnow
from hub.errors import NotFound

# Checked in this order: Edge and Opera say "Chrome" too, Chrome says "Safari" too.
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_user_agent(user_agent: str) -> str:
    """A few Dutch words for a browser's User-Agent: "Firefox op Windows"; "onbekende browser" otherwise."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return f"{browser} op {system}"
    return browser or system or "onbekende browser"


@dataclass(frozen=True)
class OwnSession:
    id: str
    device: str
    client_address: str
    started_at: datetime
    last_seen_at: datetime
    current: bool


async def own_sessions(db: AsyncSession, user: User, current_id: str, now: datetime | None = None) -> list[OwnSession]:
    """The user's logged-in sessions that have not expired, this one first, then by last activity."""
    now = now or utcnow()
    rows = await db.execute(
        select(UserSession)
        .where(
            col(UserSession.user_id) == user.id,
            col(UserSession.stage) == STAGE_FULL,
            col(UserSession.last_seen_at) >= now - SESSION_IDLE,
            col(UserSession.created_at) >= now - SESSION_ABSOLUTE,
        )
        .order_by(col(UserSession.last_seen_at).desc())
    )
    sessions = [
        OwnSession(
            id=s.id,
            device=describe_user_agent(s.user_agent),
            client_address=_address(s.client_address),
            started_at=s.created_at,
            last_seen_at=s.last_seen_at,
            current=s.id == current_id,
        )
        for s in rows.scalars()
    ]
    return sorted(sessions, key=lambda s: not s.current)


def _address(value: str) -> str:
    return value if re.fullmatch(r"[0-9a-fA-F:.]{2,64}", value or "") else "onbekend"


async def end_own_session(db: AsyncSession, user: User, session_id: str, current_id: str) -> None:
    """End one of the user's other sessions; this one ends by logging out."""
    if not is_id(session_id) or session_id == current_id:
        raise NotFound("UserSession")
    result = await db.execute(
        delete(UserSession).where(col(UserSession.id) == session_id, col(UserSession.user_id) == user.id)
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound("UserSession")


async def end_other_sessions(db: AsyncSession, user: User, current_id: str) -> int:
    """End every session of the user but this one (a lost phone, a shared computer)."""
    result = await db.execute(
        delete(UserSession).where(col(UserSession.user_id) == user.id, col(UserSession.id) != current_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)
