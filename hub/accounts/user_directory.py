"""The functioneel beheerder finds a user among thousands: by a part of the name or the address, filtered by
organisation and role, a page at a time.

Users' names and addresses are stored in the clear (unlike a client's name, hub.cases.name_index): an address is the
login name and must be looked up exactly, and a user's name is shown to every organisation they exchange messages
with. So the search is a plain case-insensitive substring match (``LIKE``, with ``%`` and ``_`` escaped) on the
lower-cased name (every letter folded on SQLite too: :func:`hub.db.unicode_lower`) and the (lower-cased)
address: no blind index is needed, and at tens of thousands of accounts one
scan takes milliseconds. The typed text is personal data: the page posts it (never in a URL) and it is neither
logged nor audited; the filters (organisation and role ids) and the page number are plain query parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.authz import Action, require
from hub.accounts.models import Organisation, User, people
from hub.accounts.roles import Role
from hub.db import unicode_lower

PAGE_SIZE = 50
QUERY_MAX = 100


@dataclass(frozen=True)
class UserPage:
    rows: list[tuple[User, Organisation]]
    total: int
    page: int  # 1-based
    pages: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class UserDirectory:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def search(
        self, actor: User, *, text: str = "", organisation_id: str = "", role: Role | None = None, page: int = 1
    ) -> UserPage:
        require(actor, Action.MANAGE_ALL_USERS)
        dialect = self.db.get_bind().dialect.name
        where: list[ColumnElement[bool]] = [people()]
        text = text.strip().lower()[:QUERY_MAX]
        if text:
            pattern = _like(text)
            where.append(
                or_(
                    unicode_lower(dialect, col(User.name)).like(pattern, escape="\\"),
                    col(User.email).like(pattern, escape="\\"),
                )
            )
        if organisation_id:
            where.append(col(User.organisation_id) == organisation_id)
        if role is not None:  # roles is a comma-separated list of role values
            where.append((literal(",") + col(User.roles) + literal(",")).like(f"%,{role.value},%"))
        total = int((await self.db.execute(select(func.count()).select_from(User).where(*where))).scalar_one())
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 1), pages)
        rows = await self.db.execute(
            select(User, Organisation)
            .join(Organisation, col(Organisation.id) == col(User.organisation_id))
            .where(*where)
            .order_by(unicode_lower(dialect, col(User.name)), col(User.id))
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        return UserPage([(u, o) for u, o in rows.all()], total, page, pages)
