"""A user's last visit to a case, and the one rule for a document that is new to them since.

The case page records each visit; lists of documents to choose from (the case's documents, the reply form's
attachments, a milestone's evidence) mark the documents uploaded by someone else after the visit before the current
one, so "nieuw" survives the page that shows it and disappears at the next visit. A user who never opened the case
sees every document of someone else as new, as the inbox shows a thread never read as unread.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.cases.models import CaseVisit


async def last_visit(db: AsyncSession, user_id: str, case_id: str) -> datetime | None:
    """When ``user_id`` last opened the case's page (None: never)."""
    found = await db.execute(
        select(col(CaseVisit.last_seen_at)).where(col(CaseVisit.user_id) == user_id, col(CaseVisit.case_id) == case_id)
    )
    return found.scalar_one_or_none()


async def record_visit(db: AsyncSession, user_id: str, case_id: str, now: datetime) -> datetime | None:
    """Note a visit of the case's page now; return the visit before it (what "nieuw" on this page is measured by).
    One upsert that never moves the moment back in time."""
    before = await last_visit(db, user_id, case_id)
    conn = await db.connection()
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(CaseVisit).values(user_id=user_id, case_id=case_id, last_seen_at=now)
    await db.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "case_id"],
            set_={"last_seen_at": stmt.excluded.last_seen_at},
            where=col(CaseVisit.last_seen_at) < stmt.excluded.last_seen_at,
        )
    )
    return before


def is_new(uploaded_at: datetime, uploaded_by: str, viewer_id: str, since: datetime | None) -> bool:
    """A document is new to the viewer when someone else uploaded it after the viewer's previous visit."""
    if uploaded_by == viewer_id:
        return False
    return since is None or uploaded_at > since
