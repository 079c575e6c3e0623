"""Term reminders through the hub's own worker (sweeps, claim, render, send as .eml files), on SQLite and PostgreSQL:
each mail once, to the owing side, saying only that a term of the organisation ends today, with a link to the case."""

from __future__ import annotations

from email import message_from_bytes, policy

from hub.cases.demo import start_for_due
from hub.cases.records import local_today
from hub.terms import aanvraag_bijzondere_bijstand_due, default_calendar
from hub.worker import worker_for
from tests.cases.path import at
from tests.cases.world import BSN_1, World


async def test_the_worker_mails_a_term_due_today_once(world: World) -> None:
    calendar = default_calendar()
    due_day = calendar.werkdag_on_or_after(local_today())
    beschikking = start_for_due(lambda d: aanvraag_bijzondere_bijstand_due(d, calendar=calendar), due_day)
    case = await world.open_case(
        beschikking_date=beschikking, bewind_start_date=beschikking, bewindvoerder_id=world.bv_x.id
    )
    worker = worker_for(world.hub.runtime, name="term-test")
    now = at(due_day, 8)
    for _ in range(2):  # a second round finds everything done
        await worker.sweep(now)
        await worker.drain(now)
    mails = [
        message_from_bytes(p.read_bytes(), policy=policy.default) for p in world.hub.settings.mail_dir.glob("*.eml")
    ]
    assert [m["To"] for m in mails] == [world.bv_x.email]  # the case's bewindvoerder, once
    mail = mails[0]
    assert mail["Subject"] == "Termijn verloopt vandaag voor Kantoor Xander"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"/dossiers/{case.id}" in text
    for secret in ("Johanna", BSN_1, case.reference, "bijstand"):
        assert secret not in mail.as_string()
