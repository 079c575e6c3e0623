"""Every clock rule of convenant §1b as a scenario with a controlled clock, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from hub.errors import ValidationError
from hub.messaging.models import Clock, ClockKind, MessageKind, StopKind, Thread
from tests.messaging.world import World, at, end_of


async def _ask(world: World, when: object, *, case: bool = True, subject: str = "Vraag") -> Thread:
    kwargs = {"case": world.case} if case else {"convenant": world.convenant}
    thread: Thread = await world.call(
        "start_thread", world.bewindvoerder, subject=subject, body="Kunt u dit nakijken?", now=when, **kwargs
    )
    return thread


async def _clocks(world: World, thread: Thread) -> list[Clock]:
    clocks: list[Clock] = await world.call("clocks", world.bewindvoerder, thread.id)
    return clocks


async def _thread(world: World, thread: Thread) -> Thread:
    found: Thread = await world.call("get_thread", world.bewindvoerder, thread.id)
    return found


async def test_case_question_answered_in_time(world: World) -> None:
    # Friday 24 April 2026 16:00; Monday 27 April is Koningsdag: due at the end of Wednesday 29 April.
    thread = await _ask(world, at(2026, 4, 24, 16))
    [clock] = await _clocks(world, thread)
    assert clock.kind == ClockKind.CASUISTIEK
    assert clock.owed_by_org_id == world.gemeente.id
    assert clock.started_at == at(2026, 4, 24, 16)
    assert clock.due_at == end_of(2026, 4, 29)
    fresh = await _thread(world, thread)
    assert fresh.waiting_on_org_id == world.gemeente.id
    assert fresh.awaited_by_org_id == world.kantoor.id
    assert fresh.current_due_at == end_of(2026, 4, 29)

    await world.call(
        "post_message", world.klantmanager, thread.id, "Hier is het antwoord.",
        kind=MessageKind.INHOUDELIJKE_REACTIE, now=at(2026, 4, 29, 17),
    )  # fmt: skip
    [clock] = await _clocks(world, thread)
    assert clock.stopped_at == at(2026, 4, 29, 17)
    assert clock.stopped_by == world.klantmanager.id
    assert clock.stop_kind == StopKind.REACTIE
    assert clock.in_time is True
    fresh = await _thread(world, thread)
    assert fresh.waiting_on_org_id is None and fresh.awaited_by_org_id is None and fresh.current_due_at is None


async def test_case_question_answered_late(world: World) -> None:
    thread = await _ask(world, at(2026, 4, 24, 16))
    await world.call(
        "post_message", world.klantmanager, thread.id, "Excuses voor de vertraging, hier is het antwoord.",
        kind=MessageKind.INHOUDELIJKE_REACTIE, now=at(2026, 4, 30, 0, 0),
    )  # fmt: skip
    [clock] = await _clocks(world, thread)
    assert clock.in_time is False
    assert clock.stop_kind == StopKind.REACTIE


async def test_plain_reply_does_not_stop_a_case_clock(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2))
    await world.call("post_message", world.klantmanager, thread.id, "Ik kijk ernaar.", now=at(2026, 3, 3))
    [clock] = await _clocks(world, thread)
    assert clock.stopped_at is None
    fresh = await _thread(world, thread)
    assert fresh.waiting_on_org_id == world.gemeente.id


async def test_procesafspraak_moves_the_due_moment_and_keeps_running(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2))  # Monday: due at the end of Wednesday 4 March
    message = await world.call(
        "post_message", world.klantmanager, thread.id, "Ik heb de stukken van de afdeling nodig; uiterlijk 13 maart.",
        kind=MessageKind.PROCESAFSPRAAK, agreed_date=date(2026, 3, 13), now=at(2026, 3, 3),
    )  # fmt: skip
    [clock] = await _clocks(world, thread)
    assert clock.stopped_at is None
    assert clock.due_at == end_of(2026, 3, 13)
    assert clock.original_due_at == end_of(2026, 3, 4)
    assert clock.rescheduled_at == at(2026, 3, 3)
    assert clock.rescheduled_by_message_id == message.id
    assert clock.rescheduled_late is False
    fresh = await _thread(world, thread)
    assert fresh.current_due_at == end_of(2026, 3, 13)
    assert fresh.waiting_on_org_id == world.gemeente.id

    await world.call(
        "post_message", world.klantmanager, thread.id, "Het antwoord.",
        kind=MessageKind.INHOUDELIJKE_REACTIE, now=at(2026, 3, 12),
    )  # fmt: skip
    [clock] = await _clocks(world, thread)
    assert clock.in_time is True
    assert clock.due_at == end_of(2026, 3, 13)


async def test_procesafspraak_after_the_term_does_not_make_it_in_time(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2))
    await world.call(
        "post_message", world.klantmanager, thread.id, "Te laat, maar: uiterlijk 13 maart.",
        kind=MessageKind.PROCESAFSPRAAK, agreed_date=date(2026, 3, 13), now=at(2026, 3, 5),
    )  # fmt: skip
    [clock] = await _clocks(world, thread)
    assert clock.rescheduled_late is True
    await world.call(
        "post_message", world.klantmanager, thread.id, "Het antwoord.",
        kind=MessageKind.INHOUDELIJKE_REACTIE, now=at(2026, 3, 10),
    )  # fmt: skip
    [clock] = await _clocks(world, thread)
    assert clock.in_time is False


async def test_procesafspraak_needs_an_owed_reaction_and_a_future_date(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2))
    with pytest.raises(ValidationError) as exc:
        await world.call(
            "post_message", world.bewindvoerder, thread.id, "Ik beloof iets.",
            kind=MessageKind.PROCESAFSPRAAK, agreed_date=date(2026, 3, 13), now=at(2026, 3, 3),
        )  # fmt: skip
    assert "kind" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        await world.call(
            "post_message", world.klantmanager, thread.id, "Gisteren.",
            kind=MessageKind.PROCESAFSPRAAK, agreed_date=date(2026, 3, 2), now=at(2026, 3, 3),
        )  # fmt: skip
    assert "agreed_date" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        await world.call(
            "post_message", world.klantmanager, thread.id, "Geen datum.",
            kind=MessageKind.PROCESAFSPRAAK, now=at(2026, 3, 3),
        )  # fmt: skip
    assert "agreed_date" in exc.value.errors


async def test_a_reminder_from_the_asker_does_not_restart_the_clock(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2))
    await world.call("post_message", world.bewindvoerder, thread.id, "Nog even ter herinnering.", now=at(2026, 3, 4))
    await world.call(
        "post_message", world.bewindvoerder, thread.id, "En nog een aanvulling.",
        kind=MessageKind.GEEN_REACTIE_NODIG, now=at(2026, 3, 4, 12),
    )  # fmt: skip
    [clock] = await _clocks(world, thread)
    assert clock.started_at == at(2026, 3, 2)
    assert clock.due_at == end_of(2026, 3, 4)
    assert clock.owed_by_org_id == world.gemeente.id
    fresh = await _thread(world, thread)
    assert fresh.last_message_at == at(2026, 3, 4, 12)
    assert fresh.current_due_at == end_of(2026, 3, 4)


async def test_a_counter_question_hands_the_clock_over_and_the_answer_hands_it_back(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2))
    await world.call(
        "post_message", world.klantmanager, thread.id, "Welke schuldeisers bedoelt u?",
        kind=MessageKind.VRAAG_OM_INFORMATIE, now=at(2026, 3, 3),
    )  # fmt: skip
    first, second = await _clocks(world, thread)
    assert first.owed_by_org_id == world.gemeente.id
    assert first.stop_kind == StopKind.OVERGEDRAGEN and first.in_time is True
    assert first.stopped_by == world.klantmanager.id
    assert second.owed_by_org_id == world.kantoor.id and second.depth == 1
    assert second.started_at == at(2026, 3, 3) and second.due_at == end_of(2026, 3, 5)
    fresh = await _thread(world, thread)
    assert fresh.waiting_on_org_id == world.kantoor.id and fresh.awaited_by_org_id == world.gemeente.id

    # The bewindvoerder gives the information: the gemeente owes the answer again, with a fresh term.
    await world.call(
        "post_message", world.bewindvoerder, thread.id, "De Belastingdienst en de woningcorporatie.",
        kind=MessageKind.INHOUDELIJKE_REACTIE, now=at(2026, 3, 6),
    )  # fmt: skip
    first, second, third = await _clocks(world, thread)
    assert second.stop_kind == StopKind.REACTIE and second.in_time is False  # Friday 6 March: one day late
    assert third.owed_by_org_id == world.gemeente.id and third.depth == 0
    assert third.due_at == end_of(2026, 3, 10)
    fresh = await _thread(world, thread)
    assert fresh.waiting_on_org_id == world.gemeente.id

    await world.call(
        "post_message", world.klantmanager, thread.id, "Dank, afgehandeld.",
        kind=MessageKind.INHOUDELIJKE_REACTIE, now=at(2026, 3, 9),
    )  # fmt: skip
    clocks = await _clocks(world, thread)
    assert len(clocks) == 3 and clocks[2].in_time is True
    assert (await _thread(world, thread)).waiting_on_org_id is None


async def test_a_late_counter_question_is_counted_late(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2))
    await world.call(
        "post_message", world.klantmanager, thread.id, "Welke?",
        kind=MessageKind.VRAAG_OM_INFORMATIE, now=at(2026, 3, 5),
    )  # fmt: skip
    first, _second = await _clocks(world, thread)
    assert first.stop_kind == StopKind.OVERGEDRAGEN and first.in_time is False


async def test_general_question_has_two_terms(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2), case=False)  # Monday 2 March 2026
    eerste, inhoudelijk = sorted(await _clocks(world, thread), key=lambda c: c.due_at)
    assert eerste.kind == ClockKind.ALGEMEEN_EERSTE and eerste.due_at == end_of(2026, 3, 4)
    assert inhoudelijk.kind == ClockKind.ALGEMEEN_INHOUDELIJK and inhoudelijk.due_at == end_of(2026, 3, 16)
    assert (await _thread(world, thread)).current_due_at == end_of(2026, 3, 4)

    # Any reply is the first reaction; the substantive term runs on.
    await world.call(
        "post_message", world.klantmanager, thread.id, "Goede vraag, we zoeken het uit.", now=at(2026, 3, 3)
    )
    by_kind = {c.kind: c for c in await _clocks(world, thread)}
    assert by_kind[ClockKind.ALGEMEEN_EERSTE].stop_kind == StopKind.REACTIE
    assert by_kind[ClockKind.ALGEMEEN_EERSTE].in_time is True
    assert by_kind[ClockKind.ALGEMEEN_INHOUDELIJK].stopped_at is None
    fresh = await _thread(world, thread)
    assert fresh.current_due_at == end_of(2026, 3, 16) and fresh.waiting_on_org_id == world.gemeente.id

    await world.call(
        "post_message", world.klantmanager, thread.id, "Het beleid is als volgt.",
        kind=MessageKind.INHOUDELIJKE_REACTIE, now=at(2026, 3, 17),
    )  # fmt: skip
    by_kind = {c.kind: c for c in await _clocks(world, thread)}
    assert by_kind[ClockKind.ALGEMEEN_INHOUDELIJK].in_time is False
    assert (await _thread(world, thread)).waiting_on_org_id is None


async def test_general_question_substantive_answer_stops_both_terms(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2), case=False)
    await world.call(
        "post_message", world.klantmanager, thread.id, "Direct het antwoord.",
        kind=MessageKind.INHOUDELIJKE_REACTIE, now=at(2026, 3, 2, 15),
    )  # fmt: skip
    clocks = await _clocks(world, thread)
    assert all(c.stop_kind == StopKind.REACTIE and c.in_time for c in clocks)


async def test_general_question_procesafspraak(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2), case=False)  # the 2 weken end on Monday 16 March
    await world.call(
        "post_message", world.klantmanager, thread.id, "Antwoord volgt uiterlijk 13 maart.",
        kind=MessageKind.PROCESAFSPRAAK, agreed_date=date(2026, 3, 13), now=at(2026, 3, 3),
    )  # fmt: skip
    by_kind = {c.kind: c for c in await _clocks(world, thread)}
    assert by_kind[ClockKind.ALGEMEEN_EERSTE].stop_kind == StopKind.PROCESAFSPRAAK
    assert by_kind[ClockKind.ALGEMEEN_EERSTE].in_time is True
    inhoudelijk = by_kind[ClockKind.ALGEMEEN_INHOUDELIJK]
    assert inhoudelijk.stopped_at is None
    assert inhoudelijk.due_at == end_of(2026, 3, 13) and inhoudelijk.original_due_at == end_of(2026, 3, 16)


async def test_each_message_writes_a_notice_for_the_other_side_with_ids_only(world: World) -> None:
    from sqlalchemy import select

    from hub.notifications.models import MailKind, OutboxMail

    thread = await _ask(world, at(2026, 3, 2), subject="Geheim onderwerp")
    await world.call(
        "post_message", world.klantmanager, thread.id, "Uiterlijk 13 maart.",
        kind=MessageKind.PROCESAFSPRAAK, agreed_date=date(2026, 3, 13), now=at(2026, 3, 3),
    )  # fmt: skip
    async with world.hub.db() as db:
        rows = list((await db.execute(select(OutboxMail).order_by(OutboxMail.created_at))).scalars())
    to_gemeente = [r for r in rows if r.organisation_id == world.gemeente.id]
    to_kantoor = [r for r in rows if r.organisation_id == world.kantoor.id]
    assert {r.kind for r in to_gemeente} == {MailKind.NIEUW_BERICHT}
    assert to_gemeente[0].due_at == end_of(2026, 3, 4)
    assert {r.kind for r in to_kantoor} == {MailKind.PROCESAFSPRAAK}
    assert to_kantoor[0].due_at is None  # the kantoor owes nothing
    assert all(r.link_path == f"/berichten/{thread.id}" for r in rows)


async def test_a_message_without_a_question_starts_and_stops_no_clock(world: World) -> None:
    """A thank-you after the substantive answer must not start a new 2-werkdagen term (which would later become an
    overdue mail and an escalation); nor does it stop or restart a running term, from either side."""
    thread = await _ask(world, at(2026, 3, 2))  # Monday: the gemeente owes a reaction by the end of Wednesday
    # While the term runs: the asker's "thank you for looking" and the gemeente's "received" change nothing.
    await world.call(
        "post_message", world.bewindvoerder, thread.id, "Alvast bedankt.",
        kind=MessageKind.GEEN_REACTIE_NODIG, now=at(2026, 3, 2, 11),
    )  # fmt: skip
    await world.call(
        "post_message", world.klantmanager, thread.id, "Ontvangen, we kijken ernaar.",
        kind=MessageKind.GEEN_REACTIE_NODIG, now=at(2026, 3, 3),
    )  # fmt: skip
    [clock] = await _clocks(world, thread)
    assert clock.stopped_at is None and clock.started_at == at(2026, 3, 2) and clock.due_at == end_of(2026, 3, 4)
    fresh = await _thread(world, thread)
    assert fresh.waiting_on_org_id == world.gemeente.id and fresh.current_due_at == end_of(2026, 3, 4)

    # The substantive answer stops it; the asker's thank-you afterwards starts nothing.
    await world.call(
        "post_message", world.klantmanager, thread.id, "Het antwoord.",
        kind=MessageKind.INHOUDELIJKE_REACTIE, now=at(2026, 3, 4),
    )  # fmt: skip
    await world.call(
        "post_message", world.bewindvoerder, thread.id, "Dank u wel!",
        kind=MessageKind.GEEN_REACTIE_NODIG, now=at(2026, 3, 5),
    )  # fmt: skip
    [clock] = await _clocks(world, thread)
    assert clock.in_time is True and clock.stop_kind == StopKind.REACTIE
    fresh = await _thread(world, thread)
    assert fresh.waiting_on_org_id is None and fresh.awaited_by_org_id is None and fresh.current_due_at is None
    assert fresh.last_message_at == at(2026, 3, 5)
    async with world.service() as svc:
        assert (await svc.inbox(world.klantmanager, tab="te_beantwoorden", now=at(2026, 3, 20))).rows == []
        assert (await svc.inbox(world.bewindvoerder, tab="te_beantwoorden", now=at(2026, 3, 20))).rows == []

    # The same thank-you as an ordinary message would have started a term for the gemeente: the difference.
    await world.call("post_message", world.bewindvoerder, thread.id, "Nog een vraag.", now=at(2026, 3, 6))
    assert len(await _clocks(world, thread)) == 2


async def test_an_acknowledgement_is_the_first_reaction_to_a_general_question(world: World) -> None:
    """ "Ontvangen, we komen erop terug" from the owing side is the first reaction, whatever kind was picked; only the
    2-weken term keeps running."""
    thread = await _ask(world, at(2026, 3, 2), case=False)
    await world.call(
        "post_message", world.klantmanager, thread.id, "Ontvangen, we komen erop terug.",
        kind=MessageKind.GEEN_REACTIE_NODIG, now=at(2026, 3, 3),
    )  # fmt: skip
    by_kind = {c.kind: c for c in await _clocks(world, thread)}
    eerste = by_kind[ClockKind.ALGEMEEN_EERSTE]
    assert eerste.stop_kind == StopKind.REACTIE and eerste.in_time is True and eerste.stopped_at == at(2026, 3, 3)
    assert by_kind[ClockKind.ALGEMEEN_INHOUDELIJK].stopped_at is None
    fresh = await _thread(world, thread)
    assert fresh.current_due_at == end_of(2026, 3, 16) and fresh.waiting_on_org_id == world.gemeente.id
