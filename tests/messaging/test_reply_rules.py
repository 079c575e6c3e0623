"""The reply rules the service enforces, whatever the form sent: the kinds for the sender's side, and a procesafspraak
date that must be a werkdag of the gemeente (refused with the next werkdag offered, never moved silently). On SQLite
and on PostgreSQL, with a controlled clock."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from hub.errors import ValidationError
from hub.messaging.models import Clock, Message, MessageKind, Thread
from tests.messaging.world import World, at, end_of

MONDAY = at(2026, 3, 2, 10)  # the question: the gemeente owes a reaction by the end of Wednesday 4 March
TUESDAY = at(2026, 3, 3, 9)


async def _ask(world: World, when: datetime = MONDAY) -> Thread:
    thread: Thread = await world.call(
        "start_thread", world.bewindvoerder, case=world.case, subject="Vraag", body="Kunt u dit nakijken?", now=when
    )
    return thread


async def _state(world: World, thread: Thread) -> tuple[int, list[tuple[Any, ...]], tuple[Any, ...]]:
    """What a refused post must leave as it was: the messages, the clocks, the thread's waiting state."""
    async with world.hub.db() as db:
        messages = (
            await db.execute(select(func.count()).select_from(Message).where(col(Message.thread_id) == thread.id))
        ).scalar_one()
        clocks = (
            await db.execute(select(Clock).where(col(Clock.thread_id) == thread.id).order_by(col(Clock.id)))
        ).scalars()
        fresh = await db.get(Thread, thread.id)
        assert fresh is not None
        return (
            int(messages),
            [(c.id, c.owed_by_org_id, c.due_at, c.stopped_at, c.original_due_at) for c in clocks],
            (fresh.waiting_on_org_id, fresh.current_due_at, fresh.last_message_at),
        )


async def _refused(world: World, thread: Thread, user: Any, kind: MessageKind, **kwargs: Any) -> ValidationError:
    before = await _state(world, thread)
    with pytest.raises(ValidationError) as exc:
        await world.call("post_message", user, thread.id, "Tekst", kind=kind, now=TUESDAY, **kwargs)
    assert await _state(world, thread) == before  # nothing stored
    return exc.value


async def test_the_asking_side_may_not_answer_agree_or_ask_for_information(world: World) -> None:
    thread = await _ask(world)
    for kind in (MessageKind.INHOUDELIJKE_REACTIE, MessageKind.PROCESAFSPRAAK, MessageKind.VRAAG_OM_INFORMATIE):
        error = await _refused(world, thread, world.bewindvoerder, kind, agreed_date=date(2026, 3, 9))
        assert "kan alleen als uw organisatie een reactie verschuldigd is" in error.errors["kind"]
        assert "de andere partij is u een reactie verschuldigd" in error.errors["kind"]
    # What the form offers the asking side is accepted: a reminder and a thank-you leave the term as it was.
    await world.call("post_message", world.bewindvoerder, thread.id, "Herinnering", now=TUESDAY)
    await world.call(
        "post_message", world.bewindvoerder, thread.id, "Dank", kind=MessageKind.GEEN_REACTIE_NODIG, now=TUESDAY
    )
    [clock] = await world.call("clocks", world.bewindvoerder, thread.id)
    assert clock.owed_by_org_id == world.gemeente.id and clock.stopped_at is None
    assert clock.due_at == end_of(2026, 3, 4)


async def test_with_no_term_running_an_answer_is_refused_and_a_question_starts_one(world: World) -> None:
    thread = await _ask(world)
    await world.call(
        "post_message", world.klantmanager, thread.id, "Antwoord", kind=MessageKind.INHOUDELIJKE_REACTIE,
        now=at(2026, 3, 2, 15),
    )  # fmt: skip
    error = await _refused(world, thread, world.klantmanager, MessageKind.INHOUDELIJKE_REACTIE)
    assert "in dit gesprek loopt geen reactietermijn" in error.errors["kind"]
    await _refused(world, thread, world.bewindvoerder, MessageKind.PROCESAFSPRAAK, agreed_date=date(2026, 3, 9))
    await world.call("post_message", world.klantmanager, thread.id, "Nog een vraag", now=TUESDAY)
    fresh: Thread = await world.call("get_thread", world.klantmanager, thread.id)
    assert fresh.waiting_on_org_id == world.kantoor.id


async def test_check_reply_gives_the_same_answer(world: World) -> None:
    """The check made before a file streams in refuses the same kinds, and offers the same werkdag."""
    thread = await _ask(world)
    with pytest.raises(ValidationError) as exc:
        await world.call(
            "check_reply", world.bewindvoerder, thread.id, "Tekst", kind=MessageKind.INHOUDELIJKE_REACTIE, now=TUESDAY
        )
    assert "kind" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        await world.call(
            "check_reply", world.klantmanager, thread.id, "Tekst", kind=MessageKind.PROCESAFSPRAAK,
            agreed_date=date(2026, 3, 7), now=TUESDAY,
        )  # fmt: skip
    assert exc.value.errors["agreed_date"].startswith("zaterdag 7 maart 2026 is geen werkdag.")
    assert exc.value.suggestions == {"agreed_date": "2026-03-09"}


@pytest.mark.parametrize(
    ("agreed", "reason", "instead"),
    [
        (date(2026, 3, 7), "zaterdag 7 maart 2026 is geen werkdag.", date(2026, 3, 9)),
        (date(2026, 3, 8), "zondag 8 maart 2026 is geen werkdag.", date(2026, 3, 9)),
        (date(2026, 4, 27), "maandag 27 april 2026 is geen werkdag (Koningsdag).", date(2026, 4, 28)),
        (date(2026, 3, 10), "dinsdag 10 maart 2026 is geen werkdag (sluitingsdag gemeente).", date(2026, 3, 11)),
    ],
)
async def test_a_procesafspraak_on_a_day_that_is_not_a_werkdag_is_refused_with_the_next_werkdag(
    world: World, agreed: date, reason: str, instead: date
) -> None:
    await world.closing_days("add", world.contractmanager, date(2026, 3, 10), "Studiedag", now=at(2026, 2, 1))
    thread = await _ask(world)
    error = await _refused(world, thread, world.klantmanager, MessageKind.PROCESAFSPRAAK, agreed_date=agreed)
    assert error.errors["agreed_date"].startswith(reason)
    assert "staat nu ingevuld" in error.errors["agreed_date"]
    assert error.suggestions == {"agreed_date": instead.isoformat()}
    # Sent again with the offered werkdag: that day is agreed, and it is what the clock says.
    await world.call(
        "post_message", world.klantmanager, thread.id, "Antwoord volgt.", kind=MessageKind.PROCESAFSPRAAK,
        agreed_date=instead, now=TUESDAY,
    )  # fmt: skip
    [clock] = await world.call("clocks", world.klantmanager, thread.id)
    assert clock.due_at == end_of(instead.year, instead.month, instead.day)
    assert clock.original_due_at == end_of(2026, 3, 4)
