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
from hub.accounts.roles import Role
from hub.calendars.models import GemeenteClosingDay
from hub.calendars.services import CalendarSource
from hub.cases.models import Case
from hub.documents.models import Document
from hub.errors import ValidationError
from hub.messaging.models import Clock, ClockKind, ClockNotice, Message, MessageKind, StopKind, Thread
from hub.messaging.reminders import sweep_clocks
from hub.notifications.models import MailKind, OutboxMail
from hub.notifications.outbox import OutboxNotifier
from hub.terms import (
    AMSTERDAM,
    algemene_eerste_reactie_due,
    algemene_inhoudelijke_reactie_due,
    controle_contactgegevens_due,
    default_calendar,
    end_of_day,
    format_datum,
    reactie_casuistiek_due,
)
from hub.web.templating import datum
from tests.messaging.test_reply_form_pages import reply_options
from tests.messaging.test_reply_upload import minimal_pdf, post_reply, reply_fields
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
        elif sentence.startswith(("De termijn loopt door (", "De termijnen lopen door (")):
            for kind, due in dues:
                [clock] = [c for c in was_running.values() if ClockKind(c.kind) == kind and _local(c.due_at) == due]
                assert now_by_id[clock.id].stopped_at is None and now_by_id[clock.id].due_at == clock.due_at, sentence
                accounted.add(clock.id)
        elif sentence.startswith(("De termijn gaat ", "De termijnen gaan ", "Hiermee start een termijn")):
            assert other_name in sentence
            expected_new += [(kind, other_id, due) for kind, due in dues]
            new_depths = {c.depth for c in after if c.id not in known}
            old_depths = {c.depth for c in was_running.values()} or {-1}
            if " terug naar " in sentence:  # the information asked for: one level down
                assert new_depths == {min(old_depths) - 1}, sentence
            elif " naar " in sentence:  # a vraag om informatie: one level up
                assert new_depths == {max(old_depths) + 1}, sentence
            else:  # a new question: the stack was empty
                assert was_running == {} and new_depths == {0}, sentence
            if "gaat naar" in sentence or "gaan naar" in sentence:
                for clock in was_running.values():  # handed over: what is not said otherwise
                    if clock.id not in accounted and now_by_id[clock.id].stop_kind == StopKind.OVERGEDRAGEN.value:
                        accounted.add(clock.id)
        elif sentence == "Er start geen reactietermijn.":
            pass
        else:
            raise AssertionError(f"unexpected sentence: {sentence!r}")
    for key, clock in stopped.items():  # a late stop is said, a handed-over one too
        assert clock.in_time is (key not in late_said), (said, key)
    assert sorted(expected_new) == new, (said, new)
    assert set(was_running) == accounted, (said, [was_running[i] for i in set(was_running) - accounted])


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
        "general, gemeente owes at depth 2",
        ALG,
        (("km", VOI, FRI, None), ("bv", VOI, MON, None)),
        "km",
        TUE,
        OWING_FIRST,
    ),
    Situation(
        "case, gemeente owes at depth 2", CASE, (("km", VOI, FRI, None), ("bv", VOI, MON, None)), "km", TUE, OWING_CASE
    ),
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


@pytest.mark.parametrize("where", [CASE, ALG])
async def test_the_form_offers_defaults_and_says_what_each_kind_will_do(
    world: World, clock: Frozen, where: str
) -> None:
    """For every offered kind in every situation: post it from the form at the moment the page was read, and
    compare the clocks afterwards with what the page said under that option."""
    for situation in (s for s in SITUATIONS if s.where == where):
        await _try_every_offered_kind(world, clock, situation)


async def _try_every_offered_kind(world: World, clock: Frozen, situation: Situation) -> None:
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
        assert tuple(options) == situation.offered, situation.name
        assert [v for v, o in options.items() if o.checked] == [situation.offered[0]], situation.name  # the default
        if situation.name == "case, gemeente owes":  # the issue's own words
            assert options["inhoudelijke_reactie"].effect.startswith(
                "Hiermee stopt de termijn van uiterlijk maandag 7 dec"
            )
            assert options["geen_reactie_nodig"].effect.startswith("De termijn loopt door")
        before = await all_clocks(world, thread)
        agreed = _agreed_for(situation.where, [c for c in before if c.stopped_at is None], situation.moment) if (
            kind == "procesafspraak") else None  # fmt: skip
        form = {"body": f"Met {kind}.", "kind": kind, **({"agreed_date": agreed.isoformat()} if agreed else {})}
        response = await client.post_form(f"/berichten/{thread.id}/reageren", form)
        assert response.status_code == 303, (
            situation.name,
            kind,
            re.findall(r'class="error-message"[^>]*>(.*?)</p>', response.text),
        )
        after = await all_clocks(world, thread)
        [message] = [m for m, _ in await world.call("messages", viewer, thread.id) if m.kind == kind
                     and m.author_id == viewer.id and m.sent_at == situation.moment]  # fmt: skip
        try:
            check_said(options[kind].effect, situation.where, before, after, message.id, other, agreed)
        except AssertionError as failed:
            raise AssertionError(f"{situation.name}, {kind}: {failed}") from None
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


# -- the whole last second ------------------------------------------------------------------------------------------

# (asked, due day), in calendar order: the weekend summer time starts (29 March 2026); summer; the weekend it ends
# (25 October); winter.
LAST_SECOND_WEEKS = [
    (at(2026, 3, 26, 16), date(2026, 3, 30)),
    (at(2026, 7, 2, 16), date(2026, 7, 6)),
    (at(2026, 10, 22, 16), date(2026, 10, 26)),
    (at(2026, 12, 3, 16), date(2026, 12, 7)),
]


async def test_the_last_second_of_the_due_day_in_winter_and_summer_time(world: World, clock: Frozen) -> None:
    """A case question of Thursday 16:00 is due Monday 23:59:59: an answer at 23:59:59.999 is in time, one at
    00:00:00 on Tuesday is late. The inbox, the thread page and the reminder sweep say the same at those moments."""
    for asked, due_day in LAST_SECOND_WEEKS:
        await _last_second_of(world, clock, asked, due_day)


async def _last_second_of(world: World, clock: Frozen, asked: datetime, due_day: date) -> None:
    assert reactie_casuistiek_due(asked) == end_of_day(due_day)
    last = ms(end_of_day(due_day))
    next_day = datetime(due_day.year, due_day.month, due_day.day, tzinfo=AMSTERDAM) + timedelta(days=1)
    assert next_day.astimezone(AMSTERDAM).hour == 0 and next_day - last == timedelta(milliseconds=1)
    in_time, late, open_ = [await ask(world, CASE, asked) for _ in range(3)]
    ids = {c.id for t in (in_time, late, open_) for c in await all_clocks(world, t)}
    # The inbox and the thread page, through the services and through the pages, at both moments.
    for now, overdue, words in ((last, False, "vandaag"), (next_day, True, "1 werkdag te laat")):
        async with world.service() as svc:
            page = await svc.inbox(world.klantmanager, tab="te_beantwoorden", now=now)
            assert {r.due_words for r in page.rows} == {words} and {r.overdue for r in page.rows} == {overdue}
            assert page.counts["te_laat"] == (3 if overdue else 0)
            view = await svc.thread_view(world.klantmanager, open_.id, now)
            assert [c.overdue for c in view.clocks] == [overdue]
        clock.set(now)
        karim = await world.hub.client_for(world.klantmanager)
        inbox = (await karim.get("/berichten")).text
        assert inbox.count(f'<span class="due-words">{words}</span>') == 3
        assert ("Termijn verstreken" in inbox) is overdue
        thread_page = (await karim.get(f"/berichten/{open_.id}")).text
        assert f'<span class="due-words">{words}</span>' in thread_page
        assert ("Termijn verstreken" in thread_page) is overdue
        # The reminder sweep: "verloopt vandaag" in the last second, "verlopen" only the next day.
        async with world.hub.db() as db:
            await sweep_clocks(db, now, await CalendarSource().calendar_for(db), OutboxNotifier(db))
        async with world.hub.db() as db:
            notices = (await db.execute(select(ClockNotice).where(col(ClockNotice.clock_id).in_(ids)))).scalars()
            stages = {(n.clock_id, n.stage) for n in notices}
        assert stages == {(i, s) for i in ids for s in ("vandaag", "verlopen") if overdue or s == "vandaag"}
    await post(world, world.klantmanager, in_time, ANTWOORD, last)
    await post(world, world.klantmanager, late, ANTWOORD, next_day)
    await post(world, world.klantmanager, open_, ANTWOORD, next_day)
    [stopped_in_time] = await all_clocks(world, in_time)
    [stopped_late] = await all_clocks(world, late)
    assert stopped_in_time.in_time is True and stopped_in_time.stopped_at == last
    assert stopped_late.in_time is False
    clock.set(next_day)
    karim = await world.hub.client_for(world.klantmanager)
    assert '<span class="tag ok">Binnen termijn</span>' in (await karim.get(f"/berichten/{in_time.id}")).text
    assert '<span class="tag late">Buiten termijn</span>' in (await karim.get(f"/berichten/{late.id}")).text


async def test_the_last_second_of_a_general_question_and_of_a_procesafspraak(world: World) -> None:
    """The first reaction in the last millisecond of its day is in time; a procesafspraak then is not late, and the
    agreed day's last millisecond is in time for the answer."""
    asked = at(2026, 12, 24, 10)  # Christmas Eve: the first reaction is due Tuesday 29 December (Kerst, weekend)
    assert algemene_eerste_reactie_due(asked) == end_of_day(date(2026, 12, 29))
    thread = await ask(world, ALG, asked)
    await post(world, world.klantmanager, thread, PROCES, ms(end_of_day(date(2026, 12, 29))), date(2027, 1, 4))
    clocks = {ClockKind(c.kind): c for c in await all_clocks(world, thread)}
    assert clocks[EERSTE].in_time is True and clocks[EERSTE].stop_kind == StopKind.PROCESAFSPRAAK.value
    assert clocks[INHOUD].rescheduled_late is False and clocks[INHOUD].due_at == end_of_day(date(2027, 1, 4))
    await post(world, world.klantmanager, thread, ANTWOORD, ms(end_of_day(date(2027, 1, 4))))
    clocks = {ClockKind(c.kind): c for c in await all_clocks(world, thread)}
    assert clocks[INHOUD].in_time is True


# -- who is told ------------------------------------------------------------------------------------------------------


async def _told(world: World, since: set[str], thread: Thread | None = None) -> list[tuple[str, str]]:
    """(kind, address) of the outbox rows written since ``since`` (row ids), about ``thread`` if given."""
    async with world.hub.db() as db:
        rows = (await db.execute(select(OutboxMail))).scalars().all()
    link = f"/berichten/{thread.id}" if thread else None
    return sorted((r.kind, r.recipient_address) for r in rows if r.id not in since and link in (None, r.link_path))


async def _row_ids(world: World) -> set[str]:
    async with world.hub.db() as db:
        return set((await db.execute(select(col(OutboxMail.id)))).scalars())


KARIM, CAS, CARLA, COR, BEA = (
    "karim@nijmegen.example.nl", "cas@nijmegen.example.nl", "carla@nijmegen.example.nl", "cor@nijmegen.example.nl",
    "bea@brug.example.nl",
)  # fmt: skip
NIEUW, AFSPRAAK = MailKind.NIEUW_BERICHT.value, MailKind.PROCESAFSPRAAK.value


async def test_who_is_told_of_general_questions_bijstand_and_procesafspraken(world: World) -> None:
    consulent = await world.hub.user(world.gemeente, Role.CONSULENT, name="Cor Consulent", email=COR)
    async with world.hub.db() as db:
        case = await db.get(Case, world.case.id)
        assert case is not None
        case.gemeente_contact_id = world.klantmanager.id  # a klantmanager is the case's contact
        case.bewindvoerder_id = world.bewindvoerder.id
        db.add(case)

    # A general question from the kantoor: the gemeente's case workers and its contractmanager (§1a.1).
    seen = await _row_ids(world)
    general = await ask(world, ALG, T0)
    assert await _told(world, seen) == sorted([(NIEUW, CAS), (NIEUW, CARLA), (NIEUW, COR), (NIEUW, KARIM)])
    # The gemeente asks back: the kantoor's starter hears, no contractmanager; the kantoor agrees a date at depth 1
    # and the gemeente hears of that procesafspraak, its contractmanager too.
    seen = await _row_ids(world)
    await post(world, world.klantmanager, general, VOI, FRI)
    assert await _told(world, seen) == [(NIEUW, BEA)]
    seen = await _row_ids(world)
    await post(world, world.bewindvoerder, general, PROCES, MON, date(2026, 12, 11))
    # (Nobody took the thread on at the gemeente: its case workers, and the contractmanager.)
    assert await _told(world, seen) == sorted([(AFSPRAAK, CAS), (AFSPRAAK, CARLA), (AFSPRAAK, COR), (AFSPRAAK, KARIM)])

    # A case question about bijzondere bijstand: the case's klantmanager and the consulenten, not the other
    # klantmanager nor the contractmanager; the gemeente's procesafspraak tells the kantoor only.
    seen = await _row_ids(world)
    bijstand = await ask(world, CASE, T0, bijzondere_bijstand=True)
    assert await _told(world, seen) == [(NIEUW, COR), (NIEUW, KARIM)]
    seen = await _row_ids(world)
    await post(world, world.klantmanager, bijstand, PROCES, FRI, date(2026, 12, 11))
    assert await _told(world, seen) == [(AFSPRAAK, BEA)]
    # The term's reminders on its agreed day reach the consulenten too.
    seen = await _row_ids(world)
    async with world.hub.db() as db:
        await sweep_clocks(db, at(2026, 12, 11, 7), await CalendarSource().calendar_for(db), OutboxNotifier(db))
    assert await _told(world, seen, bijstand) == [
        ("termijn_verloopt_vandaag", COR),
        ("termijn_verloopt_vandaag", KARIM),
    ]

    # An aanvraag bijzondere bijstand sent with a reply on an ordinary case thread, through the page.
    plain = await ask(world, CASE, T0)
    bea = await world.hub.client_for(world.bewindvoerder)
    seen = await _row_ids(world)
    fields = reply_fields(bea, "De aanvraag.", doc_type="aanvraag_bijzondere_bijstand", document_date="2026-12-01")
    response = await post_reply(bea, plain.id, fields, ("aanvraag.pdf", minimal_pdf()))
    assert response.status_code == 303, response.text
    # The consulent now too; karim's unsent notice of the question covers the reply (one mail per thread).
    assert await _told(world, seen) == [(NIEUW, COR)]
    assert await _told(world, set(), plain) == [(NIEUW, COR), (NIEUW, KARIM)]
    del consulent


# -- closing days that move running terms --------------------------------------------------------------------------

MOVED = MailKind.TERMIJNEN_VERSCHOVEN.value


async def _moved_rows(world: World) -> list[tuple[str, int | None, int | None, str]]:
    async with world.hub.db() as db:
        rows = (await db.execute(select(OutboxMail).where(col(OutboxMail.kind) == MOVED))).scalars().all()
    return sorted((r.recipient_address, r.moved_terms, r.moved_werkdagen, r.link_path) for r in rows)


async def test_a_closing_day_added_on_the_page_moves_running_terms_and_tells_both_sides_once(
    world: World, clock: Frozen
) -> None:
    """Friday 4 December 2026: a case question and a general question of Thursday are due Monday 7 December (the
    general question's 2 weken Thursday 17 December), a third thread has a procesafspraak for Friday 11 December.
    The contractmanager closes Monday 7 December: the two 2-werkdagen terms move to Tuesday, the rest stays. Closing
    Thursday 17 December moves the 2-weken term, and with it the maximum of a procesafspraak."""
    case_q, general, agreed = await ask(world, CASE, T0), await ask(world, ALG, T0), await ask(world, CASE, T0)
    await post(world, world.klantmanager, agreed, PROCES, at(2026, 12, 3, 17), date(2026, 12, 11))
    async with world.hub.db() as db:
        await db.execute(OutboxMail.__table__.delete())  # type: ignore[attr-defined]  # the questions' notices

    clock.set(at(2026, 12, 4, 10))
    carla = await world.hub.client_for(world.contractmanager)
    form = {"day": "2026-12-07", "description": "Personeelsdag"}
    response = await carla.post_form("/instellingen/sluitingsdagen", form)
    assert response.status_code == 303
    g, k = world.gemeente.id, world.kantoor.id
    tuesday = at(2026, 12, 8, 23, 59).replace(second=59)
    assert await running(world, case_q) == {Running(CASUS, g, tuesday, 0)}
    assert await running(world, general) == {
        Running(EERSTE, g, tuesday, 0),
        Running(INHOUD, g, end_of_day(date(2026, 12, 17)), 0),
    }
    assert await running(world, agreed) == {Running(CASUS, g, end_of_day(date(2026, 12, 11)), 0)}
    await assert_one_side_owes(world, case_q)
    # Both sides, one mail per person for this change: the kantoor's starter, the gemeente's case workers and (the
    # general question) its contractmanager. No content: a count, werkdagen, a link to the inbox.
    expected = [(BEA, 2, 1, "/berichten"), (CAS, 2, 1, "/berichten"), (CARLA, 1, 1, "/berichten"),
                (KARIM, 2, 1, "/berichten")]  # fmt: skip
    assert await _moved_rows(world) == sorted(expected)

    # The same request again (a retry after a lost answer): refused, nothing moves, nobody is told again.
    response = await carla.post_form("/instellingen/sluitingsdagen", form)
    assert response.status_code == 400 and "Deze dag staat al in de lijst." in response.text
    assert await _moved_rows(world) == sorted(expected)
    assert await running(world, case_q) == {Running(CASUS, g, tuesday, 0)}

    # Thursday 17 December closed too: the general question's 2 weken end Friday 18 December, and a procesafspraak
    # may now agree that day.
    response = await carla.post_form("/instellingen/sluitingsdagen", {"day": "2026-12-17", "description": ""})
    assert response.status_code == 303
    assert Running(INHOUD, g, end_of_day(date(2026, 12, 18)), 0) in await running(world, general)
    await post(world, world.klantmanager, general, PROCES, at(2026, 12, 4, 11), date(2026, 12, 18))

    # Removing 7 December through the page, twice: the terms come back once, everyone told once more.
    async with world.hub.db() as db:
        day_id = (
            await db.execute(select(col(GemeenteClosingDay.id)).where(col(GemeenteClosingDay.day) == date(2026, 12, 7)))
        ).scalar_one()
    assert (
        f"/instellingen/sluitingsdagen/{day_id}/verwijderen" in (await carla.get("/instellingen/sluitingsdagen")).text
    )
    response = await carla.post_form(f"/instellingen/sluitingsdagen/{day_id}/verwijderen")
    assert response.status_code == 303
    assert await running(world, case_q) == {Running(CASUS, g, reactie_casuistiek_due(T0), 0)}
    again = await carla.post_form(f"/instellingen/sluitingsdagen/{day_id}/verwijderen")
    assert again.status_code == 404
    earlier = [r for r in await _moved_rows(world) if r[2] is not None and r[2] < 0]
    assert {r[0] for r in earlier} == {BEA, CAS, KARIM}  # the general question's terms were agreed or stopped
    assert len(earlier) == 3
    del k


async def test_a_closing_day_on_the_maximum_after_a_procesafspraak_moves_the_maximum(world: World) -> None:
    """The general question of Thursday 3 December has a procesafspraak for Monday 14 December; then the gemeente
    closes Thursday 17 December, the last day of the 2 weken. The agreed date stays, but the maximum is the rule's
    due moment on the gemeente's calendar: Friday 18 December, which a new afspraak may agree (else the form would
    offer the next werkdag after the closed 17th and then refuse it as beyond the maximum)."""
    thread = await ask(world, ALG, T0)
    await post(world, world.klantmanager, thread, PROCES, FRI, date(2026, 12, 14))
    await world.closing_days("add", world.contractmanager, date(2026, 12, 17), "", now=at(2026, 12, 4, 12))
    [inhoud] = [c for c in await all_clocks(world, thread) if c.kind == INHOUD.value]
    assert inhoud.due_at == end_of_day(date(2026, 12, 14))  # as agreed
    assert inhoud.original_due_at == end_of_day(date(2026, 12, 18))  # the maximum, on the gemeente's calendar
    refused = await _refused_date(world, thread, date(2026, 12, 17), MON)
    assert refused.suggestions == {"agreed_date": "2026-12-18"}
    await post(world, world.klantmanager, thread, PROCES, MON, date(2026, 12, 18))
    await _refused_date(world, thread, date(2026, 12, 21), TUE)


# -- every POST of a side that owes nothing ------------------------------------------------------------------------

CRAFTED = ("geen_reactie_nodig", "inhoudelijke_reactie", "procesafspraak", "vraag_om_informatie", "", "onzin",
           "INHOUDELIJKE_REACTIE", "bericht")  # fmt: skip
HARMLESS = ("bericht", "geen_reactie_nodig")


def _clock_state(clocks: list[Clock]) -> list[tuple[str, str, datetime, datetime | None, int]]:
    return sorted((c.id, c.owed_by_org_id, c.due_at, c.stopped_at, c.depth) for c in clocks)


@pytest.mark.parametrize("where", [CASE, ALG])
async def test_every_post_of_a_side_that_owes_nothing_is_refused_or_harmless(
    world: World, clock: Frozen, where: str
) -> None:
    """The asking side (at depth 0, and the gemeente at depth 1 after its counter-question) and either side when
    nothing runs: every kind, crafted, also with a date and a file. A plain bericht or a bericht zonder vraag is
    stored and changes no clock (no restart, no move), except that a bericht when nothing runs is a new question;
    anything else is refused with the reason, nothing stored."""
    asking = await ask(world, where, T0)
    deeper = await ask(world, where, T0)
    await post(world, world.klantmanager, deeper, VOI, FRI)
    idle = await ask(world, where, T0)
    await post(world, world.klantmanager, idle, ANTWOORD, FRI)
    cases = [(asking, world.bewindvoerder), (deeper, world.klantmanager), (idle, world.bewindvoerder),
             (idle, world.klantmanager)]  # fmt: skip
    for thread, user in cases:
        client, page = await page_at(world, clock, user, thread, MON)
        assert tuple(reply_options(page)) == HARMLESS and 'id="agreed_date"' not in page
        for kind in CRAFTED:
            before_clocks = _clock_state(await all_clocks(world, thread))
            before_messages = len(await world.call("messages", user, thread.id))
            form = {"body": f"Gemaakt: {kind}", "kind": kind, "agreed_date": "2026-12-09"}
            response = await client.post_form(f"/berichten/{thread.id}/reageren", form)
            messages = len(await world.call("messages", user, thread.id))
            if kind == "bericht" and thread is idle:  # a new question: the other side's term starts
                after = await all_clocks(world, thread)
                assert {c.owed_by_org_id for c in after if c.stopped_at is None} == {
                    thread.other_party(user.organisation_id)
                }
                assert response.status_code == 303 and messages == before_messages + 1
                await post(world, world.klantmanager if user is world.bewindvoerder else world.bewindvoerder, idle,
                           ANTWOORD, MON)  # fmt: skip
                continue
            assert _clock_state(await all_clocks(world, thread)) == before_clocks, kind
            if kind in HARMLESS:
                assert response.status_code == 303 and messages == before_messages + 1, kind
            else:
                assert response.status_code == 400 and messages == before_messages, kind
                reason = "Kies het soort bericht." if kind not in CRAFTED[1:4] else "kan alleen als uw organisatie"
                assert reason in response.text, kind
        # A crafted procesafspraak on a Saturday: the kind is refused, and only the kind (the page has no date field
        # for this side, so an error there could not be shown or corrected).
        form = {"body": "Gemaakt.", "kind": "procesafspraak", "agreed_date": "2026-12-12"}
        response = await client.post_form(f"/berichten/{thread.id}/reageren", form)
        assert response.status_code == 400 and "geen werkdag" not in response.text
        assert 'href="#agreed_date"' not in response.text
        # The multipart form with a file and a kind the side may not send: refused before the file is stored.
        if thread.case_id is not None:
            fields = reply_fields(client, "Met bijlage.", kind="inhoudelijke_reactie")
            response = await post_reply(client, thread.id, fields, ("stuk.pdf", minimal_pdf()))
            assert response.status_code == 400 and "kan alleen als uw organisatie" in response.text
            async with world.hub.db() as db:
                assert (await db.execute(select(Document))).first() is None


# -- another organisation, and CSRF ------------------------------------------------------------------------------


async def test_another_organisations_user_gets_404_and_every_post_needs_its_csrf_token(world: World) -> None:
    """The thread page with its reply form, every reply kind (URL-encoded and multipart), assigning, closing, a new
    question about bijzondere bijstand on the case, and a closing day: 404 for a user of another organisation (a
    kantoor and a gemeente), 403 without the CSRF token; nothing stored either way."""
    general = await ask(world, ALG, T0)
    case_thread = await ask(world, CASE, T0)
    day = await world.closing_days("add", world.contractmanager, date(2027, 2, 1), "Studiedag")
    other_cm = await world.hub.user(world.other_gemeente, Role.CONTRACTMANAGER, email="cm@wijchen.example.nl")
    state_before = [_clock_state(await all_clocks(world, t)) for t in (general, case_thread)]

    async def messages() -> int:
        async with world.hub.db() as db:
            return len((await db.execute(select(Message))).all())

    count = await messages()
    for outsider in (world.outsider, world.outsider_gemeente, other_cm):
        client = await world.hub.client_for(outsider)
        for thread in (general, case_thread):
            assert (await client.get(f"/berichten/{thread.id}")).status_code == 404
            for kind in (
                "bericht",
                "inhoudelijke_reactie",
                "procesafspraak",
                "vraag_om_informatie",
                "geen_reactie_nodig",
            ):
                form = {"body": "Niet van mij.", "kind": kind, "agreed_date": "2026-12-09"}
                response = await client.post_form(f"/berichten/{thread.id}/reageren", form)
                assert response.status_code in (403, 404), (outsider.email, kind)  # 403: a role that may not post
                assert response.status_code == 404 or outsider is other_cm
            response = await post_reply(client, thread.id, reply_fields(client, "X", kind="bericht"), None)
            assert response.status_code in (403, 404)
            for action in ("toewijzen", "afronden"):
                assert (await client.post_form(f"/berichten/{thread.id}/{action}", {})).status_code in (403, 404)
        response = await client.post_form(
            "/berichten/nieuw",
            {"case_id": world.case.id, "soort": "casuistiek", "bijzondere_bijstand": "ja", "subject": "S", "body": "B"},
        )
        assert response.status_code in (403, 404)
        assert (await client.get(f"/berichten/nieuw?dossier={world.case.id}")).status_code in (403, 404)
        response = await client.post_form(f"/instellingen/sluitingsdagen/{day.id}/verwijderen")
        assert response.status_code in (403, 404)
    # The other gemeente's contractmanager keeps closing days, but not this gemeente's: its day does not exist there.
    other = await world.hub.client_for(other_cm)
    assert (await other.post_form(f"/instellingen/sluitingsdagen/{day.id}/verwijderen")).status_code == 404
    # The outsiders that may post get 404 on every thread POST (not a 403 that would confirm the thread exists).
    for outsider in (world.outsider, world.outsider_gemeente):
        client = await world.hub.client_for(outsider)
        for path in ("reageren", "toewijzen", "afronden"):
            response = await client.post_form(f"/berichten/{case_thread.id}/{path}", {"body": "x", "kind": "bericht"})
            assert response.status_code == 404, (outsider.email, path)

    # Without the CSRF token, from the parties themselves: refused, nothing changes.
    karim, bea, carla = [
        await world.hub.client_for(u) for u in (world.klantmanager, world.bewindvoerder, world.contractmanager)
    ]
    for client, thread in ((karim, case_thread), (bea, case_thread), (karim, general)):
        for kind in ("bericht", "inhoudelijke_reactie", "procesafspraak", "vraag_om_informatie", "geen_reactie_nodig"):
            form = {"body": "Zonder token.", "kind": kind, "agreed_date": "2026-12-09"}
            response = await client.post_form(f"/berichten/{thread.id}/reageren", form, csrf=False)
            assert response.status_code == 403, kind
            forged = await client.post_form(f"/berichten/{thread.id}/reageren", {**form, "csrf_token": "x" * 43})
            assert forged.status_code == 403, kind
        fields = [f for f in reply_fields(client, "Zonder token.", kind="inhoudelijke_reactie") if f[0] != "csrf_token"]
        assert (await post_reply(client, thread.id, fields, ("stuk.pdf", minimal_pdf()))).status_code == 403
        for action in ("toewijzen", "afronden"):
            assert (await client.post_form(f"/berichten/{thread.id}/{action}", {}, csrf=False)).status_code == 403
    new_question = {"case_id": world.case.id, "soort": "casuistiek", "bijzondere_bijstand": "ja", "subject": "S",
                    "body": "B"}  # fmt: skip
    assert (await bea.post_form("/berichten/nieuw", new_question, csrf=False)).status_code == 403
    form = {"day": "2027-02-02", "description": ""}
    assert (await carla.post_form("/instellingen/sluitingsdagen", form, csrf=False)).status_code == 403
    assert (await carla.post_form(f"/instellingen/sluitingsdagen/{day.id}/verwijderen", csrf=False)).status_code == 403

    assert await messages() == count
    assert [_clock_state(await all_clocks(world, t)) for t in (general, case_thread)] == state_before
    async with world.hub.db() as db:
        assert [d.day for d in (await db.execute(select(GemeenteClosingDay))).scalars()] == [date(2027, 2, 1)]
        assert (await db.execute(select(Document))).first() is None


# -- the yearly contact check ----------------------------------------------------------------------------------------


CONFIRMATIONS = [
    (at(2024, 2, 29, 10), date(2025, 2, 28)),  # 29 February + 1 jaar: 28 February 2025 (a Friday)
    (at(2024, 12, 31, 10), date(2025, 12, 31)),  # a Wednesday
    (at(2025, 2, 28, 10), date(2026, 3, 2)),  # 28 February 2026 is a Saturday
    # 00:15 on 1 January 2026 is 31 December in UTC; a year on is Nieuwjaarsdag 2027 (a Friday): Monday 4 January.
    (at(2026, 1, 1, 0, 15), date(2027, 1, 4)),
]


async def test_the_yearly_contact_check_through_the_pages(world: World, clock: Frozen) -> None:
    """The kantoorbeheerder confirms the contact details on the page; the check is due one year on by the terms rule
    (not 365 days), and the routekaart flags it only when that day is over."""
    beheerder = await world.hub.user(world.kantoor, Role.KANTOORBEHEERDER, email="beheer@brug.example.nl")
    for confirmed, due_day in CONFIRMATIONS:
        await _contact_check(world, clock, beheerder, confirmed, due_day)


async def _contact_check(world: World, clock: Frozen, beheerder: User, confirmed: datetime, due_day: date) -> None:
    assert controle_contactgegevens_due(_local(confirmed)) == end_of_day(due_day)
    clock.set(confirmed)
    client = await world.hub.client_for(beheerder)
    form = {"contact_person": "Bea Bewind", "contact_email": "vast@brug.example.nl", "contact_phone": ""}
    response = await client.post_form("/organisatie/contactgegevens", form)
    assert response.status_code == 303, response.text
    page = (await client.get("/organisatie/contactgegevens")).text
    shown = f"uiterlijk {datum(end_of_day(due_day))}"  # "uiterlijk 28 februari 2025 23:59"
    assert shown in page

    last = ms(end_of_day(due_day))
    for moment, flagged in ((last, False), (last + timedelta(milliseconds=1), True)):
        clock.set(moment)
        carla = await world.hub.client_for(world.contractmanager)
        page = (await carla.get("/routekaart")).text
        row = page[page.index('<td data-label="Naam">Bewindvoering De Brug') :]
        row = row[: row.index("</tr>")]
        if flagged:
            assert "Controle nodig: langer dan een jaar niet bevestigd" in row
        else:
            assert "Controle binnenkort" in row and shown in row


async def test_the_date_field_says_the_maximum_before_sending(world: World, clock: Frozen) -> None:
    """On a general question the date field of a procesafspraak names the latest date in its hint (a text field in
    the Dutch format: no max attribute, the service refuses a later date): two weeks from the question, or after a
    hand-back two weeks from the information's arrival. A case has none."""
    general = await ask(world, ALG, T0)
    handed = await ask(world, ALG, T0)
    await post(world, world.klantmanager, handed, VOI, FRI)
    await post(world, world.bewindvoerder, handed, ANTWOORD, MON)
    case_thread = await ask(world, CASE, T0)
    for thread, latest in ((general, date(2026, 12, 17)), (handed, date(2026, 12, 21)), (case_thread, None)):
        _client, page = await page_at(world, clock, world.klantmanager, thread, TUE)
        field = page[page.index('<label for="agreed_date">') :]
        field = field[: field.index("</div>")]
        if latest is None:
            assert "maximale reactietermijn" not in field and "max=" not in field
        else:
            assert f"Uiterlijk {format_datum(latest)}: de maximale reactietermijn van twee weken." in field
            assert "Typ de datum als dag-maand-jaar" in field and "max=" not in field
