"""The reaction clocks of convenant §1b as a pure rule engine: no database, no I/O, no clock of its own.

Input: the thread's kind, its running clocks (:class:`RunningClock`) and the new message (:class:`NewMessage`: its
kind, the sending and the receiving party, the moment, an agreed date). Output: the clock changes
(:class:`ClockChanges`: stop this clock, in time or late; move that one to a new due moment; start clocks of these
kinds for that party, due then). :mod:`hub.messaging.threads` applies them to the rows.

The rules (one party posts, the other owes a reaction):

- A ``bericht`` or ``vraag_om_informatie`` from a party, when no clock runs in the thread, starts the other party's
  clock(s): casuïstiek 2 werkdagen; a general question 2 werkdagen for a first reaction and 2 weken for the
  substantive one. A further message from the asking side while a clock runs does not restart it.
- The owing party stops its clocks with an ``inhoudelijke_reactie`` (all its running clocks in the thread). On a
  general question any reply (also a plain ``bericht``) stops the first-reaction clock. A substantive reaction asks
  for nothing, so no clock starts for the other party.
- A ``procesafspraak`` carries an agreed date: the substantive clock's due moment becomes the end of that date and
  the clock keeps running; whether the afspraak itself came after the due moment then in force is kept. On a general
  question it also stops the first-reaction clock (stop kind ``procesafspraak``). Only a party that owes a
  substantive reaction can make one (:func:`may_agree`).
- A ``vraag_om_informatie`` from the owing party hands the clock over: its running clocks stop as ``overgedragen``
  and the same kind of clock(s) start for the other party, marked ``handed_over``. When that party answers with an
  ``inhoudelijke_reactie`` (the information), the turn goes back: fresh clocks start for the party that asked.
- A ``geen_reactie_nodig`` message asks nothing and answers nothing: it starts no clock and stops none.
- A clock is in time when it stopped no later than its due moment and no procesafspraak was made late.
- At most one party owes a reaction in a thread at any moment (:func:`waiting_on`).

Due moments are counted on the calendar of the gemeente party, which the caller passes (:func:`due_for`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from hub.messaging.models import ClockKind, MessageKind, StopKind, ThreadKind
from hub.terms import (
    WerkdagCalendar,
    algemene_eerste_reactie_due,
    algemene_inhoudelijke_reactie_due,
    end_of_day,
    reactie_casuistiek_due,
)

CLOCKS_FOR: dict[ThreadKind, tuple[ClockKind, ...]] = {
    ThreadKind.CASUISTIEK: (ClockKind.CASUISTIEK,),
    ThreadKind.ALGEMEEN: (ClockKind.ALGEMEEN_EERSTE, ClockKind.ALGEMEEN_INHOUDELIJK),
}
# The clocks a procesafspraak moves (the substantive ones); the first-reaction clock is stopped by it instead.
SUBSTANTIVE_CLOCKS = frozenset({ClockKind.CASUISTIEK, ClockKind.ALGEMEEN_INHOUDELIJK})
# The messages that ask the other party something: they start its clocks when none runs.
ASKING = frozenset({MessageKind.BERICHT, MessageKind.VRAAG_OM_INFORMATIE})


def due_for(kind: ClockKind, received: datetime, calendar: WerkdagCalendar) -> datetime:
    """The rule-based due moment of a clock of ``kind`` that starts with receipt at ``received``."""
    if kind == ClockKind.CASUISTIEK:
        return reactie_casuistiek_due(received, calendar=calendar)
    if kind == ClockKind.ALGEMEEN_EERSTE:
        return algemene_eerste_reactie_due(received, calendar=calendar)
    return algemene_inhoudelijke_reactie_due(received, calendar=calendar)


# -- input -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningClock:
    """A clock that runs in the thread: who owes the reaction, by when."""

    id: str
    kind: ClockKind
    owed_by: str
    due_at: datetime
    handed_over: bool = False  # started by the other party's vraag om informatie
    rescheduled_late: bool = False  # a procesafspraak came after the due moment then in force


@dataclass(frozen=True)
class NewMessage:
    kind: MessageKind
    sender: str  # the organisation that posts
    receiver: str  # the other party of the thread
    at: datetime
    agreed_date: date | None = None  # a procesafspraak's date


# -- output ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    clock_id: str
    how: StopKind
    in_time: bool


@dataclass(frozen=True)
class Reschedule:
    clock_id: str
    due_at: datetime  # the end of the agreed date
    late: bool  # the afspraak came after the due moment then in force


@dataclass(frozen=True)
class Start:
    kind: ClockKind
    owed_by: str
    due_at: datetime
    handed_over: bool


@dataclass(frozen=True)
class Settlement:
    """What the message does to the running clocks; whether a new turn starts (for ``start_for``)."""

    stops: tuple[Stop, ...]
    reschedules: tuple[Reschedule, ...]
    running: tuple[RunningClock, ...]  # still running afterwards, with their new due moments
    start_for: str | None  # the party whose clocks start now, if any
    handed_over: bool  # the new clocks are a handed-over turn


@dataclass(frozen=True)
class ClockChanges:
    stops: tuple[Stop, ...]
    reschedules: tuple[Reschedule, ...]
    starts: tuple[Start, ...]
    running: tuple[RunningClock, ...]  # still running afterwards (without the new ones, which have no id yet)


# -- the rules -------------------------------------------------------------------------------------------------


def in_time(clock: RunningClock, at: datetime) -> bool:
    """A clock that stops at ``at`` is in time: no later than its due moment, and no procesafspraak made late."""
    return at <= clock.due_at and not clock.rescheduled_late


def may_agree(running: Sequence[RunningClock], org_id: str) -> bool:
    """A procesafspraak is for a party that owes a substantive reaction."""
    return any(c.owed_by == org_id and c.kind in SUBSTANTIVE_CLOCKS for c in running)


def _stop_kind(clock: RunningClock, message: NewMessage) -> StopKind | None:
    """How the sender's own clock stops with this message; None when it runs on (or is rescheduled)."""
    if message.kind == MessageKind.INHOUDELIJKE_REACTIE:
        return StopKind.REACTIE
    if message.kind == MessageKind.VRAAG_OM_INFORMATIE:
        return StopKind.OVERGEDRAGEN
    if message.kind in (MessageKind.PROCESAFSPRAAK, MessageKind.BERICHT) and clock.kind == ClockKind.ALGEMEEN_EERSTE:
        # A procesafspraak is the first reaction to a general question; so is any plain reply.
        return StopKind.PROCESAFSPRAAK if message.kind == MessageKind.PROCESAFSPRAAK else StopKind.REACTIE
    return None  # a plain message does not answer a substantive question; a procesafspraak moves it


def settle(running: Sequence[RunningClock], message: NewMessage) -> Settlement:
    """Stop, move or keep each running clock for this message, and say whether a new turn starts."""
    if message.kind == MessageKind.GEEN_REACTIE_NODIG:
        return Settlement((), (), tuple(running), None, False)
    stops: list[Stop] = []
    reschedules: list[Reschedule] = []
    still: list[RunningClock] = []
    hands_back = False
    for clock in running:
        if clock.owed_by != message.sender:
            still.append(clock)  # the other party's clock: a reminder from the asking side does not restart it
            continue
        how = _stop_kind(clock, message)
        if how is not None:
            stops.append(Stop(clock.id, how, in_time(clock, message.at)))
            # Answering a counter question (the information asked for) hands the turn back to the other party.
            hands_back = hands_back or (clock.handed_over and how == StopKind.REACTIE)
            continue
        if message.kind == MessageKind.PROCESAFSPRAAK:
            if message.agreed_date is None:
                raise ValueError("a procesafspraak carries an agreed date")
            late = clock.rescheduled_late or message.at > clock.due_at
            due = end_of_day(message.agreed_date)
            reschedules.append(Reschedule(clock.id, due, message.at > clock.due_at))
            clock = replace(clock, due_at=due, rescheduled_late=late)
        still.append(clock)
    if still:
        return Settlement(tuple(stops), tuple(reschedules), tuple(still), None, False)
    handed_over = message.kind == MessageKind.VRAAG_OM_INFORMATIE and bool(stops)
    starts_turn = message.kind in ASKING or hands_back
    return Settlement(
        tuple(stops), tuple(reschedules), (), message.receiver if starts_turn else None, handed_over and starts_turn
    )


def starts(
    thread_kind: ThreadKind, owed_by: str, at: datetime, calendar: WerkdagCalendar, *, handed_over: bool = False
) -> tuple[Start, ...]:
    """The clocks of a new turn: every clock of the thread's kind for ``owed_by``, from receipt at ``at``."""
    return tuple(Start(k, owed_by, due_for(k, at, calendar), handed_over) for k in CLOCKS_FOR[thread_kind])


def decide(
    thread_kind: ThreadKind, running: Sequence[RunningClock], message: NewMessage, calendar: WerkdagCalendar
) -> ClockChanges:
    """All the clock changes of one message (:func:`settle`, then :func:`starts` when a new turn starts)."""
    settled = settle(running, message)
    new: tuple[Start, ...] = ()
    if settled.start_for is not None:
        new = starts(thread_kind, settled.start_for, message.at, calendar, handed_over=settled.handed_over)
    return ClockChanges(settled.stops, settled.reschedules, new, settled.running)


def waiting_on(owed: Sequence[tuple[str, datetime]]) -> tuple[str, datetime] | None:
    """Who owes a reaction in the thread and the earliest due moment, from the running clocks' (owed by, due at);
    None when no clock runs. All running clocks are owed by one party (the rules keep it so): the first one's."""
    if not owed:
        return None
    return owed[0][0], min(due for _, due in owed)
