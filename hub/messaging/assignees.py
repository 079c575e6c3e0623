"""Who handles a thread on one side: what messaging tells the Notifier about (the notifications part reads no
thread or case)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.cases.models import Case
from hub.messaging.models import Thread


async def side_assignees(db: AsyncSession, thread: Thread, org_id: str) -> tuple[str, ...]:
    """The assignee of ``org_id``'s side of the thread, else that side's assignee of the thread's case; empty when
    nobody is assigned (the Notifier then tells the organisation's users of the recipient roles).

    ValueError when ``org_id`` is not a party to the thread: nobody else is ever told about it.
    """
    if org_id not in thread.party_ids():
        raise ValueError("the receiving organisation is not a party to this thread")
    if org_id == thread.gemeente_id and thread.gemeente_assignee_id:
        return (thread.gemeente_assignee_id,)
    if org_id == thread.kantoor_id and thread.kantoor_assignee_id:
        return (thread.kantoor_assignee_id,)
    if thread.case_id is not None:
        case = await db.get(Case, thread.case_id)
        if case is not None:
            assignee = case.gemeente_contact_id if org_id == case.gemeente_id else case.bewindvoerder_id
            if assignee:
                return (assignee,)
    return ()
