"""The reaction clocks of convenant §1b as a pure rule engine: no database, no I/O, no clock of its own.

Input: the thread's kind, its running clocks (:class:`RunningClock`) and the new message (:class:`NewMessage`: its
kind, the sending and the receiving party, the moment, an agreed date). Output: the clock changes
(:class:`ClockChanges`: stop this clock, in time or late; move that one to a new due moment; start clocks of these
kinds for that party, due then, at that depth). :mod:`hub.messaging.threads` applies them to the rows.

**The turn is a stack.** Depth 0 is the original question; the party that owes a reaction there is the bottom of the
stack. A ``vraag_om_informatie`` from the owing party pushes: the other party now owes the information, at depth + 1.
The substantive answer to it pops: the turn goes back to the party below, at depth - 1. The parties alternate, so the
depth of the running clocks is the whole stack. The stack is empty when no clock runs.

The rules (one party posts; "the owing party" is the one whose clocks run):

- **A question.** A ``bericht`` or ``vraag_om_informatie`` when no clock runs opens the stack: the receiver's clocks
  start at depth 0: casuïstiek 2 werkdagen; a general question 2 werkdagen for a first reaction and 2 weken for the
  substantive answer. Whatever the asking party sends while the other party owes (a reminder, a second question, a
  thank-you) starts, stops and moves nothing.
- **A first reaction is a first reaction.** On a general question every message of the owing party (``bericht``,
  ``geen_reactie_nodig``, ``procesafspraak``, ``vraag_om_informatie``, ``inhoudelijke_reactie``) stops its
  2-werkdagen first-reaction clock (stop kind ``procesafspraak`` for a procesafspraak, ``overgedragen`` for a vraag
  om informatie, else ``reactie``). Only the 2-weken clock keeps running, unless the kind stops it too.
- **The substantive answer.** An ``inhoudelijke_reactie`` of the owing party stops all its clocks (``reactie``). At
  depth 0 the conversation's question is answered: nothing starts. At depth d > 0 it is the information asked for:
  the turn goes back to the other party at depth d - 1, with the term the covenant gives from the answer's receipt.
  On casuïstiek that is a fresh 2-werkdagen clock. On a general question only the 2-weken clock starts again: the
  party below already gave its first reaction (its vraag om informatie was one), so it owes no second one.
- **A counter-question.** A ``vraag_om_informatie`` of the owing party stops its clocks as ``overgedragen`` and starts
  the other party's at depth + 1: every clock of the thread's kind, as for a new question (on a general question
  also the first-reaction clock: the counter-question is a question to that party). Any depth.
- **A procesafspraak** (only for a party that owes a substantive reaction, :func:`may_agree`) carries an agreed date:
  the owing party's substantive clock is due at the end of that date and keeps running; whether the afspraak came
  after the due moment then in force is kept. On casuïstiek the agreed date is the new due moment, without maximum.
  On a general question the 2 weken are a maximum ("een reactietermijn van maximaal twee weken"): the date may not
  lie after the clock's rule-based due moment (:func:`agreed_date_limit`). :func:`decide` does not check the date;
  the service refuses a message that breaks it, before deciding anything.
- **In time.** A clock that stops at a moment is in time when that moment's Amsterdam date is on or before its due
  date (the whole last second counts, :mod:`hub.terms.passing`) and no procesafspraak was made late.
- **One side owes.** At most one party owes a reaction in a thread at any moment, and exactly one while the stack is
  not empty (:func:`waiting_on`).

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
    as_local_date,
    end_of_day,
    is_overdue,
    reactie_casuistiek_due,
    within_term,
)

CLOCKS_FOR: dict[ThreadKind, tuple[ClockKind, ...]] = {
    ThreadKind.CASUISTIEK: (ClockKind.CASUISTIEK,),
    ThreadKind.ALGEMEEN: (ClockKind.ALGEMEEN_EERSTE, ClockKind.ALGEMEEN_INHOUDELIJK),
}
# The clocks of the substantive answer: a procesafspraak moves them, a hand-back starts only them.
SUBSTANTIVE_CLOCKS = frozenset({ClockKind.CASUISTIEK, ClockKind.ALGEMEEN_INHOUDELIJK})
# The messages that ask the other party something: they start its clocks when none runs.
ASKING = frozenset({MessageKind.BERICHT, MessageKind.VRAAG_OM_INFORMATIE})
# On a general question: the substantive clock whose rule-based due moment is the latest a procesafspraak may agree.
MAXIMUM_TERM = ClockKind.ALGEMEEN_INHOUDELIJK


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
    """A clock that runs in the thread: who owes the reaction, by when, at which depth of the turn's stack."""

    id: str
    kind: ClockKind
    owed_by: str
    due_at: datetime
    depth: int = 0  # 0: the original question; d > 0: the answer to the d-th nested vraag om informatie
    rescheduled_late: bool = False  # a procesafspraak came after the due moment then in force
    rule_due_at: datetime | None = None  # the rule-based due moment, before any procesafspraak (None: due_at)

    @property
    def rule_due(self) -> datetime:
        return self.due_at if self.rule_due_at is None else self.rule_due_at


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
    depth: int = 0


@dataclass(frozen=True)
class Settlement:
    """What the message does to the running clocks; whether a new turn starts (for ``start_for``, at ``depth``)."""

    stops: tuple[Stop, ...]
    reschedules: tuple[Reschedule, ...]
    running: tuple[RunningClock, ...]  # still running afterwards, with their new due moments
    start_for: str | None  # the party whose clocks start now, if any
    depth: int = 0  # the depth of the new clocks
    hand_back: bool = False  # the new turn is a hand-back after the information asked for: substantive clocks only


@dataclass(frozen=True)
class ClockChanges:
    stops: tuple[Stop, ...]
    reschedules: tuple[Reschedule, ...]
    starts: tuple[Start, ...]
    running: tuple[RunningClock, ...]  # still running afterwards (without the new ones, which have no id yet)


# -- the rules -------------------------------------------------------------------------------------------------


def in_time(clock: RunningClock, at: datetime) -> bool:
    """A clock that stops at ``at`` is in time: on or before its due date, and no procesafspraak made late."""
    return within_term(at, clock.due_at) and not clock.rescheduled_late


def may_agree(running: Sequence[RunningClock], org_id: str) -> bool:
    """A procesafspraak is for a party that owes a substantive reaction."""
    return any(c.owed_by == org_id and c.kind in SUBSTANTIVE_CLOCKS for c in running)


def agreed_date_limit(running: Sequence[RunningClock], org_id: str) -> date | None:
    """The latest date a procesafspraak of ``org_id`` may agree: on a general question the rule-based due date of its
    2-weken clock ("maximaal twee weken", before any earlier procesafspraak moved it); None on casuïstiek, where the
    agreed date is the new due moment without maximum."""
    limits = [c.rule_due for c in running if c.owed_by == org_id and c.kind == MAXIMUM_TERM]
    return as_local_date(min(limits)) if limits else None


def _stop_kind(clock: RunningClock, message: NewMessage) -> StopKind | None:
    """How the sender's own clock stops with this message; None when it runs on (or is rescheduled)."""
    if message.kind == MessageKind.INHOUDELIJKE_REACTIE:
        return StopKind.REACTIE
    if message.kind == MessageKind.VRAAG_OM_INFORMATIE:
        return StopKind.OVERGEDRAGEN
    if clock.kind == ClockKind.ALGEMEEN_EERSTE:
        # Whatever the owing party sends is its first reaction to a general question.
        return StopKind.PROCESAFSPRAAK if message.kind == MessageKind.PROCESAFSPRAAK else StopKind.REACTIE
    return None  # a plain message does not answer a substantive question; a procesafspraak moves it


def _agree(clock: RunningClock, message: NewMessage) -> tuple[Reschedule, RunningClock]:
    if message.agreed_date is None:
        raise ValueError("a procesafspraak carries an agreed date")
    late = is_overdue(clock.due_at, message.at)
    due = end_of_day(message.agreed_date)
    rule_due = clock.rule_due
    moved = replace(clock, due_at=due, rescheduled_late=clock.rescheduled_late or late, rule_due_at=rule_due)
    return Reschedule(clock.id, due, late), moved


def settle(running: Sequence[RunningClock], message: NewMessage) -> Settlement:
    """Stop, move or keep each running clock for this message, and say whether a new turn starts."""
    own = [c for c in running if c.owed_by == message.sender]
    if not own:
        # The sender owes nothing: a question opens the stack when it is empty; otherwise nothing changes.
        opens = not running and message.kind in ASKING
        return Settlement((), (), tuple(running), message.receiver if opens else None)
    stops: list[Stop] = []
    reschedules: list[Reschedule] = []
    still = [c for c in running if c.owed_by != message.sender]  # empty: one side owes at a time
    for clock in own:
        how = _stop_kind(clock, message)
        if how is not None:
            stops.append(Stop(clock.id, how, in_time(clock, message.at)))
        elif message.kind == MessageKind.PROCESAFSPRAAK and clock.kind in SUBSTANTIVE_CLOCKS:
            move, clock = _agree(clock, message)
            reschedules.append(move)
            still.append(clock)
        else:
            still.append(clock)
    if still:
        return Settlement(tuple(stops), tuple(reschedules), tuple(still), None)
    depth = max(c.depth for c in own)
    if message.kind == MessageKind.VRAAG_OM_INFORMATIE:  # push: the other party owes the information
        return Settlement(tuple(stops), tuple(reschedules), (), message.receiver, depth + 1)
    if message.kind == MessageKind.INHOUDELIJKE_REACTIE and depth > 0:  # pop: back to the party below
        return Settlement(tuple(stops), tuple(reschedules), (), message.receiver, depth - 1, hand_back=True)
    return Settlement(tuple(stops), tuple(reschedules), (), None)


def starts(
    thread_kind: ThreadKind,
    owed_by: str,
    at: datetime,
    calendar: WerkdagCalendar,
    *,
    depth: int = 0,
    hand_back: bool = False,
) -> tuple[Start, ...]:
    """The clocks of a new turn for ``owed_by``, from receipt at ``at``: every clock of the thread's kind for a
    question, only the substantive ones for a hand-back."""
    kinds = [k for k in CLOCKS_FOR[thread_kind] if not hand_back or k in SUBSTANTIVE_CLOCKS]
    return tuple(Start(k, owed_by, due_for(k, at, calendar), depth) for k in kinds)


def decide(
    thread_kind: ThreadKind, running: Sequence[RunningClock], message: NewMessage, calendar: WerkdagCalendar
) -> ClockChanges:
    """All the clock changes of one message (:func:`settle`, then :func:`starts` when a new turn starts)."""
    settled = settle(running, message)
    new: tuple[Start, ...] = ()
    if settled.start_for is not None:
        new = starts(
            thread_kind, settled.start_for, message.at, calendar, depth=settled.depth, hand_back=settled.hand_back
        )
    return ClockChanges(settled.stops, settled.reschedules, new, settled.running)


def waiting_on(owed: Sequence[tuple[str, datetime]]) -> tuple[str, datetime] | None:
    """Who owes a reaction in the thread and the earliest due moment, from the running clocks' (owed by, due at);
    None when no clock runs. All running clocks are owed by one party (the rules keep it so): the first one's."""
    if not owed:
        return None
    return owed[0][0], min(due for _, due in owed)
