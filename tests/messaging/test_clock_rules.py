"""The clock rules of convenant §1b as a table, on the pure rule engine (no database): the thread's running clocks
and a new message in, the clock changes out. The scenarios with the database are in test_clocks.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest

from hub.messaging.clocks import (
    ClockChanges,
    NewMessage,
    Reschedule,
    RunningClock,
    Start,
    Stop,
    agreed_date_limit,
    decide,
    due_for,
    in_time,
    may_agree,
    settle,
    waiting_on,
)
from hub.messaging.models import ClockKind, MessageKind, StopKind, ThreadKind
from hub.terms import WerkdagCalendar
from tests.messaging.world import at, end_of

G, K = "g" * 32, "k" * 32  # the gemeente and the kantoor
CAL = WerkdagCalendar()
MONDAY = at(2026, 3, 2, 10)  # Monday 2 March 2026: 2 werkdagen is the end of Wednesday 4 March, 2 weken of 16 March
CAS, EERSTE, INHOUD = ClockKind.CASUISTIEK, ClockKind.ALGEMEEN_EERSTE, ClockKind.ALGEMEEN_INHOUDELIJK
BERICHT, GEEN, REACTIE, AFSPRAAK, VRAAG = (
    MessageKind.BERICHT,
    MessageKind.GEEN_REACTIE_NODIG,
    MessageKind.INHOUDELIJKE_REACTIE,
    MessageKind.PROCESAFSPRAAK,
    MessageKind.VRAAG_OM_INFORMATIE,
)


def clock(kind: ClockKind, owed_by: str = G, due: datetime | None = None, depth: int = 0, **flags: Any) -> RunningClock:
    return RunningClock(
        f"{kind.value}-{owed_by[0]}", kind, owed_by, due or due_for(kind, MONDAY, CAL), depth=depth, **flags
    )


def message(kind: MessageKind, sender: str, at_: datetime, agreed: date | None = None) -> NewMessage:
    return NewMessage(kind, sender, K if sender == G else G, at_, agreed)


@dataclass(frozen=True)
class Rule:
    what: str
    thread: ThreadKind
    running: tuple[RunningClock, ...]
    message: NewMessage
    stops: tuple[Stop, ...] = ()
    moves: tuple[Reschedule, ...] = ()
    starts: tuple[Start, ...] = ()


WED = end_of(2026, 3, 4)
LATER = at(2026, 3, 3, 9)  # Tuesday: within the 2 werkdagen
LATE = at(2026, 3, 5, 9)  # Thursday: after the end of Wednesday
CASE, GENERAL = ThreadKind.CASUISTIEK, ThreadKind.ALGEMEEN

RULES = [
    Rule("a question starts the other party's clock", CASE, (), message(BERICHT, K, MONDAY),
         starts=(Start(CAS, G, WED, 0),)),
    Rule("a general question starts both clocks", GENERAL, (), message(BERICHT, K, MONDAY),
         starts=(Start(EERSTE, G, WED, 0), Start(INHOUD, G, end_of(2026, 3, 16), 0))),
    Rule("a vraag om informatie without a running clock asks like a question", CASE, (), message(VRAAG, K, MONDAY),
         starts=(Start(CAS, G, WED, 0),)),
    Rule("a thank-you starts nothing", CASE, (), message(GEEN, K, MONDAY)),
    Rule("a substantive reaction asks nothing", CASE, (), message(REACTIE, K, MONDAY)),
    Rule("a reminder from the asking side restarts nothing", CASE, (clock(CAS),), message(BERICHT, K, LATER)),
    Rule("a vraag om informatie from the asking side changes nothing", CASE, (clock(CAS),), message(VRAAG, K, LATER)),
    Rule("the owing side's thank-you stops nothing", CASE, (clock(CAS),), message(GEEN, G, LATER)),
    Rule("a plain message does not answer a case question", CASE, (clock(CAS),), message(BERICHT, G, LATER)),
    Rule("the substantive reaction in time", CASE, (clock(CAS),), message(REACTIE, G, LATER),
         stops=(Stop("casuistiek-g", StopKind.REACTIE, True),)),
    Rule("the substantive reaction late", CASE, (clock(CAS),), message(REACTIE, G, LATE),
         stops=(Stop("casuistiek-g", StopKind.REACTIE, 0),)),
    Rule("the substantive reaction at the due moment itself is in time", CASE, (clock(CAS),),
         message(REACTIE, G, WED), stops=(Stop("casuistiek-g", StopKind.REACTIE, True),)),
    Rule("a procesafspraak in time moves the due moment", CASE, (clock(CAS),),
         message(AFSPRAAK, G, LATER, date(2026, 3, 13)),
         moves=(Reschedule("casuistiek-g", end_of(2026, 3, 13), False),)),
    Rule("a procesafspraak after the due moment is late", CASE, (clock(CAS),),
         message(AFSPRAAK, G, LATE, date(2026, 3, 13)),
         moves=(Reschedule("casuistiek-g", end_of(2026, 3, 13), True),)),
    Rule("after a late procesafspraak, no answer is in time", CASE,
         (clock(CAS, due=end_of(2026, 3, 13), rescheduled_late=True),), message(REACTIE, G, at(2026, 3, 9)),
         stops=(Stop("casuistiek-g", StopKind.REACTIE, 0),)),
    Rule("a vraag om informatie hands the clock over", CASE, (clock(CAS),), message(VRAAG, G, LATER),
         stops=(Stop("casuistiek-g", StopKind.OVERGEDRAGEN, True),),
         starts=(Start(CAS, K, end_of(2026, 3, 5), 1),)),
    Rule("the information asked for hands the turn back", CASE,
         (clock(CAS, K, end_of(2026, 3, 5), depth=1),), message(REACTIE, K, at(2026, 3, 4, 9)),
         stops=(Stop("casuistiek-k", StopKind.REACTIE, True),), starts=(Start(CAS, G, end_of(2026, 3, 6), 0),)),
    Rule("a plain message does not give the information", CASE,
         (clock(CAS, K, end_of(2026, 3, 5), depth=1),), message(BERICHT, K, at(2026, 3, 4, 9))),
    Rule("a counter-question to a counter-question nests one deeper", CASE,
         (clock(CAS, K, end_of(2026, 3, 5), depth=1),), message(VRAAG, K, at(2026, 3, 4, 9)),
         stops=(Stop("casuistiek-k", StopKind.OVERGEDRAGEN, True),), starts=(Start(CAS, G, end_of(2026, 3, 6), 2),)),
    Rule("the answer to the inner counter-question hands the turn back one level", CASE,
         (clock(CAS, G, end_of(2026, 3, 6), depth=2),), message(REACTIE, G, at(2026, 3, 5, 9)),
         stops=(Stop("casuistiek-g", StopKind.REACTIE, True),), starts=(Start(CAS, K, end_of(2026, 3, 9), 1),)),
    Rule("the answer at depth 0 ends the conversation's turn", CASE, (clock(CAS),), message(REACTIE, G, LATER),
         stops=(Stop("casuistiek-g", StopKind.REACTIE, True),)),
    Rule("any reply is the first reaction to a general question", GENERAL, (clock(EERSTE), clock(INHOUD)),
         message(BERICHT, G, LATER), stops=(Stop("algemeen_eerste-g", StopKind.REACTIE, True),)),
    Rule("an acknowledgement without a question is the first reaction too", GENERAL, (clock(EERSTE), clock(INHOUD)),
         message(GEEN, G, LATER), stops=(Stop("algemeen_eerste-g", StopKind.REACTIE, True),)),
    Rule("the asking side's thank-you is no first reaction", GENERAL, (clock(EERSTE), clock(INHOUD)),
         message(GEEN, K, LATER)),
    Rule("a counter-question is the first reaction and hands both terms over", GENERAL,
         (clock(EERSTE), clock(INHOUD)), message(VRAAG, G, LATER),
         stops=(Stop("algemeen_eerste-g", StopKind.OVERGEDRAGEN, True),
                Stop("algemeen_inhoudelijk-g", StopKind.OVERGEDRAGEN, True)),
         starts=(Start(EERSTE, K, end_of(2026, 3, 5), 1), Start(INHOUD, K, end_of(2026, 3, 17), 1))),
    Rule("the hand-back on a general question restarts only the 2-weken term", GENERAL,
         (clock(INHOUD, K, end_of(2026, 3, 17), depth=1),), message(REACTIE, K, at(2026, 3, 4, 9)),
         stops=(Stop("algemeen_inhoudelijk-k", StopKind.REACTIE, True),),
         starts=(Start(INHOUD, G, end_of(2026, 3, 18), 0),)),
    Rule("a procesafspraak is the first reaction and moves the substantive one", GENERAL,
         (clock(EERSTE), clock(INHOUD)), message(AFSPRAAK, G, LATE, date(2026, 3, 20)),
         stops=(Stop("algemeen_eerste-g", StopKind.PROCESAFSPRAAK, 0),),
         moves=(Reschedule("algemeen_inhoudelijk-g", end_of(2026, 3, 20), False),)),
    Rule("the substantive reaction stops both clocks", GENERAL, (clock(EERSTE), clock(INHOUD)),
         message(REACTIE, G, LATER),
         stops=(Stop("algemeen_eerste-g", StopKind.REACTIE, True), Stop("algemeen_inhoudelijk-g", StopKind.REACTIE,
                                                                          True))),
]  # fmt: skip


@pytest.mark.parametrize("rule", RULES, ids=[r.what for r in RULES])
def test_rule(rule: Rule) -> None:
    changes = decide(rule.thread, rule.running, rule.message, CAL)
    assert (changes.stops, changes.reschedules, changes.starts) == (rule.stops, rule.moves, rule.starts)


def test_the_clocks_still_running_carry_their_new_due_moments() -> None:
    changes: ClockChanges = decide(
        GENERAL, (clock(EERSTE), clock(INHOUD)), message(AFSPRAAK, G, LATE, date(2026, 3, 20)), CAL
    )
    [still] = changes.running
    assert (still.kind, still.due_at, still.rescheduled_late) == (INHOUD, end_of(2026, 3, 20), False)
    late = settle((clock(CAS),), message(AFSPRAAK, G, LATE, date(2026, 3, 13)))
    assert late.running[0].rescheduled_late and late.start_for is None


def test_a_procesafspraak_needs_its_date() -> None:
    with pytest.raises(ValueError, match="agreed date"):
        settle((clock(CAS),), message(AFSPRAAK, G, LATER))


def test_who_may_make_a_procesafspraak() -> None:
    assert may_agree((clock(CAS),), G)
    assert not may_agree((clock(CAS),), K)  # the asking side owes nothing
    assert not may_agree((clock(EERSTE),), G)  # only a substantive reaction can be agreed
    assert may_agree((clock(EERSTE), clock(INHOUD)), G)
    assert not may_agree((), G)


def test_in_time_is_no_later_than_the_due_day_and_no_late_afspraak() -> None:
    assert in_time(clock(CAS), WED)
    assert in_time(clock(CAS), WED.replace(microsecond=500_000))  # 23:59:59.5
    assert in_time(clock(CAS), WED.replace(microsecond=999_999))  # the whole last second counts
    assert not in_time(clock(CAS), at(2026, 3, 5, 0))  # 00:00:00 the next day
    assert not in_time(clock(CAS), LATE)
    assert not in_time(clock(CAS, rescheduled_late=True), LATER)


def test_a_procesafspraak_in_the_last_second_is_not_late() -> None:
    last = WED.replace(microsecond=999_999)
    changes = decide(CASE, (clock(CAS),), message(AFSPRAAK, G, last, date(2026, 3, 13)), CAL)
    assert changes.reschedules == (Reschedule("casuistiek-g", end_of(2026, 3, 13), False),)
    changes = decide(CASE, (clock(CAS),), message(AFSPRAAK, G, at(2026, 3, 5, 0), date(2026, 3, 13)), CAL)
    assert changes.reschedules == (Reschedule("casuistiek-g", end_of(2026, 3, 13), True),)


def test_the_maximum_of_a_procesafspraak() -> None:
    # A general question: the rule-based due date of the 2-weken term, also after an earlier afspraak moved it.
    assert agreed_date_limit((clock(EERSTE), clock(INHOUD)), G) == date(2026, 3, 16)
    moved = clock(INHOUD, due=end_of(2026, 3, 10), rule_due_at=end_of(2026, 3, 16))
    assert agreed_date_limit((moved,), G) == date(2026, 3, 16)
    assert agreed_date_limit((clock(INHOUD),), K) is None  # the asking side agrees nothing
    assert agreed_date_limit((clock(CAS),), G) is None  # casuïstiek: no maximum
    # The clock still running after an afspraak remembers its rule-based due moment.
    [still] = decide(GENERAL, (clock(INHOUD),), message(AFSPRAAK, G, LATER, date(2026, 3, 10)), CAL).running
    assert (still.due_at, still.rule_due) == (end_of(2026, 3, 10), end_of(2026, 3, 16))


def test_who_owes_and_by_when() -> None:
    assert waiting_on([]) is None
    assert waiting_on([(G, end_of(2026, 3, 16)), (G, WED)]) == (G, WED)


def test_due_moments_count_werkdagen_on_the_gemeentes_calendar() -> None:
    closed = CAL.with_extra_closed({date(2026, 3, 3)})  # Tuesday closed: Wednesday and Thursday count
    assert due_for(CAS, MONDAY, CAL) == WED
    assert due_for(CAS, MONDAY, closed) == end_of(2026, 3, 5)
    assert due_for(INHOUD, MONDAY, CAL) == end_of(2026, 3, 16)
