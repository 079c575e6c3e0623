"""Issue 11 as a reviewer tries it: scenarios through the services and through the pages (the httpx client), at
concrete moments of the calendar, with every due moment checked against :mod:`hub.terms` (the reference calendar),
on SQLite and on PostgreSQL.

The calendar used (Europe/Amsterdam): Thursday 3 December 2026 16:00 a question; Friday 4 December; the weekend of
5/6 December; Kerst 25/26 December 2026 (Friday/Saturday); Nieuwjaarsdag Friday 1 January 2027; 5 mei 2027
(Wednesday, Bevrijdingsdag), Hemelvaartsdag 6 May 2027 and the decree day Friday 7 May 2027; summer time from
29 March 2026 to 25 October 2026.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import select
from sqlmodel import col

import hub.db
from hub.accounts.models import User
from hub.errors import ValidationError
from hub.messaging.models import Clock, ClockKind, Message, MessageKind, StopKind, Thread
from hub.terms import (
    AMSTERDAM,
    algemene_eerste_reactie_due,
    algemene_inhoudelijke_reactie_due,
    default_calendar,
    end_of_day,
    format_datum,
    reactie_casuistiek_due,
)
from tests.messaging.test_reply_form_pages import reply_options
from tests.messaging.world import World, at
from tests.support.hubclient import HubClient

CAL = default_calendar()
CASE, ALG = "case", "algemeen"
EERSTE, INHOUD, CASUS = ClockKind.ALGEMEEN_EERSTE, ClockKind.ALGEMEEN_INHOUDELIJK, ClockKind.CASUISTIEK
BERICHT, GEEN = MessageKind.BERICHT, MessageKind.GEEN_REACTIE_NODIG
ANTWOORD, PROCES, VOI = MessageKind.INHOUDELIJKE_REACTIE, MessageKind.PROCESAFSPRAAK, MessageKind.VRAAG_OM_INFORMATIE


def ms(moment: datetime, microsecond: int = 999_000) -> datetime:
    return moment.replace(microsecond=microsecond)


# -- helpers -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Running:
    kind: ClockKind
    owed_by: str
    due: datetime
    depth: int


async def all_clocks(world: World, thread: Thread) -> list[Clock]:
    async with world.hub.db() as db:
        rows = await db.execute(select(Clock).where(col(Clock.thread_id) == thread.id).order_by(col(Clock.started_at)))
        return list(rows.scalars())


async def running(world: World, thread: Thread) -> set[Running]:
    return {
        Running(ClockKind(c.kind), c.owed_by_org_id, c.due_at, c.depth)
        for c in await all_clocks(world, thread)
        if c.stopped_at is None
    }


async def fresh(world: World, thread: Thread) -> Thread:
    async with world.hub.db() as db:
        found = await db.get(Thread, thread.id)
        assert found is not None
        return found


async def ask(world: World, where: str, when: datetime, author: User | None = None, **kw: Any) -> Thread:
    place = {"case": world.case} if where == CASE else {"convenant": world.convenant}
    thread: Thread = await world.call(
        "start_thread", author or world.bewindvoerder, subject="Vraag", body="Wat is de stand?", now=when, **place, **kw
    )
    return thread


async def post(
    world: World, user: User, thread: Thread, kind: MessageKind, when: datetime, agreed: date | None = None
) -> Message:
    message: Message = await world.call(
        "post_message", user, thread.id, f"{kind.value} om {when.isoformat()}", kind=kind, agreed_date=agreed, now=when
    )
    return message


def case_clocks(owner: str, received: datetime, depth: int) -> set[Running]:
    return {Running(CASUS, owner, reactie_casuistiek_due(received), depth)}


def general_clocks(owner: str, received: datetime, depth: int, *, first: bool = True) -> set[Running]:
    clocks = {Running(INHOUD, owner, algemene_inhoudelijke_reactie_due(received), depth)}
    if first:
        clocks.add(Running(EERSTE, owner, algemene_eerste_reactie_due(received), depth))
    return clocks


async def assert_one_side_owes(world: World, thread: Thread) -> None:
    """Exactly one side owes while a clock runs, and the thread's denormalised state says the same."""
    now_running = await running(world, thread)
    found = await fresh(world, thread)
    owners = {r.owed_by for r in now_running}
    assert len(owners) <= 1
    if owners:
        [owner] = owners
        assert found.waiting_on_org_id == owner
        assert found.awaited_by_org_id == found.other_party(owner)
        assert found.current_due_at == min(r.due for r in now_running)
    else:
        assert found.waiting_on_org_id is None and found.current_due_at is None


# -- counter-questions nest ------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", [CASE, ALG])
async def test_three_nested_counter_questions_answered_inside_out(world: World, where: str) -> None:
    """Thursday 3 December 2026 16:00 the bewindvoerder asks. The gemeente asks back (Friday), the kantoor asks back
    to that (Saturday), the gemeente once more (Monday): depth 3. The answers come inside out; each hands the turn to
    the side below with the term the covenant gives from the answer; the last is the answer to the question."""
    g, k = world.gemeente.id, world.kantoor.id
    km, bv = world.klantmanager, world.bewindvoerder
    general = where == ALG

    def owed(owner: str, received: datetime, depth: int, *, first: bool = True) -> set[Running]:
        if general:
            return general_clocks(owner, received, depth, first=first)
        return case_clocks(owner, received, depth)

    t0 = at(2026, 12, 3, 16)
    thread = await ask(world, where, t0)
    assert await running(world, thread) == owed(g, t0, 0)

    steps: list[tuple[User, MessageKind, datetime, set[Running]]] = []
    t1, t2, t3 = at(2026, 12, 4, 9), at(2026, 12, 5, 11), at(2026, 12, 7, 10)
    steps += [(km, VOI, t1, owed(k, t1, 1)), (bv, VOI, t2, owed(g, t2, 2)), (km, VOI, t3, owed(k, t3, 3))]
    # Inside out. A hand-back on a general question restarts only the 2-weken term (the first reaction was given).
    a3, a2, a1 = at(2026, 12, 8, 14), ms(at(2026, 12, 10, 23, 59).replace(second=59)), at(2026, 12, 12, 9)
    steps += [
        (bv, ANTWOORD, a3, owed(g, a3, 2, first=False)),
        (km, ANTWOORD, a2, owed(k, a2, 1, first=False)),
        (bv, ANTWOORD, a1, owed(g, a1, 0, first=False)),
    ]
    for user, kind, when, expected in steps:
        await post(world, user, thread, kind, when)
        assert await running(world, thread) == expected, (kind, when)
        await assert_one_side_owes(world, thread)

    # The original question is still owed, by the gemeente, until it is answered: at 00:00:00 after its due day.
    [due] = {r.due for r in await running(world, thread)}
    final_answer = due + timedelta(seconds=1)
    assert final_answer.astimezone(AMSTERDAM).time().isoformat() == "00:00:00"
    await post(world, km, thread, ANTWOORD, final_answer)
    assert await running(world, thread) == set()
    await assert_one_side_owes(world, thread)

    # Every clock stopped once, with the stop kinds of the stack, and in time as the last second rule says.
    clocks = await all_clocks(world, thread)
    assert all(c.stopped_at is not None for c in clocks)
    by_depth: dict[int, list[Clock]] = {}
    for c in clocks:
        by_depth.setdefault(c.depth, []).append(c)
    assert sorted(by_depth) == [0, 1, 2, 3]
    pushed = [c for c in clocks if c.stop_kind == StopKind.OVERGEDRAGEN.value]
    # On a general question the pushes stop the substantive clocks; the first-reaction clock too (the counter
    # question is the first reaction, stopped as overgedragen).
    assert {c.depth for c in pushed} == {0, 1, 2}
    answer_at_2 = [c for c in clocks if c.stopped_at == a2]
    assert answer_at_2 and all(c.in_time for c in answer_at_2)  # 23:59:59.999 on the due day
    final = [c for c in clocks if c.depth == 0 and c.stop_kind == StopKind.REACTIE.value]
    assert final and all(c.in_time is False for c in final)  # a second after the due day is over: late


async def test_a_counter_question_answered_with_a_plain_bericht_keeps_the_turn_where_it_is(world: World) -> None:
    """A vraag om informatie answered with a plain bericht (the service's neutral message, which the form does not
    offer the owing side of a case question): it is no substantive answer, so the turn does not come back and the
    information stays owed. On a general question that bericht is the first reaction at that level."""
    g, k = world.gemeente.id, world.kantoor.id
    t0, t1, t2 = at(2026, 12, 3, 16), at(2026, 12, 4, 9), at(2026, 12, 7, 10)
    case_thread = await ask(world, CASE, t0)
    await post(world, world.klantmanager, case_thread, VOI, t1)
    await post(world, world.bewindvoerder, case_thread, BERICHT, t2)
    assert await running(world, case_thread) == case_clocks(k, t1, 1)
    await assert_one_side_owes(world, case_thread)

    general = await ask(world, ALG, t0)
    await post(world, world.klantmanager, general, VOI, t1)
    await post(world, world.bewindvoerder, general, BERICHT, t2)
    assert await running(world, general) == general_clocks(k, t1, 1, first=False)
    [first] = [c for c in await all_clocks(world, general) if c.kind == EERSTE and c.depth == 1]
    assert first.stop_kind == StopKind.REACTIE.value and first.in_time
    # The answer that follows hands the turn back to the gemeente: only its 2-weken term, from that answer.
    t3 = at(2026, 12, 8, 11)
    await post(world, world.bewindvoerder, general, ANTWOORD, t3)
    assert await running(world, general) == general_clocks(g, t3, 0, first=False)


@pytest.mark.parametrize("where", [CASE, ALG])
async def test_a_procesafspraak_by_the_side_at_depth_1(world: World, where: str) -> None:
    """The kantoor owes the information the gemeente asked for (depth 1) and agrees a date for it; the gemeente,
    waiting at that level, cannot agree one. The information on the agreed day is in time and hands the turn back."""
    g = world.gemeente.id
    t0, t1, t2 = at(2026, 12, 3, 16), at(2026, 12, 4, 9), at(2026, 12, 7, 10)
    thread = await ask(world, where, t0)
    await post(world, world.klantmanager, thread, VOI, t1)
    with pytest.raises(ValidationError) as refused:
        await post(world, world.klantmanager, thread, PROCES, t2, date(2026, 12, 11))
    assert "kan alleen als uw organisatie een reactie verschuldigd is" in refused.value.errors["kind"]
    if where == ALG:
        # The information asked for on a general question has its own 2-weken maximum: Friday 18 December.
        limit = algemene_inhoudelijke_reactie_due(t1)
        assert limit == end_of_day(date(2026, 12, 18))
        with pytest.raises(ValidationError) as refused:
            await post(world, world.bewindvoerder, thread, PROCES, t2, date(2026, 12, 21))
        assert "uiterlijk vrijdag 18 december" in refused.value.errors["agreed_date"]
    await post(world, world.bewindvoerder, thread, PROCES, t2, date(2026, 12, 11))
    [substantive] = [c for c in await all_clocks(world, thread) if c.depth == 1 and c.kind in (CASUS, INHOUD)]
    assert substantive.due_at == end_of_day(date(2026, 12, 11)) and substantive.stopped_at is None
    assert substantive.original_due_at == (
        reactie_casuistiek_due(t1) if where == CASE else algemene_inhoudelijke_reactie_due(t1)
    )
    await assert_one_side_owes(world, thread)
    answered = ms(end_of_day(date(2026, 12, 11)))
    await post(world, world.bewindvoerder, thread, ANTWOORD, answered)
    assert (await fresh(world, thread)).waiting_on_org_id == g
    expected = case_clocks(g, answered, 0) if where == CASE else general_clocks(g, answered, 0, first=False)
    assert await running(world, thread) == expected
    assert next(c for c in await all_clocks(world, thread) if c.id == substantive.id).in_time is True


# -- the pages at a frozen moment ----------------------------------------------------------------------------------


class Frozen:
    """The hub's clock (``hub.db.utcnow``, which every page, service and session reads) held at one moment."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def set(self, moment: datetime) -> None:
        class FrozenDatetime(datetime):
            held: ClassVar[datetime] = moment

            @classmethod
            def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
                return cls.held.astimezone(tz) if tz is not None else cls.held.replace(tzinfo=None)

        self.monkeypatch.setattr(hub.db, "datetime", FrozenDatetime)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Frozen]:
    yield Frozen(monkeypatch)


async def page_at(world: World, clock: Frozen, user: User, thread: Thread, moment: datetime) -> tuple[HubClient, str]:
    clock.set(moment)
    client = await world.hub.client_for(user)
    response = await client.get(f"/berichten/{thread.id}")
    assert response.status_code == 200
    return client, response.text


DUE = re.compile(r"uiterlijk (?P<day>\w+ \d+ \w+ \d{4})(?:,? \(?(?P<name>eerste reactie|inhoudelijke reactie)\)?)?")
NAMES = {"eerste reactie": EERSTE, "inhoudelijke reactie": INHOUD}
MONTHS = ("januari februari maart april mei juni juli augustus september oktober november december").split()


def _dues(text: str, thread_kind: str) -> list[tuple[ClockKind, date]]:
    found = []
    for match in DUE.finditer(text):
        _weekday, day, month, year = match.group("day").split()
        kind = NAMES[match.group("name")] if match.group("name") else CASUS
        assert thread_kind == CASE or match.group("name"), text  # a general question names each term
        found.append((kind, date(int(year), MONTHS.index(month) + 1, int(day))))
    return found


def _local(moment: datetime) -> date:
    return moment.astimezone(AMSTERDAM).date()


def check_said(
    said: str,
    where: str,
    before: list[Clock],
    after: list[Clock],
    message_id: str,
    sender: str,
    other: tuple[str, str],
    agreed: date | None,
) -> None:
    """What the form said a kind would do (``said``) is what posting it did to the clocks."""
    other_id, other_name = other
    was_running = {c.id: c for c in before if c.stopped_at is None}
    now_by_id = {c.id: c for c in after}
    stopped = {(ClockKind(c.kind), _local(was_running[c.id].due_at)): c for c in after
               if c.id in was_running and c.stopped_by_message_id == message_id}  # fmt: skip
    known = {b.id for b in before}
    new = sorted((ClockKind(c.kind), c.owed_by_org_id, _local(c.due_at)) for c in after if c.id not in known)
    accounted: set[str] = set()
    expected_new: list[tuple[ClockKind, str, date]] = []
    sentences = [s for s in re.split(r"(?<=\.) ", said) if s]
    late_said = set()
    for sentence in sentences:
        dues = _dues(sentence, where)
        if sentence.startswith(("Hiermee stopt", "Hiermee stoppen")):
            for key in dues:
                assert key in stopped, (sentence, stopped)
                assert stopped[key].stop_kind != StopKind.OVERGEDRAGEN.value
                accounted.add(stopped[key].id)
        elif "is al verstreken: " in sentence and sentence.endswith("als te laat."):
            late_said.update(dues)
        elif "schuift op naar de datum die u hieronder afspreekt" in sentence or "schuiven op" in sentence:
            assert agreed is not None
            for kind, due in dues:
                [clock] = [c for c in was_running.values() if ClockKind(c.kind) == kind and _local(c.due_at) == due]
                moved = now_by_id[clock.id]
                assert moved.stopped_at is None and moved.due_at == end_of_day(agreed), sentence
                if moved.rescheduled_late and not clock.rescheduled_late:
                    assert (kind, due) in late_said or "te laat" in said, f"a late procesafspraak not said: {said}"
                accounted.add(clock.id)
        elif sentence.endswith(("loopt door.", "lopen door.")):
            for kind, due in dues:
                [clock] = [c for c in was_running.values() if ClockKind(c.kind) == kind and _local(c.due_at) == due]
                assert now_by_id[clock.id].stopped_at is None and now_by_id[clock.id].due_at == clock.due_at, sentence
                accounted.add(clock.id)
        elif sentence.startswith(("De termijn gaat naar", "De termijnen gaan naar", "Hiermee start een termijn")):
            assert other_name in sentence
            expected_new += [(kind, other_id, due) for kind, due in dues]
            if "gaat naar" in sentence or "gaan naar" in sentence:
                for clock in was_running.values():  # handed over: what is not said otherwise
                    if clock.id not in accounted and now_by_id[clock.id].stop_kind == StopKind.OVERGEDRAGEN.value:
                        accounted.add(clock.id)
        elif sentence == "Er start geen reactietermijn.":
            pass
        else:
            raise AssertionError(f"unexpected sentence: {sentence!r}")
    for key, clock in stopped.items():
        if clock.stop_kind != StopKind.OVERGEDRAGEN.value:
            assert clock.in_time is (key not in late_said), (said, key)
    assert sorted(expected_new) == new, (said, new)
    assert set(was_running) == accounted, (said, [was_running[i] for i in set(was_running) - accounted])
    del sender


@dataclass(frozen=True)
class Situation:
    name: str
    where: str
    setup: tuple[tuple[str, MessageKind, datetime, date | None], ...]  # (who: "km"/"bv", kind, when, agreed)
    viewer: str  # "km" or "bv"
    moment: datetime  # when the page is read and the form sent
    offered: tuple[str, ...]  # the form's kinds, the default first


T0 = at(2026, 12, 3, 16)  # Thursday 3 December 2026 16:00
FRI, MON, TUE = at(2026, 12, 4, 9), at(2026, 12, 7, 10), at(2026, 12, 8, 10)
OWING_CASE = ("inhoudelijke_reactie", "procesafspraak", "vraag_om_informatie", "geen_reactie_nodig")
OWING_FIRST = ("bericht", *OWING_CASE)
OTHER = ("bericht", "geen_reactie_nodig")
SITUATIONS = [
    Situation("case, gemeente owes", CASE, (), "km", FRI, OWING_CASE),
    Situation("case, gemeente owes, late", CASE, (), "km", TUE, OWING_CASE),
    Situation("case, after a procesafspraak", CASE, (("km", PROCES, FRI, date(2026, 12, 11)),), "km", MON, OWING_CASE),
    Situation("case, kantoor owes information", CASE, (("km", VOI, FRI, None),), "bv", MON, OWING_CASE),
    Situation(
        "case, back with the gemeente",
        CASE,
        (("km", VOI, FRI, None), ("bv", ANTWOORD, MON, None)),
        "km",
        TUE,
        OWING_CASE,
    ),
    Situation("case, asking side", CASE, (), "bv", FRI, OTHER),
    Situation("case, asking side at depth 1", CASE, (("km", VOI, FRI, None),), "km", MON, OTHER),
    Situation("case, nothing runs", CASE, (("km", ANTWOORD, FRI, None),), "bv", MON, OTHER),
    Situation("general, first reaction due", ALG, (), "km", FRI, OWING_FIRST),
    Situation("general, first reaction late", ALG, (), "km", TUE, OWING_FIRST),
    Situation("general, after the first reaction", ALG, (("km", BERICHT, FRI, None),), "km", MON, OWING_CASE),
    Situation("general, kantoor owes information", ALG, (("km", VOI, FRI, None),), "bv", MON, OWING_FIRST),
    Situation(
        "general, back with the gemeente",
        ALG,
        (("km", VOI, FRI, None), ("bv", ANTWOORD, MON, None)),
        "km",
        TUE,
        OWING_CASE,
    ),
    Situation(
        "general, the two weeks are over",
        ALG,
        (("km", BERICHT, FRI, None),),
        "km",
        at(2026, 12, 18, 10),
        ("inhoudelijke_reactie", "vraag_om_informatie", "geen_reactie_nodig"),
    ),
    Situation("general, asking side", ALG, (), "bv", FRI, OTHER),
    Situation("general, nothing runs", ALG, (("km", ANTWOORD, FRI, None),), "km", MON, OTHER),
]


def _agreed_for(where: str, running_clocks: list[Clock], moment: datetime) -> date:
    """A date the form accepts: a werkdag within the general question's maximum, or next week on a case."""
    today = _local(moment)
    if where == ALG:
        [clock] = [c for c in running_clocks if c.kind == INHOUD.value]
        limit = _local(clock.original_due_at or clock.due_at)
        return limit if limit > today else today
    return CAL.next_werkdag(today + timedelta(days=4))


@pytest.mark.parametrize("situation", SITUATIONS, ids=lambda s: s.name)
async def test_the_form_offers_defaults_and_says_what_each_kind_will_do(
    world: World, clock: Frozen, situation: Situation
) -> None:
    """For every offered kind in every situation: post it from the form at the moment the page was read, and
    compare the clocks afterwards with what the page said under that option."""
    users = {"km": world.klantmanager, "bv": world.bewindvoerder}
    viewer = users[situation.viewer]
    other = (world.kantoor.id, "Bewindvoering De Brug") if viewer is world.klantmanager else (
        world.gemeente.id, "Gemeente Nijmegen")  # fmt: skip
    for kind in situation.offered:
        thread = await ask(world, situation.where, T0)
        for who, setup_kind, when, agreed in situation.setup:
            await post(world, users[who], thread, setup_kind, when, agreed)
        client, page = await page_at(world, clock, viewer, thread, situation.moment)
        options = reply_options(page)
        assert tuple(options) == situation.offered
        assert [v for v, o in options.items() if o.checked] == [situation.offered[0]]  # the default
        before = await all_clocks(world, thread)
        agreed = _agreed_for(situation.where, [c for c in before if c.stopped_at is None], situation.moment) if (
            kind == "procesafspraak") else None  # fmt: skip
        form = {"body": f"Met {kind}.", "kind": kind, **({"agreed_date": agreed.isoformat()} if agreed else {})}
        response = await client.post_form(f"/berichten/{thread.id}/reageren", form)
        assert response.status_code == 303, (kind, re.findall(r'class="error-message"[^>]*>(.*?)</p>', response.text))
        after = await all_clocks(world, thread)
        [message] = [m for m, _ in await world.call("messages", viewer, thread.id) if m.kind == kind
                     and m.author_id == viewer.id and m.sent_at == situation.moment]  # fmt: skip
        check_said(options[kind].effect, situation.where, before, after, message.id, viewer.organisation_id, other,
                   agreed)  # fmt: skip
        await assert_one_side_owes(world, thread)


# -- the date of a procesafspraak ----------------------------------------------------------------------------------


async def _refused_date(world: World, thread: Thread, agreed: date, when: datetime) -> ValidationError:
    before = len(await world.call("messages", world.klantmanager, thread.id))
    with pytest.raises(ValidationError) as refused:
        await post(world, world.klantmanager, thread, PROCES, when, agreed)
    assert len(await world.call("messages", world.klantmanager, thread.id)) == before  # nothing stored
    return refused.value


async def test_a_procesafspraak_on_a_day_that_is_not_a_werkdag(world: World) -> None:
    """Saturday, Sunday, Kerst, Nieuwjaarsdag, 5 mei (with Hemelvaartsdag and a decree day after it) and a closing
    day of the gemeente: refused with the reason and the next werkdag offered; that werkdag is accepted."""
    await world.closing_days("add", world.contractmanager, date(2026, 12, 8), "Personeelsdag", now=at(2026, 12, 1))
    t0, t1 = at(2026, 12, 3, 16), at(2026, 12, 4, 10)
    thread = await ask(world, CASE, t0)
    cases = [
        (date(2026, 12, 5), None, date(2026, 12, 7)),
        (date(2026, 12, 6), None, date(2026, 12, 7)),
        (date(2026, 12, 8), "sluitingsdag gemeente", date(2026, 12, 9)),
        (date(2026, 12, 25), "eerste Kerstdag", date(2026, 12, 28)),
        (date(2026, 12, 26), "tweede Kerstdag", date(2026, 12, 28)),
        (date(2027, 1, 1), "Nieuwjaarsdag", date(2027, 1, 4)),
        (date(2027, 5, 5), "Bevrijdingsdag", date(2027, 5, 10)),
        (date(2027, 5, 6), "Hemelvaartsdag", date(2027, 5, 10)),
        (date(2027, 5, 7), "bij besluit gelijkgestelde dag", date(2027, 5, 10)),
    ]
    for agreed, reason, instead in cases:
        refused = await _refused_date(world, thread, agreed, t1)
        message = refused.errors["agreed_date"]
        assert message.startswith(f"{format_datum(agreed)} is geen werkdag{f' ({reason})' if reason else ''}."), message
        assert refused.suggestions == {"agreed_date": instead.isoformat()}
        assert set(refused.errors) == {"agreed_date"}
    [clock] = await all_clocks(world, thread)
    assert clock.due_at == reactie_casuistiek_due(t0) and clock.original_due_at is None  # nothing moved
    await post(world, world.klantmanager, thread, PROCES, t1, date(2027, 5, 10))
    [clock] = await all_clocks(world, thread)
    assert clock.due_at == end_of_day(date(2027, 5, 10)) and clock.stopped_at is None


MAXIMUM = "Een procesafspraak op een algemene vraag kan niet later zijn dan de maximale reactietermijn van twee weken"


async def test_the_two_weeks_maximum_of_a_general_question(world: World) -> None:
    """Asked Thursday 3 December 2026: the last day is Thursday 17 December; a day later is refused with the reason.
    After a hand-back the maximum is two weeks from the information's arrival. After the maximum, the form no longer
    offers a procesafspraak and a crafted one is refused for its date, with that reason."""
    t0, t1 = at(2026, 12, 3, 16), at(2026, 12, 4, 10)
    assert algemene_inhoudelijke_reactie_due(t0) == end_of_day(date(2026, 12, 17))
    thread = await ask(world, ALG, t0)
    refused = await _refused_date(world, thread, date(2026, 12, 18), t1)
    assert refused.errors == {"agreed_date": f"{MAXIMUM}: uiterlijk donderdag 17 december."}
    await post(world, world.klantmanager, thread, PROCES, t1, date(2026, 12, 17))
    # A second afspraak keeps the same maximum (the rule-based due moment, not the agreed one).
    await _refused_date(world, thread, date(2026, 12, 18), at(2026, 12, 7, 10))
    await post(world, world.klantmanager, thread, PROCES, at(2026, 12, 7, 10), date(2026, 12, 16))

    # After a counter-question and its answer (Monday 7 December): two weeks from that answer, Monday 21 December.
    handed = await ask(world, ALG, t0)
    await post(world, world.klantmanager, handed, VOI, at(2026, 12, 4, 9))
    await post(world, world.bewindvoerder, handed, ANTWOORD, at(2026, 12, 7, 10))
    refused = await _refused_date(world, handed, date(2026, 12, 22), at(2026, 12, 8, 10))
    assert "uiterlijk maandag 21 december." in refused.errors["agreed_date"]
    await post(world, world.klantmanager, handed, PROCES, at(2026, 12, 8, 10), date(2026, 12, 21))

    # Asked Friday 11 December: two weeks end on Kerst, so the maximum is Monday 28 December.
    kerst = await ask(world, ALG, at(2026, 12, 11, 10))
    refused = await _refused_date(world, kerst, date(2026, 12, 25), at(2026, 12, 14, 10))
    assert refused.suggestions == {"agreed_date": "2026-12-28"}
    refused = await _refused_date(world, kerst, date(2026, 12, 29), at(2026, 12, 14, 10))
    assert "uiterlijk maandag 28 december." in refused.errors["agreed_date"]
    await post(world, world.klantmanager, kerst, PROCES, at(2026, 12, 14, 10), date(2026, 12, 28))

    # Friday 18 December the maximum of the first question is over: no date can be agreed any more.
    over = await ask(world, ALG, t0)
    refused = await _refused_date(world, over, date(2026, 12, 21), at(2026, 12, 18, 10))
    assert refused.errors == {
        "agreed_date": f"{MAXIMUM}, en die is op donderdag 17 december verstreken. Geef een inhoudelijke reactie."
    }
