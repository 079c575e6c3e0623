"""What every messaging service shares: the session, the keyring, the calendars, the clock, the Notifier, and the one
way to load a thread for a user (the party check, then the role's right).

Reading message content is audited (ids only, never a subject or body): ``thread.view`` (a thread's messages),
``thread.list`` (an inbox page that shows at least one decrypted subject), ``thread.search`` (an inbox page with a
filter); so are ``message.post``, ``thread.assign`` and ``thread.close`` (hub.audit.actions names them all). A
transaction that writes an audit record writes it before it locks anything else (the chain head first, then the
thread), so that two audited transactions always take their locks in the same order.

No Starlette here: callers pass plain values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring
from hub.accounts.authz import Action, require
from hub.accounts.models import User
from hub.audit import services as audit
from hub.calendars.services import CalendarSource
from hub.db import is_id, utcnow
from hub.errors import NotFound
from hub.messaging.clocks import waiting_on
from hub.messaging.models import Clock, Thread
from hub.notifications.interfaces import Notifier
from hub.notifications.outbox import OutboxNotifier

# Audit object types.
OBJECT_THREAD = "message_thread"
OBJECT_MESSAGE = "message"

S = TypeVar("S", bound="MessagingBase")


class MessagingBase:
    def __init__(
        self,
        db: AsyncSession,
        keyring: Keyring,
        *,
        calendars: CalendarSource | None = None,
        clock: Callable[[], datetime] = utcnow,
        notifier: Notifier | None = None,
        notifications: bool = True,
    ) -> None:
        """``calendars``: the gemeenten's werkdag calendars (keep one source per process). ``notifier``: told of
        every message (the receiving organisation's e-mail notice) and of every clock that stops or moves; the
        outbox in this session by default. ``notifications=False``: no notice of messages."""
        self.db = db
        self.keyring = keyring
        self.calendars = calendars if calendars is not None else CalendarSource()
        self.clock = clock
        self.notifier: Notifier = notifier if notifier is not None else OutboxNotifier(db)
        self.notifications = notifications

    def using(self, service: type[S]) -> S:
        """Another messaging service on the same session, keyring, calendars, clock and Notifier."""
        return service(
            self.db,
            self.keyring,
            calendars=self.calendars,
            clock=self.clock,
            notifier=self.notifier,
            notifications=self.notifications,
        )

    def _now(self, now: datetime | None) -> datetime:
        moment = now if now is not None else self.clock()
        if moment.tzinfo is None:
            raise ValueError("naive datetime refused: pass a timezone-aware moment")
        return moment

    async def _audit(self, user: User, action: str, object_type: str, object_id: str) -> None:
        """One audit record (ids only), in the caller's transaction."""
        await audit.record(
            self.db,
            user_id=user.id,
            organisation_id=user.organisation_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
        )

    async def get_thread(
        self, user: User, thread: Thread | str, action: Action = Action.VIEW_CASES, *, lock: bool = False
    ) -> Thread:
        """The thread, if the user's organisation is party to it (else NotFound) and the role allows ``action``."""
        thread_id = thread.id if isinstance(thread, Thread) else thread
        query = select(Thread).where(col(Thread.id) == thread_id)
        if lock:
            # The locked row is the newest version: refresh an instance loaded earlier in this session.
            query = query.with_for_update().execution_options(populate_existing=True)
        found = (await self.db.execute(query)).scalar_one_or_none()
        if found is None:
            raise NotFound("Thread")
        require(user, action, found)
        return found

    def _locked_since_begin(self) -> bool:
        """Does this transaction hold the whole database's write lock since it began? On SQLite, yes (BEGIN
        IMMEDIATE, hub.db): a row read earlier in it is what a locking read (SELECT ... FOR UPDATE) would find."""
        return self.db.get_bind().dialect.name == "sqlite"

    async def running_clocks(self, thread_id: str) -> list[Clock]:
        """The thread's running clocks, earliest due first."""
        rows = await self.db.execute(
            select(Clock)
            .where(col(Clock.thread_id) == thread_id, col(Clock.stopped_at).is_(None))
            .order_by(col(Clock.due_at))
        )
        return list(rows.scalars())


def thread_id_of(thread: Thread | str) -> str:
    """The thread's id; NotFound for a string that is no id (before it reaches an audit record or a query)."""
    thread_id = thread.id if isinstance(thread, Thread) else thread
    if not is_id(thread_id):
        raise NotFound("Thread")
    return thread_id


def set_waiting(thread: Thread, running: list[Clock]) -> None:
    """The thread's denormalised state from its running clocks: who owes, who waits, the earliest due moment."""
    state = waiting_on([(c.owed_by_org_id, c.due_at) for c in running])
    if state is not None:
        owner, due = state
        thread.waiting_on_org_id = owner
        thread.awaited_by_org_id = thread.other_party(owner)
        thread.current_due_at = due
    else:
        thread.waiting_on_org_id = None
        thread.awaited_by_org_id = None
        thread.current_due_at = None
