"""Random conversations against the clock rules' invariants (Hypothesis), through the pure engine and, fewer of them,
through the service on SQLite.

A conversation is a thread kind, a first question and a sequence of messages: a random sender, a random kind (every
:class:`MessageKind`, a procesafspraak with a random date), at random moments (weekends, late evenings, and exactly the
last microsecond of a due day or the first of the next). The test keeps its own reference of the turn's stack (who
owes, at which depth) and checks after every message:

- at most one side owes a reaction, and exactly the side on top of the stack while the stack is not empty;
- the running clocks' depth is the stack's height - 1; an answered counter-question returns the turn to the side
  below it, with only the substantive clock(s) on a general question;
- after a side's substantive answer at depth 0 no clock runs;
- every started clock's due moment is the rule of :mod:`hub.terms` for its start moment, for the receiving side;
- a stop is in time exactly when it falls on or before the due date (Europe/Amsterdam) and no procesafspraak was
  late; a procesafspraak sets the end of its date, on a general question never after the 2-weken due date;
- on a general question every message of the owing side stops its first-reaction clock;
- a message of a side that owes nothing changes nothing, and a refused message (service) stores nothing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hub.errors import ValidationError
from hub.messaging.clocks import ClockChanges, NewMessage, RunningClock, decide
from hub.messaging.models import Clock, ClockKind, MessageKind, StopKind, Thread, ThreadKind
from hub.messaging.reply_choices import refusal, reply_choices
from hub.terms import (
    AMSTERDAM,
    WerkdagCalendar,
    add_months,
    algemene_eerste_reactie_due,
    algemene_inhoudelijke_reactie_due,
    as_local_date,
    end_of_day,
    reactie_casuistiek_due,
)
from tests.messaging.world import World

CAL = WerkdagCalendar()  # the gemeente of the service world has no closing days either
SUBSTANTIVE = {ClockKind.CASUISTIEK, ClockKind.ALGEMEEN_INHOUDELIJK}
ALL_CLOCKS = {
    ThreadKind.CASUISTIEK: {ClockKind.CASUISTIEK},
    ThreadKind.ALGEMEEN: {ClockKind.ALGEMEEN_EERSTE, ClockKind.ALGEMEEN_INHOUDELIJK},
}
ASKING = {MessageKind.BERICHT, MessageKind.VRAAG_OM_INFORMATIE}
REACTIE, VRAAG, AFSPRAAK = (
    MessageKind.INHOUDELIJKE_REACTIE,
    MessageKind.VRAAG_OM_INFORMATIE,
    MessageKind.PROCESAFSPRAAK,
)


def reference_due(kind: ClockKind, received: datetime) -> datetime:
    """The covenant's rule for a clock of ``kind`` received at ``received``, straight from hub.terms."""
    if kind == ClockKind.CASUISTIEK:
        return reactie_casuistiek_due(received, calendar=CAL)
    if kind == ClockKind.ALGEMEEN_EERSTE:
        return algemene_eerste_reactie_due(received, calendar=CAL)
    return algemene_inhoudelijke_reactie_due(received, calendar=CAL)


# -- one clock, as the engine's output or a row ------------------------------------------------------------------


class C(NamedTuple):
    kind: ClockKind
    owed_by: str
    depth: int
    started_at: datetime
    due_at: datetime
    rule_due: datetime  # before any procesafspraak
    late: bool  # rescheduled late
    stopped_at: datetime | None = None
    stop_kind: StopKind | None = None
    in_time: bool | None = None


def from_row(c: Clock) -> C:
    stop = StopKind(c.stop_kind) if c.stop_kind else None
    rule_due = c.original_due_at or c.due_at
    kind = ClockKind(c.kind)
    return C(kind, c.owed_by_org_id, c.depth, c.started_at, c.due_at, rule_due, c.rescheduled_late, c.stopped_at,
             stop, c.in_time)  # fmt: skip


def applied(before: dict[str, C], changes: ClockChanges, at: datetime, ids: itertools.count[int]) -> dict[str, C]:
    """The engine's changes as the new state of every clock (what the service writes to the rows)."""
    after = dict(before)
    for stop in changes.stops:
        after[stop.clock_id] = after[stop.clock_id]._replace(stopped_at=at, stop_kind=stop.how, in_time=stop.in_time)
    for move in changes.reschedules:
        clock = after[move.clock_id]
        after[move.clock_id] = clock._replace(due_at=move.due_at, late=clock.late or move.late)
    for start in changes.starts:
        after[f"c{next(ids)}"] = C(start.kind, start.owed_by, start.depth, at, start.due_at, start.due_at, False)
    return after


def running_of(state: dict[str, C]) -> dict[str, C]:
    return {i: c for i, c in state.items() if c.stopped_at is None}


# -- the reference stack and the invariants --------------------------------------------------------------------


def next_stack(stack: list[str], message: NewMessage) -> list[str]:
    """The turn's stack after ``message``: a question opens it, a counter-question of the owing side pushes, the
    owing side's substantive answer pops; anything else leaves it."""
    if stack and stack[-1] == message.sender:
        if message.kind == VRAAG:
            return [*stack, message.receiver]
        if message.kind == REACTIE:
            return stack[:-1]
        return stack
    if not stack and message.kind in ASKING:
        return [message.receiver]
    return stack


def check(
    thread_kind: ThreadKind,
    stack: list[str],
    before: dict[str, C],
    after: dict[str, C],
    message: NewMessage,
    refused: bool = False,
) -> list[str]:
    """Every invariant for one message; returns the stack afterwards."""
    if refused:
        assert after == before, "a refused message changes no clock"
        return stack
    expected = next_stack(stack, message)
    run_before, run_after = running_of(before), running_of(after)
    owing = stack[-1] if stack else None
    # One side owes, exactly the side on top of the stack; the clocks' depth is the stack's height - 1.
    assert {c.owed_by for c in run_after.values()} == ({expected[-1]} if expected else set())
    assert {c.depth for c in run_after.values()} == ({len(expected) - 1} if expected else set())
    if owing != message.sender and not (not stack and message.kind in ASKING):
        assert after == before, "a side that owes nothing changes nothing"
        return expected
    # Stops: only the sender's own clocks, in time exactly on or before the due date and without a late afspraak.
    for clock_id, clock in run_before.items():
        now = after[clock_id]
        if now.stopped_at is not None:
            assert clock.owed_by == message.sender and now.stopped_at == message.at
            on_time = as_local_date(message.at) <= as_local_date(clock.due_at) and not clock.late
            assert now.in_time is on_time
        elif now.due_at != clock.due_at or now.late != clock.late:  # moved by a procesafspraak
            assert message.kind == AFSPRAAK and message.agreed_date is not None
            assert now.due_at == end_of_day(message.agreed_date)
            assert now.late is (clock.late or as_local_date(message.at) > as_local_date(clock.due_at))
            if thread_kind == ThreadKind.ALGEMEEN:
                assert as_local_date(now.due_at) <= as_local_date(now.rule_due), "2 weken is a maximum"
        # A first reaction is a first reaction: every message of the owing side stops that clock.
        if clock.kind == ClockKind.ALGEMEEN_EERSTE:
            assert now.stopped_at is not None
    # Starts: for the receiver, due by the rule from the message's receipt; all clocks for a question, only the
    # substantive ones when an answered counter-question hands the turn back.
    started = [c for i, c in after.items() if i not in before]
    hand_back = message.kind == REACTIE and len(stack) > 1
    for clock in started:
        assert clock.owed_by == message.receiver and clock.started_at == message.at
        assert clock.due_at == reference_due(clock.kind, message.at)
    if len(expected) > len(stack):
        assert {c.kind for c in started} == ALL_CLOCKS[thread_kind]
    elif hand_back:
        assert {c.kind for c in started} == ALL_CLOCKS[thread_kind] & SUBSTANTIVE
        assert {(c.owed_by, c.depth) for c in run_after.values()} == {(stack[-2], len(stack) - 2)}, "back one level"
    else:
        assert started == []
    if message.kind == REACTIE and stack == [message.sender]:
        assert run_after == {}, "no clock runs after the substantive answer at depth 0"
    return expected


# -- random conversations --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    who: int  # 0-2: the owing side (when none owes: the gemeente for 0, else the kantoor); 3: the other side
    kind: MessageKind
    when: str  # "gap": after ``gap``; "last"/"next": the last microsecond of the earliest due day / the next 00:00
    gap: timedelta
    agreed_in: int  # a procesafspraak's date, in days from the day it is made


gaps = st.one_of(
    st.integers(0, 59).map(lambda s: timedelta(seconds=s)),
    st.integers(1, 23).map(lambda h: timedelta(hours=h)),
    st.integers(1, 9).map(lambda d: timedelta(days=d)),
    st.integers(1, 20_000).map(lambda m: timedelta(minutes=m)),
)
steps = st.builds(
    Step,
    st.integers(0, 3),
    st.sampled_from([*MessageKind, VRAAG, REACTIE, AFSPRAAK]),  # more of these: deeper stacks, more afspraken
    st.sampled_from(["gap", "gap", "gap", "last", "next"]),
    gaps,
    st.one_of(st.integers(0, 6), st.integers(-2, 20)),
)


def sender_of(step: Step, parties: tuple[str, str], running: dict[str, C]) -> int:
    """The index of the step's sender in ``parties``."""
    owing = next((parties.index(c.owed_by) for c in running.values()), None)
    if owing is None:
        return 0 if step.who == 0 else 1
    return 1 - owing if step.who == 3 else owing


starts = st.builds(
    lambda day, hour, minute: datetime.combine(day, time(hour, minute), AMSTERDAM).astimezone(UTC),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 11, 30)),
    st.one_of(st.sampled_from([0, 9, 17, 22, 23]), st.integers(0, 23)),
    st.sampled_from([0, 30, 59]),
)


def moment_of(step: Step, previous: datetime, running: dict[str, C]) -> datetime:
    if step.when != "gap" and running:
        day = as_local_date(min(c.due_at for c in running.values()))
        if step.when == "last":
            target = end_of_day(day).replace(microsecond=999_999)
        else:
            target = datetime.combine(day + timedelta(days=1), time(0), AMSTERDAM)
        if target >= previous:
            return target.astimezone(UTC)
    return previous + step.gap


def agreed_date(step: Step, at: datetime, sender: str, running: dict[str, C], *, valid: bool) -> date:
    """A procesafspraak's date: ``step.agreed_in`` days ahead, or (``valid``) within what the rules allow."""
    today = as_local_date(at)
    wanted = today + timedelta(days=step.agreed_in)
    if not valid:
        return wanted
    limits = [
        as_local_date(c.rule_due)
        for c in running.values()
        if c.owed_by == sender and c.kind == ClockKind.ALGEMEEN_INHOUDELIJK
    ]
    return min(max(wanted, today), min(limits, default=wanted))


def may_agree_on(at: datetime, sender: str, running: dict[str, C]) -> tuple[bool, date | None]:
    """Whether ``sender`` may make a procesafspraak at ``at``, by the test's own reading; and the latest date."""
    mine = [c for c in running.values() if c.owed_by == sender and c.kind in SUBSTANTIVE]
    limits = [as_local_date(c.rule_due) for c in mine if c.kind == ClockKind.ALGEMEEN_INHOUDELIJK]
    limit = min(limits, default=None)
    return bool(mine) and (limit is None or limit >= as_local_date(at)), limit


@settings(max_examples=400, derandomize=True, deadline=None)
@given(
    thread_kind=st.sampled_from(list(ThreadKind)),
    first=starts,
    asker=st.sampled_from([0, 3]),
    conversation=st.lists(steps, max_size=20),
)
def test_random_conversations_keep_the_invariants_in_the_engine(
    thread_kind: ThreadKind, first: datetime, asker: int, conversation: list[Step]
) -> None:
    parties = ("g" * 32, "k" * 32)
    ids = itertools.count()
    state: dict[str, C] = {}
    stack: list[str] = []
    at = first
    for step in [Step(asker, MessageKind.BERICHT, "gap", timedelta(0), 0), *conversation]:
        running = running_of(state)
        at = moment_of(step, at, running)
        index = sender_of(step, parties, running)
        sender, receiver = parties[index], parties[1 - index]
        kind, agreed = step.kind, None
        if kind == AFSPRAAK:
            allowed, _limit = may_agree_on(at, sender, running)
            if allowed:
                agreed = agreed_date(step, at, sender, running, valid=True)
            elif running and running[next(iter(running))].owed_by == sender:
                kind = MessageKind.BERICHT  # the service refuses it (tried in the service test); the engine need not
            else:
                agreed = as_local_date(at)
        message = NewMessage(kind, sender, receiver, at, agreed)
        engine_view = [
            RunningClock(i, c.kind, c.owed_by, c.due_at, depth=c.depth, rescheduled_late=c.late, rule_due_at=c.rule_due)
            for i, c in sorted(running.items(), key=lambda kv: kv[1].due_at)
        ]
        after = applied(state, decide(thread_kind, engine_view, message, CAL), at, ids)
        stack = check(thread_kind, stack, state, after, message)
        state = after


# -- through the service, on SQLite -----------------------------------------------------------------------------


@settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failure reports its example; shrinking takes minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    thread_kind=st.sampled_from(list(ThreadKind)),
    first=starts,
    asker=st.sampled_from([0, 3]),
    conversation=st.lists(steps, min_size=4, max_size=12),
)
async def test_random_conversations_keep_the_invariants_in_the_service(
    world_sqlite: World, thread_kind: ThreadKind, first: datetime, asker: int, conversation: list[Step]
) -> None:
    world = world_sqlite
    users = (world.klantmanager, world.bewindvoerder)
    parties = (world.gemeente.id, world.kantoor.id)
    where = {"case": world.case} if thread_kind == ThreadKind.CASUISTIEK else {"convenant": world.convenant}
    asker = 0 if asker == 0 else 1
    thread: Thread = await world.call(
        "start_thread", users[asker], subject="Vraag", body="Een vraag.", now=first, **where
    )
    opening = NewMessage(MessageKind.BERICHT, parties[asker], parties[1 - asker], first)
    state = await _rows(world, thread)
    stack = check(thread_kind, [], {}, state, opening)
    at = first
    for step in conversation:
        running = running_of(state)
        at = moment_of(step, at, running)
        index = sender_of(step, parties, running)
        sender, receiver = parties[index], parties[1 - index]
        agreed = agreed_date(step, at, sender, running, valid=False) if step.kind == AFSPRAAK else None
        allowed, limit = may_agree_on(at, sender, running)
        engine_view = [
            RunningClock(i, c.kind, c.owed_by, c.due_at, depth=c.depth, rescheduled_late=c.late, rule_due_at=c.rule_due)
            for i, c in sorted(running.items(), key=lambda kv: kv[1].due_at)
        ]
        # The form offers each side only the kinds that make sense for it; the service refuses the others.
        side_refused = refusal(step.kind, reply_choices(thread_kind, engine_view, sender, receiver, at, CAL))
        refusal_expected = side_refused is not None or (
            step.kind == AFSPRAAK
            and not (
                allowed
                and agreed is not None
                and as_local_date(at) <= agreed <= min(limit or agreed, add_months(as_local_date(at), 12))
                and CAL.is_werkdag(agreed)
            )
        )
        try:
            await world.call(
                "post_message", users[index], thread.id, "Tekst.", kind=step.kind, agreed_date=agreed, now=at
            )
            refused = False
        except ValidationError as error:
            refused = True
            assert set(error.errors) <= {"kind", "agreed_date"}
        assert refused is refusal_expected, (step, agreed, limit)
        after = await _rows(world, thread)
        stack = check(thread_kind, stack, state, after, NewMessage(step.kind, sender, receiver, at, agreed), refused)
        state = after
        # The thread's denormalised state follows the clocks.
        fresh: Thread = await world.call("get_thread", world.bewindvoerder, thread.id)
        run = running_of(state)
        assert fresh.waiting_on_org_id == (stack[-1] if stack else None)
        assert fresh.awaited_by_org_id == (next(p for p in parties if p != stack[-1]) if stack else None)
        assert fresh.current_due_at == min((c.due_at for c in run.values()), default=None)


async def _rows(world: World, thread: Thread) -> dict[str, C]:
    clocks: list[Clock] = await world.call("clocks", world.bewindvoerder, thread.id)
    return {c.id: from_row(c) for c in clocks}


def test_the_reference_stack() -> None:
    g, k = "g", "k"
    ask = replace(NewMessage(MessageKind.BERICHT, k, g, datetime(2026, 3, 2, tzinfo=UTC)))
    assert next_stack([], ask) == [g]
    assert next_stack([g], replace(ask, kind=VRAAG, sender=g, receiver=k)) == [g, k]
    assert next_stack([g, k], replace(ask, kind=REACTIE)) == [g]
    assert next_stack([g, k], replace(ask, kind=REACTIE, sender=g, receiver=k)) == [g, k]  # not g's turn
    assert next_stack([g], replace(ask, kind=REACTIE, sender=g, receiver=k)) == []
    assert next_stack([], replace(ask, kind=MessageKind.GEEN_REACTIE_NODIG)) == []
