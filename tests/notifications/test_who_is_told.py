"""Who is told (issue 11): a general question reaches the gemeente's contractmanager too; bijzondere bijstand reaches
the consulenten bijzondere bijstand; a procesafspraak tells the receiving side. Scenarios through the services that
produce the notices, on SQLite and PostgreSQL, and through the real SMTP server where mail goes out.

The week of Monday 8 June 2026 has no feestdag: a question of Monday 10:00 is due Wednesday 10 June 23:59:59 (the
first reaction to a general question too; its substantive answer Monday 22 June).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select
from sqlmodel import col

from hub.accounts.models import User
from hub.calendars.services import CalendarSource
from hub.cases.models import Case
from hub.errors import ValidationError
from hub.messaging.models import MessageKind, Thread
from hub.messaging.reminders import sweep_clocks
from hub.messaging.threads import ThreadService
from hub.notifications.models import MailKind, OutboxMail
from hub.notifications.outbox import OutboxNotifier
from tests.notifications.conftest import MESSAGE_TEXT, PERSONAL, SUBJECT, World, at
from tests.support.smtp import SmtpServer

MONDAY = at(2026, 6, 8, 10)
KM, CBB, CM = "km@nijmegen.example.nl", "cbb@nijmegen.example.nl", "cm@nijmegen.example.nl"
BV1, BV2 = "bv1@debrug.example.nl", "bv2@debrug.example.nl"
NIEUW, PROCES, VANDAAG = MailKind.NIEUW_BERICHT.value, MailKind.PROCESAFSPRAAK.value, "termijn_verloopt_vandaag"


async def start(world: World, when: datetime, *, author: User, general: bool = False, bijstand: bool = False) -> Thread:
    """A new thread through the messaging service: on the case, or (``general``) on the convenant."""
    async with world.hub.db() as db:
        svc = ThreadService(db, world.hub.runtime.keyring)
        where = {"convenant": world.convenant.id} if general else {"case": world.case.id}
        return await svc.start_thread(
            author, subject=SUBJECT, body=MESSAGE_TEXT, bijzondere_bijstand=bijstand, now=when, **where
        )


async def new_rows(world: World, before: set[str]) -> list[tuple[str, str]]:
    """(kind, address) of the outbox rows written since ``before`` (a set of row ids)."""
    return sorted((r.kind, r.recipient_address) for r in await world.outbox() if r.id not in before)


async def row_ids(world: World) -> set[str]:
    return {r.id for r in await world.outbox()}


async def set_case(world: World, **values: object) -> None:
    async with world.hub.db() as db:
        case = await db.get(Case, world.case.id)
        assert case is not None
        for k, v in values.items():
            setattr(case, k, v)
        db.add(case)


async def set_thread(world: World, thread: Thread, **values: object) -> None:
    async with world.hub.db() as db:
        fresh = await db.get(Thread, thread.id)
        assert fresh is not None
        for k, v in values.items():
            setattr(fresh, k, v)
        db.add(fresh)


async def sweep(world: World, now: datetime) -> list[tuple[str, str]]:
    before = await row_ids(world)
    async with world.hub.db() as db:
        calendar_for = await CalendarSource().calendar_for(db)
        await sweep_clocks(db, now, calendar_for, OutboxNotifier(db))
    return await new_rows(world, before)


def assert_no_content(smtp: SmtpServer) -> None:
    for m in smtp.messages:
        text = m.decoded_text()
        for value in PERSONAL:
            assert value not in text, value


# -- a general question: the contractmanager too -----------------------------------------------------------------


async def test_a_general_question_reaches_the_gemeentes_contractmanager(world: World, smtp: SmtpServer) -> None:
    thread = await start(world, MONDAY, author=world.bewindvoerder, general=True)
    # Nobody assigned at the gemeente: its case workers, and the contractmanager as the convenant's contact.
    assert await new_rows(world, set()) == [(NIEUW, CBB), (NIEUW, CM), (NIEUW, KM)]
    await world.worker().drain(at(2026, 6, 8, 10, 1))
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [CBB, CM, KM]
    assert {m.message["Subject"] for m in smtp.messages} == {"Nieuw bericht voor Gemeente Nijmegen"}
    assert all("woensdag 10 juni 2026" in m.decoded_text() for m in smtp.messages)  # the first reaction is due
    assert_no_content(smtp)

    # A klantmanager takes it on: the next message goes to the assignee and still to the contractmanager.
    await set_thread(world, thread, gemeente_assignee_id=world.klantmanager.id)
    before = await row_ids(world)
    await world.post(thread, at(2026, 6, 8, 11), author=world.bewindvoerder)
    assert await new_rows(world, before) == [(NIEUW, CM), (NIEUW, KM)]

    # The contractmanager assigned: one mail, not two.
    await set_thread(world, thread, gemeente_assignee_id=world.contractmanager.id)
    await world.worker().drain(at(2026, 6, 8, 11, 1))
    before = await row_ids(world)
    await world.post(thread, at(2026, 6, 8, 12), author=world.bewindvoerder)
    assert await new_rows(world, before) == [(NIEUW, CM)]


async def test_a_general_question_to_the_kantoor_tells_no_contractmanager(world: World) -> None:
    await start(world, MONDAY, author=world.klantmanager, general=True)
    assert await new_rows(world, set()) == [(NIEUW, BV1), (NIEUW, BV2)]


async def test_a_case_question_does_not_reach_the_contractmanager(world: World) -> None:
    await start(world, MONDAY, author=world.bewindvoerder)
    assert await new_rows(world, set()) == [(NIEUW, CBB), (NIEUW, KM)]


async def test_reminders_of_a_general_question_owed_by_the_gemeente_reach_the_contractmanager(world: World) -> None:
    """The contractmanager is among those the question went to, so also among those reminded; the escalation is
    theirs already. When the kantoor owes, its own people are reminded, as for a case question."""
    await start(world, MONDAY, author=world.bewindvoerder, general=True)
    assert await sweep(world, at(2026, 6, 10, 0, 10)) == [(VANDAAG, CBB), (VANDAAG, CM), (VANDAAG, KM)]
    assert await sweep(world, at(2026, 6, 12, 0, 10)) == [
        ("escalatie", CM),  # once, though the contractmanager is also among the owing side's people
        ("escalatie", "convenant@nijmegen.example.nl"),
        ("termijn_verlopen", CBB),
        ("termijn_verlopen", CM),
        ("termijn_verlopen", KM),
    ]

    await start(world, at(2026, 6, 15, 10), author=world.klantmanager, general=True)
    assert await sweep(world, at(2026, 6, 17, 0, 10)) == [(VANDAAG, BV1), (VANDAAG, BV2)]


# -- bijzondere bijstand: the consulenten ---------------------------------------------------------------------------


async def test_a_thread_about_bijzondere_bijstand_reaches_the_consulenten(world: World, smtp: SmtpServer) -> None:
    # The case's contact at the gemeente is a klantmanager: case questions go to them alone.
    await set_case(world, gemeente_contact_id=world.klantmanager.id)
    plain = await start(world, MONDAY, author=world.bewindvoerder)
    assert await new_rows(world, set()) == [(NIEUW, KM)]

    before = await row_ids(world)
    bijstand = await start(world, at(2026, 6, 8, 11), author=world.bewindvoerder, bijstand=True)
    assert bijstand.bijzondere_bijstand and not plain.bijzondere_bijstand
    assert await new_rows(world, before) == [(NIEUW, CBB), (NIEUW, KM)]
    await world.worker().drain(at(2026, 6, 8, 11, 1))
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted([KM, CBB, KM])
    assert_no_content(smtp)

    # Its reminders too, while the gemeente owes; the kantoor's side has no consulenten.
    assert await sweep(world, at(2026, 6, 10, 0, 10)) == [(VANDAAG, CBB), (VANDAAG, KM), (VANDAAG, KM)]
    before = await row_ids(world)
    await world.post(bijstand, at(2026, 6, 10, 9), author=world.consulent, kind=MessageKind.VRAAG_OM_INFORMATIE)
    assert await new_rows(world, before) == [(NIEUW, BV1)]


async def test_bijzondere_bijstand_is_about_a_case(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        await start(world, MONDAY, author=world.bewindvoerder, general=True, bijstand=True)
    assert refused.value.errors == {
        "bijzondere_bijstand": "Bijzondere bijstand gaat altijd over een dossier: kies een dossier."
    }
    async with world.hub.db() as db:
        assert (await db.execute(select(Thread))).first() is None
    assert await world.outbox() == []


async def test_an_aanvraag_sent_with_a_reply_reaches_the_consulenten(world: World) -> None:
    """A thread that is not marked: a reply that carries an aanvraag bijzondere bijstand is about bijstand."""
    from tests.messaging.world import insert_document

    await set_case(world, gemeente_contact_id=world.klantmanager.id)
    thread = await start(world, MONDAY, author=world.bewindvoerder)
    aanvraag = await insert_document(world.hub, world.case, world.bewindvoerder, "aanvraag.pdf")
    nota = await insert_document(world.hub, world.case, world.bewindvoerder, "nota.pdf")
    async with world.hub.db() as db:
        for document, doc_type in ((aanvraag, "aanvraag_bijzondere_bijstand"), (nota, "nota_periodieke_kosten")):
            fresh = await db.get(type(document), document.id)
            assert fresh is not None
            fresh.doc_type = doc_type
            db.add(fresh)
    await world.worker().drain(at(2026, 6, 8, 10, 1))

    async def reply(document_id: str, minute: int) -> list[tuple[str, str]]:
        before = await row_ids(world)
        async with world.hub.db() as db:
            svc = ThreadService(db, world.hub.runtime.keyring)
            when = at(2026, 6, 8, 11, minute)
            ids = [document_id]
            await svc.post_message(world.bewindvoerder, thread.id, "Bijgevoegd.", attachment_ids=ids, now=when)
        rows = await new_rows(world, before)
        await world.worker().drain(at(2026, 6, 8, 11, minute + 1))
        return rows

    assert await reply(nota.id, 0) == [(NIEUW, KM)]
    assert await reply(aanvraag.id, 5) == [(NIEUW, CBB), (NIEUW, KM)]


# -- a procesafspraak: the receiving side -------------------------------------------------------------------------


async def test_the_receiving_side_is_told_of_a_procesafspraak(world: World, smtp: SmtpServer) -> None:
    thread = await start(world, MONDAY, author=world.bewindvoerder)  # the starter is assigned at the kantoor
    await world.worker().drain(at(2026, 6, 8, 10, 1))
    smtp.messages.clear()
    before = await row_ids(world)
    await world.post(
        thread, at(2026, 6, 9, 10), author=world.klantmanager, kind=MessageKind.PROCESAFSPRAAK,
        agreed_date=date(2026, 6, 17),
    )  # fmt: skip
    assert await new_rows(world, before) == [(PROCES, BV1)]
    await world.worker().drain(at(2026, 6, 9, 10, 1))
    [mail] = smtp.messages
    assert mail.rcpt_tos == [BV1]
    assert mail.message["Subject"] == "Nieuwe procesafspraak voor Bewindvoering De Brug"
    text = mail.decoded_text()
    assert "Er is een procesafspraak vastgelegd" in text
    assert "17 juni" not in text  # the kantoor owes nothing: no date needed, and none given
    assert_no_content(smtp)

    # Nobody assigned at the kantoor: its bewindvoerders, as for any message.
    await set_thread(world, thread, kantoor_assignee_id=None)
    await set_case(world, bewindvoerder_id=None)
    before = await row_ids(world)
    await world.post(
        thread, at(2026, 6, 10, 10), author=world.klantmanager, kind=MessageKind.PROCESAFSPRAAK,
        agreed_date=date(2026, 6, 19),
    )  # fmt: skip
    assert await new_rows(world, before) == [(PROCES, BV1), (PROCES, BV2)]


async def test_a_procesafspraak_on_a_general_question_reaches_the_contractmanager(world: World) -> None:
    thread = await start(world, MONDAY, author=world.klantmanager, general=True)  # the kantoor owes
    before = await row_ids(world)
    await world.post(
        thread, at(2026, 6, 9, 10), author=world.bewindvoerder, kind=MessageKind.PROCESAFSPRAAK,
        agreed_date=date(2026, 6, 12),
    )  # fmt: skip
    assert await new_rows(world, before) == [(PROCES, CM), (PROCES, KM)]  # the starter, and the contractmanager


async def test_rows_name_the_receiving_organisation_and_link_to_the_thread(world: World) -> None:
    thread = await start(world, MONDAY, author=world.bewindvoerder, general=True)
    rows = await world.outbox()
    assert {(r.organisation_id, r.link_path) for r in rows} == {(world.gemeente.id, f"/berichten/{thread.id}")}
    async with world.hub.db() as db:
        kinds = set((await db.execute(select(OutboxMail.kind))).scalars())
    assert kinds == {NIEUW}


# -- an aanvraag bijzondere bijstand uploaded on the case -----------------------------------------------------------


async def test_an_uploaded_aanvraag_reaches_the_consulenten_who_can_open_it(world: World, smtp: SmtpServer) -> None:
    """Through the upload page (the real streaming upload), with a klantmanager as the case's gemeente contact: an
    aanvraag bijzondere bijstand also reaches the consulent, who can open the case and the document they are told
    about, and the thread about bijstand; a consulent of another gemeente cannot."""
    from hub.accounts.roles import OrgKind, Role
    from hub.documents.models import Document
    from tests.documents.conftest import pdf_bytes, post_upload, upload_fields

    await set_case(world, gemeente_contact_id=world.klantmanager.id)
    bea = await world.hub.client_for(world.bewindvoerder)

    async def upload(doc_type: str, name: str) -> tuple[str, list[tuple[str, str]]]:
        before = await row_ids(world)
        fields = upload_fields(bea.csrf_token, doc_type=doc_type)
        response = await post_upload(bea, world.case.id, name, pdf_bytes(2000), fields=fields)
        assert response.status_code == 303, response.text
        async with world.hub.db() as db:
            latest = select(Document).order_by(col(Document.uploaded_at).desc())
            newest = (await db.execute(latest)).scalars().first()
        assert newest is not None and newest.doc_type == doc_type
        rows = await new_rows(world, before)
        await world.worker().drain()
        return newest.id, rows

    _, rows = await upload("benoemingsbeschikking", "beschikking.pdf")
    assert rows == [(MailKind.NIEUW_DOCUMENT.value, KM)]
    aanvraag_id, rows = await upload("aanvraag_bijzondere_bijstand", "aanvraag.pdf")
    assert rows == [(MailKind.NIEUW_DOCUMENT.value, CBB), (MailKind.NIEUW_DOCUMENT.value, KM)]
    to_consulent = [m for m in smtp.messages if m.rcpt_tos == [CBB]]
    assert [m.message["Subject"] for m in to_consulent] == ["Nieuw document voor Gemeente Nijmegen"]
    assert f"/dossiers/{world.case.id}" in to_consulent[0].decoded_text()
    assert "aanvraag.pdf" not in to_consulent[0].decoded_text()
    assert_no_content(smtp)

    thread = await start(world, MONDAY, author=world.bewindvoerder, bijstand=True)
    consulent = await world.hub.client_for(world.consulent)
    assert (await consulent.get(f"/dossiers/{world.case.id}")).status_code == 200
    download = await consulent.get(f"/documenten/{aanvraag_id}/downloaden")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    page = await consulent.get(f"/berichten/{thread.id}")
    assert page.status_code == 200 and '<span class="tag neutral">Bijzondere bijstand</span>' in page.text

    elders = await world.hub.org(OrgKind.GEMEENTE, "Gemeente Elders")
    stranger = await world.hub.client_for(await world.hub.user(elders, Role.CONSULENT, email="cbb@elders.example.nl"))
    for path in (f"/dossiers/{world.case.id}", f"/documenten/{aanvraag_id}/downloaden", f"/berichten/{thread.id}"):
        assert (await stranger.get(path)).status_code == 404, path
