"""Issue 11's clock rules through the service, on SQLite and on PostgreSQL: counter-questions nest, a first reaction is
a first reaction, two weeks is a maximum."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from hub import migrate
from hub.db import create_engine
from hub.errors import ValidationError
from hub.messaging.models import Clock, ClockKind, Message, MessageKind, StopKind, Thread
from tests.messaging.world import World, at, end_of

REACTIE, VRAAG, AFSPRAAK = (
    MessageKind.INHOUDELIJKE_REACTIE,
    MessageKind.VRAAG_OM_INFORMATIE,
    MessageKind.PROCESAFSPRAAK,
)


async def _ask(world: World, when: object, *, case: bool = True) -> Thread:
    where = {"case": world.case} if case else {"convenant": world.convenant}
    thread: Thread = await world.call(
        "start_thread", world.bewindvoerder, subject="Vraag", body="Kunt u dit nakijken?", now=when, **where
    )
    return thread


async def _running(world: World, thread: Thread) -> list[Clock]:
    clocks: list[Clock] = await world.call("clocks", world.bewindvoerder, thread.id)
    return [c for c in clocks if c.stopped_at is None]


async def _state(world: World, thread: Thread) -> tuple[str | None, object]:
    fresh: Thread = await world.call("get_thread", world.bewindvoerder, thread.id)
    return fresh.waiting_on_org_id, fresh.current_due_at


async def _counts(world: World, thread: Thread) -> tuple[int, int]:
    async with world.hub.db() as db:
        messages = (
            await db.execute(select(func.count()).select_from(Message).where(Message.thread_id == thread.id))
        ).scalar_one()
        clocks = (
            await db.execute(select(func.count()).select_from(Clock).where(Clock.thread_id == thread.id))
        ).scalar_one()
    return int(messages), int(clocks)


# -- counter-questions nest ------------------------------------------------------------------------------------


async def test_counter_questions_nest_and_each_answer_returns_the_turn_one_level(world: World) -> None:
    g, k = world.gemeente.id, world.kantoor.id
    thread = await _ask(world, at(2026, 3, 2))  # Monday: the gemeente owes, by Wednesday 4 March
    post = world.call
    await post("post_message", world.klantmanager, thread.id, "Welke schulden?", kind=VRAAG, now=at(2026, 3, 3))
    [clock] = await _running(world, thread)
    assert (clock.owed_by_org_id, clock.depth, clock.due_at) == (k, 1, end_of(2026, 3, 5))
    # The bewindvoerder asks back before answering: the gemeente owes again, one level deeper.
    await post("post_message", world.bewindvoerder, thread.id, "Vanaf welk jaar?", kind=VRAAG, now=at(2026, 3, 4))
    [clock] = await _running(world, thread)
    assert (clock.owed_by_org_id, clock.depth, clock.due_at) == (g, 2, end_of(2026, 3, 6))
    assert await _state(world, thread) == (g, end_of(2026, 3, 6))
    # The answer to the inner question hands the turn back to the kantoor (depth 1), due 2 werkdagen from it.
    await post("post_message", world.klantmanager, thread.id, "Vanaf 2024.", kind=REACTIE, now=at(2026, 3, 5, 16))
    [clock] = await _running(world, thread)
    assert (clock.owed_by_org_id, clock.depth, clock.due_at) == (k, 1, end_of(2026, 3, 9))
    assert clock.started_at == at(2026, 3, 5, 16)
    # The information asked for first: the original question is owed again, with a fresh term.
    await post("post_message", world.bewindvoerder, thread.id, "Alle schulden.", kind=REACTIE, now=at(2026, 3, 6))
    [clock] = await _running(world, thread)
    assert (clock.owed_by_org_id, clock.depth, clock.due_at) == (g, 0, end_of(2026, 3, 10))
    assert await _state(world, thread) == (g, end_of(2026, 3, 10))
    await post("post_message", world.klantmanager, thread.id, "Het antwoord.", kind=REACTIE, now=at(2026, 3, 9))
    assert await _running(world, thread) == []
    assert await _state(world, thread) == (None, None)
    clocks = await world.call("clocks", world.bewindvoerder, thread.id)
    assert [(c.depth, c.stop_kind) for c in clocks] == [
        (0, StopKind.OVERGEDRAGEN), (1, StopKind.OVERGEDRAGEN), (2, StopKind.REACTIE), (1, StopKind.REACTIE),
        (0, StopKind.REACTIE),
    ]  # fmt: skip


async def test_the_hand_back_on_a_general_question_restarts_only_the_2_weken_term(world: World) -> None:
    g, k = world.gemeente.id, world.kantoor.id
    thread = await _ask(world, at(2026, 3, 2), case=False)
    # The gemeente's counter-question is its first reaction (in time); the kantoor owes both terms for it.
    await world.call("post_message", world.klantmanager, thread.id, "Welk beleid?", kind=VRAAG, now=at(2026, 3, 3))
    clocks = await world.call("clocks", world.bewindvoerder, thread.id)
    eerste = next(c for c in clocks if c.kind == ClockKind.ALGEMEEN_EERSTE and c.owed_by_org_id == g)
    assert eerste.stop_kind == StopKind.OVERGEDRAGEN and eerste.in_time is True
    assert {(c.kind, c.depth, c.due_at) for c in await _running(world, thread)} == {
        (ClockKind.ALGEMEEN_EERSTE, 1, end_of(2026, 3, 5)),
        (ClockKind.ALGEMEEN_INHOUDELIJK, 1, end_of(2026, 3, 17)),
    }
    assert (await _running(world, thread))[0].owed_by_org_id == k
    await world.call(
        "post_message", world.bewindvoerder, thread.id, "Het minimabeleid.", kind=REACTIE, now=at(2026, 3, 4, 11)
    )
    [clock] = await _running(world, thread)
    assert (clock.kind, clock.owed_by_org_id, clock.depth) == (ClockKind.ALGEMEEN_INHOUDELIJK, g, 0)
    assert clock.due_at == end_of(2026, 3, 18)  # 2 weken from the answer's receipt
    assert await _state(world, thread) == (g, end_of(2026, 3, 18))


# -- a first reaction is a first reaction ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "stop"),
    [
        (MessageKind.BERICHT, StopKind.REACTIE),
        (MessageKind.GEEN_REACTIE_NODIG, StopKind.REACTIE),
        (MessageKind.PROCESAFSPRAAK, StopKind.PROCESAFSPRAAK),
        (MessageKind.VRAAG_OM_INFORMATIE, StopKind.OVERGEDRAGEN),
        (MessageKind.INHOUDELIJKE_REACTIE, StopKind.REACTIE),
    ],
)
async def test_every_message_of_the_owing_side_is_the_first_reaction(
    world: World, kind: MessageKind, stop: StopKind
) -> None:
    thread = await _ask(world, at(2026, 3, 2), case=False)
    await world.call(
        "post_message", world.klantmanager, thread.id, "Ontvangen, we komen erop terug.", kind=kind,
        agreed_date=date(2026, 3, 13) if kind == AFSPRAAK else None, now=at(2026, 3, 4, 23),
    )  # fmt: skip
    clocks = await world.call("clocks", world.bewindvoerder, thread.id)
    [eerste] = [c for c in clocks if c.kind == ClockKind.ALGEMEEN_EERSTE and c.owed_by_org_id == world.gemeente.id]
    assert (eerste.stop_kind, eerste.in_time, eerste.stopped_at) == (stop, True, at(2026, 3, 4, 23))
    [inhoudelijk] = [c for c in clocks if c.kind == ClockKind.ALGEMEEN_INHOUDELIJK and c.depth == 0]
    # Only the substantive term keeps running, unless the kind stops it too.
    assert (inhoudelijk.stopped_at is None) is (kind not in (REACTIE, VRAAG))


async def test_the_asking_sides_messages_are_no_first_reaction(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2), case=False)
    for kind in (MessageKind.BERICHT, MessageKind.GEEN_REACTIE_NODIG):
        await world.call("post_message", world.bewindvoerder, thread.id, "Nog iets.", kind=kind, now=at(2026, 3, 3))
    # What only the owing side may send is refused to the asking side, and stops nothing either.
    for kind in (VRAAG, REACTIE):
        with pytest.raises(ValidationError):
            await world.call("post_message", world.bewindvoerder, thread.id, "Nog iets.", kind=kind, now=at(2026, 3, 3))
    assert len(await _running(world, thread)) == 2


# -- two weeks is a maximum ------------------------------------------------------------------------------------


MAXIMUM = (
    "Een procesafspraak op een algemene vraag kan niet later zijn dan de maximale reactietermijn van twee weken: "
    "uiterlijk vrijdag 18 december."
)


async def test_a_procesafspraak_on_a_general_question_cannot_pass_the_two_weeks(world: World) -> None:
    thread = await _ask(world, at(2026, 12, 4, 9), case=False)  # Friday 4 December: 2 weken end Friday 18 December
    before = await _counts(world, thread)
    for call in ("check_reply", "post_message"):
        with pytest.raises(ValidationError) as refused:
            await world.call(
                call, world.klantmanager, thread.id, "Het antwoord komt na de kerst.",
                kind=AFSPRAAK, agreed_date=date(2026, 12, 21), now=at(2026, 12, 7),
            )  # fmt: skip
        assert refused.value.errors == {"agreed_date": MAXIMUM}
    assert await _counts(world, thread) == before  # nothing stored
    assert await _state(world, thread) == (world.gemeente.id, end_of(2026, 12, 8))

    # An earlier date is fine; a later afspraak may move it up to the same maximum, never past it.
    await world.call(
        "post_message", world.klantmanager, thread.id, "Uiterlijk 11 december.",
        kind=AFSPRAAK, agreed_date=date(2026, 12, 11), now=at(2026, 12, 7),
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        await world.call(
            "post_message", world.klantmanager, thread.id, "Toch later.",
            kind=AFSPRAAK, agreed_date=date(2026, 12, 19), now=at(2026, 12, 10),
        )  # fmt: skip
    assert refused.value.errors == {"agreed_date": MAXIMUM}
    await world.call(
        "post_message", world.klantmanager, thread.id, "Uiterlijk 18 december.",
        kind=AFSPRAAK, agreed_date=date(2026, 12, 18), now=at(2026, 12, 10),
    )  # fmt: skip
    [clock] = await _running(world, thread)
    assert clock.due_at == end_of(2026, 12, 18) and clock.original_due_at == end_of(2026, 12, 18)


async def test_after_the_two_weeks_no_procesafspraak_is_possible(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2), case=False)  # 2 weken end Monday 16 March
    with pytest.raises(ValidationError) as refused:
        await world.call(
            "post_message", world.klantmanager, thread.id, "Later.",
            kind=AFSPRAAK, agreed_date=date(2026, 3, 20), now=at(2026, 3, 17),
        )  # fmt: skip
    assert "op maandag 16 maart verstreken" in refused.value.errors["agreed_date"]


async def test_on_casuistiek_the_agreed_date_has_no_maximum(world: World) -> None:
    thread = await _ask(world, at(2026, 12, 4, 9))
    await world.call(
        "post_message", world.klantmanager, thread.id, "Na de feestdagen.",
        kind=AFSPRAAK, agreed_date=date(2027, 1, 15), now=at(2026, 12, 7),
    )  # fmt: skip
    [clock] = await _running(world, thread)
    assert clock.due_at == end_of(2027, 1, 15)


async def test_a_past_agreed_date_is_refused_and_nothing_stored(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2), case=False)
    before = await _counts(world, thread)
    with pytest.raises(ValidationError) as refused:
        await world.call(
            "post_message", world.klantmanager, thread.id, "Gisteren.",
            kind=AFSPRAAK, agreed_date=date(2026, 3, 2), now=at(2026, 3, 3),
        )  # fmt: skip
    assert refused.value.errors == {"agreed_date": "De afgesproken datum ligt in het verleden. Kies vandaag of later."}
    assert await _counts(world, thread) == before


# -- the migration that brought the depth ----------------------------------------------------------------------


def _depth_revision() -> tuple[str, str]:
    """The revision that replaced handed_over by depth, and the one before it (found by its message, so that a
    re-chained revision id does not break the test)."""
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    [found] = [r for r in script.walk_revisions() if (r.doc or "").startswith("reaction_clock.depth replaces")]
    assert isinstance(found.down_revision, str)
    return found.revision, found.down_revision


async def _rows(url: str, column: str) -> list[tuple[int, bool | int]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(text(f"SELECT started_at, {column} FROM reaction_clock ORDER BY started_at"))
            return [(i, value) for i, (_at, value) in enumerate(result.all())]
    finally:
        await engine.dispose()


async def test_the_depth_migration_keeps_the_stack_as_far_as_handed_over_can(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2))
    await world.call("post_message", world.klantmanager, thread.id, "Welke?", kind=VRAAG, now=at(2026, 3, 3))
    await world.call("post_message", world.bewindvoerder, thread.id, "Sinds?", kind=VRAAG, now=at(2026, 3, 4))
    url = world.hub.settings.database_url
    revision, before = _depth_revision()
    await migrate.downgrade_async(url, before)
    assert [(i, bool(v)) for i, v in await _rows(url, "handed_over")] == [(0, False), (1, True), (2, True)]
    await migrate.upgrade_async(url, revision)
    # Depth 2 was recorded as merely handed over: it comes back as depth 1 (what the old rules acted on).
    assert await _rows(url, "depth") == [(0, 0), (1, 1), (2, 1)]
