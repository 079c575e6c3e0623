"""Delivery through a real SMTP server (aiosmtpd, STARTTLS and AUTH required, a self-signed certificate the hub
trusts through HUB_SMTP_CAFILE): once, to the right people, without personal data; outages and refusals."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import replace
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from hub.db import utcnow
from hub.messaging.models import Clock
from hub.notifications.models import MailKind, MailStatus, OutboxMail
from hub.notifications.sender import PermanentFailure, SmtpSender, TemporaryFailure
from hub.notifications.worker import backoff
from hub.terms import format_datum
from tests.notifications.conftest import MESSAGE_TEXT, PERSONAL, REPLY_TEXT, SUBJECT, World, at
from tests.support.smtp import IMPLICIT_TLS_WARNING, PASSWORD, USERNAME, SmtpServer

pytestmark = pytest.mark.postgres

MONDAY = at(2026, 5, 11, 10)
GEMEENTE_USERS = ["cbb@nijmegen.example.nl", "km@nijmegen.example.nl"]
THREAD_URL = re.compile(r"^/berichten/([0-9a-f]{32})\?gelukt=gestart$")


def assert_no_personal_data(raw: bytes, decoded: str) -> None:
    text = raw.decode("utf-8", "replace")
    for value in PERSONAL:
        assert value not in text, f"{value!r} found in the raw mail"
        assert value not in decoded, f"{value!r} found in the decoded mail"


async def test_a_posted_message_arrives_once_at_the_receiving_side_without_personal_data(
    world: World, smtp: SmtpServer
) -> None:
    """Through the real pages: the question and the answer are posted as a user would, so this fails when
    messaging stops writing the outbox row (no test helper writes it in its place)."""
    bea = await world.hub.client_for(world.bewindvoerder)
    response = await bea.post_form(
        "/berichten/nieuw", {"case_id": world.case.id, "subject": SUBJECT, "body": MESSAGE_TEXT, "soort": "casuistiek"}
    )
    assert response.status_code == 303, response.text
    started = THREAD_URL.match(response.headers["location"])
    assert started, response.headers["location"]
    thread_id = started.group(1)

    rows = await world.outbox()
    # Nobody is assigned on the gemeente side: its klantmanager and consulent bijzondere bijstand are told.
    assert sorted(r.recipient_address for r in rows) == GEMEENTE_USERS
    assert {r.kind for r in rows} == {MailKind.NIEUW_BERICHT.value}
    assert {r.link_path for r in rows} == {f"/berichten/{thread_id}"}
    async with world.hub.db() as db:
        due = (await db.execute(select(Clock.due_at).where(Clock.thread_id == thread_id))).scalar_one()

    worker = world.worker()  # the pages run on the real clock, so does the worker here
    assert await worker.drain() == 2
    assert await worker.drain(utcnow() + timedelta(hours=2)) == 0
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == GEMEENTE_USERS
    for captured in smtp.messages:
        msg = captured.message
        assert captured.tls
        assert captured.mail_from == "meldingen@hub.example.nl"
        assert msg["Subject"] == "Nieuw bericht voor Gemeente Nijmegen"
        assert msg["Auto-Submitted"] == "auto-generated"
        assert re.fullmatch(r"<[^@>]+@hub\.example\.nl>", msg["Message-ID"])
        assert parsedate_to_datetime(msg["Date"]).tzinfo is not None
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        decoded = captured.decoded_text()
        assert f"https://hub.example.nl/inloggen?volgende=/berichten/{thread_id}" in decoded
        assert "Gemeente Nijmegen" in decoded
        assert format_datum(due) in decoded  # the due moment, in Dutch words
        assert_no_personal_data(captured.content, decoded)
    assert len({m.message["Message-ID"] for m in smtp.messages}) == 2

    # The klantmanager answers through the page: the bewindvoerder who asked (the kantoor's assignee) is told, once.
    karim = await world.hub.client_for(world.klantmanager)
    response = await karim.post_form(
        f"/berichten/{thread_id}/reageren", {"body": REPLY_TEXT, "kind": "inhoudelijke_reactie"}
    )
    assert response.status_code == 303, response.text
    assert await worker.drain() == 1
    assert await worker.drain(utcnow() + timedelta(hours=2)) == 0
    assert len(smtp.messages) == 3
    answer = smtp.messages[2]
    assert answer.rcpt_tos == ["bv1@debrug.example.nl"]
    assert answer.message["Subject"] == "Nieuw bericht voor Bewindvoering De Brug"
    decoded = answer.decoded_text()
    assert f"https://hub.example.nl/inloggen?volgende=/berichten/{thread_id}" in decoded
    assert "uiterlijk" not in decoded  # the answer asks for nothing: no due moment
    assert_no_personal_data(answer.content, decoded)

    rows = await world.outbox()
    assert len(rows) == 3
    assert {r.status for r in rows} == {MailStatus.SENT.value}
    assert all(r.sent_at is not None and r.attempts == 1 and r.message_id for r in rows)


@pytest.mark.filterwarnings(IMPLICIT_TLS_WARNING)
async def test_implicit_tls_delivers_with_verification_and_auth(world_smtps: World, smtps: SmtpServer) -> None:
    """HUB_SMTP_TLS=tls against an SMTPS server (TLS from the first byte, AUTH required, the self-signed certificate
    trusted through HUB_SMTP_CAFILE): the notification arrives once, encrypted, without personal data."""
    world = world_smtps
    assert world.hub.settings.smtp_tls == "tls"
    worker = world.worker()
    sender = worker.sender
    assert isinstance(sender, SmtpSender) and sender.tls == "tls" and sender.cafile == str(smtps.cert)

    await world.ask(MONDAY)
    assert await worker.drain(MONDAY) == 2
    assert await worker.drain(MONDAY + timedelta(hours=2)) == 0
    assert sorted(r for m in smtps.messages for r in m.rcpt_tos) == GEMEENTE_USERS
    for captured in smtps.messages:
        assert captured.tls
        assert captured.mail_from == "meldingen@hub.example.nl"
        assert captured.message["Subject"] == "Nieuw bericht voor Gemeente Nijmegen"
        assert_no_personal_data(captured.content, captured.decoded_text())
    assert {r.status for r in await world.outbox()} == {MailStatus.SENT.value}

    sample = smtps.messages[0].message
    # Verification stays on: without the test CA the certificate is refused, a temporary failure (the mail waits).
    with pytest.raises(TemporaryFailure, match="certificaat"):
        await replace(sender, cafile="").send(sample)
    # A wrong password: 535, permanent.
    with pytest.raises(PermanentFailure, match="535"):
        await replace(sender, password="wrong").send(sample)
    # STARTTLS against the SMTPS port gets no plain-text greeting: temporary, and nothing is sent in the clear.
    with pytest.raises(TemporaryFailure):
        await replace(sender, tls="starttls", timeout=2.0).send(sample)
    assert len(smtps.messages) == 2


async def test_the_assigned_user_alone_is_told(world: World, smtp: SmtpServer) -> None:
    async with world.hub.db() as db:
        case = await db.get(type(world.case), world.case.id)
        assert case is not None
        case.gemeente_contact_id = world.klantmanager.id
        db.add(case)
    await world.ask(MONDAY)
    await world.worker().drain(MONDAY)
    assert [m.rcpt_tos for m in smtp.messages] == [["km@nijmegen.example.nl"]]


async def test_smtp_down_then_up_every_notification_arrives_exactly_once(world: World, smtp: SmtpServer) -> None:
    smtp.stop()
    threads = [await world.ask(MONDAY + timedelta(minutes=i)) for i in range(3)]
    worker = world.worker()
    worker.clock = lambda: MONDAY + timedelta(minutes=5)
    assert await worker.run_once(MONDAY + timedelta(minutes=5)) == 6
    rows = await world.outbox()
    assert {r.status for r in rows} == {MailStatus.PENDING.value}
    assert all(r.attempts == 1 and r.last_error and "verbinding" in r.last_error for r in rows)
    # Back-off: nothing is tried again within the first minute.
    assert await worker.run_once(MONDAY + timedelta(minutes=5, seconds=30)) == 0

    # Still down at the second attempt: the wait grows.
    later = MONDAY + timedelta(minutes=6, seconds=1)
    worker.clock = lambda: later
    assert await worker.run_once(later) == 6
    rows = await world.outbox()
    assert all(r.attempts == 2 and r.next_attempt_at == later + backoff(2) for r in rows)
    assert backoff(2) == timedelta(minutes=2) and backoff(30) == timedelta(hours=1)

    smtp.start()
    back = later + timedelta(minutes=3)
    worker.clock = lambda: back
    assert await worker.drain(back) == 6
    assert await worker.drain(back + timedelta(hours=3)) == 0
    assert len(smtp.messages) == 6
    links = sorted(m.decoded_text().split("volgende=")[1].split()[0] for m in smtp.messages)
    assert links == sorted(f"/berichten/{t.id}" for t in threads for _ in range(2))
    assert {r.status for r in await world.outbox()} == {MailStatus.SENT.value}


async def test_a_5xx_answer_fails_visibly_on_the_operators_page(world: World, smtp: SmtpServer) -> None:
    smtp.handler.reply = "550 5.1.1 <km@nijmegen.example.nl>: mailbox unavailable"
    await world.ask(MONDAY)
    worker = world.worker()
    await worker.drain(MONDAY)
    assert await worker.drain(MONDAY + timedelta(days=2)) == 0  # not retried
    rows = await world.outbox()
    assert {r.status for r in rows} == {MailStatus.FAILED.value}
    assert all(r.last_error == "550 5.1.1 <adres>: mailbox unavailable" for r in rows)

    client = await world.hub.client_for(world.beheerder)
    page = await client.get("/beheer/mail")
    assert page.status_code == 200
    assert "2 e-mails konden niet worden afgeleverd" in page.text
    assert page.text.count('<span class="tag late">Mislukt</span>') >= 2
    assert "550 5.1.1 &lt;adres&gt;: mailbox unavailable" in page.text
    for value in PERSONAL:
        assert value not in page.text

    # After the cause is fixed, the beheerder puts a failed mail back in the queue.
    smtp.handler.reply = None
    response = await client.post_form(f"/beheer/mail/{rows[0].id}/opnieuw")
    assert response.status_code == 303
    await worker.drain()  # the row is due again from the moment of the retry (real time)
    assert len(smtp.messages) == 1
    assert sorted(r.status for r in await world.outbox()) == ["failed", "sent"]


async def test_a_4xx_answer_is_retried(world: World, smtp: SmtpServer) -> None:
    smtp.handler.reply = "451 4.3.0 try again later"
    await world.ask(MONDAY)
    worker = world.worker()
    worker.clock = lambda: MONDAY
    await worker.drain(MONDAY)
    rows = await world.outbox()
    assert {(r.status, r.last_error) for r in rows} == {("pending", "451 4.3.0 try again later")}
    smtp.handler.reply = None
    await worker.drain(MONDAY + timedelta(minutes=2))
    assert len(smtp.messages) == 2


async def test_other_pages_do_not_show_the_outbox(world: World) -> None:
    client = await world.hub.client_for(world.bewindvoerder)
    assert (await client.get("/beheer/mail")).status_code == 403


async def test_sender_verifies_the_certificate_and_authenticates(smtp: SmtpServer) -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "hub@example.nl", "x@example.nl", "test"
    msg.set_content("test")
    base = {"host": "127.0.0.1", "port": smtp.port, "timeout": 5.0}
    # Without the test CA the self-signed certificate is not trusted: temporary, the mail waits.
    with pytest.raises(TemporaryFailure, match="certificaat"):
        await SmtpSender(**base, username=USERNAME, password=PASSWORD).send(msg)  # type: ignore[arg-type]
    # A wrong password is a 5xx answer: permanent.
    with pytest.raises(PermanentFailure, match="535"):
        await SmtpSender(**base, username=USERNAME, password="wrong", cafile=str(smtp.cert)).send(msg)  # type: ignore[arg-type]
    # Without AUTH the server refuses (530): permanent.
    with pytest.raises(PermanentFailure, match="530"):
        await SmtpSender(**base, cafile=str(smtp.cert)).send(msg)  # type: ignore[arg-type]
    await SmtpSender(**base, username=USERNAME, password=PASSWORD, cafile=str(smtp.cert)).send(msg)  # type: ignore[arg-type]
    assert len(smtp.messages) == 1
    smtp.stop()
    with pytest.raises(TemporaryFailure, match="verbinding"):
        await SmtpSender(**base, username=USERNAME, password=PASSWORD, cafile=str(smtp.cert)).send(msg)  # type: ignore[arg-type]


async def test_outbox_rows_hold_ids_and_kinds_only(world: World) -> None:
    await world.ask(MONDAY)
    async with world.hub.db() as db:
        rows = list((await db.execute(select(OutboxMail))).scalars())
    for row in rows:
        values = " ".join(str(v) for v in row.model_dump().values())
        for value in PERSONAL:
            assert value not in values


async def test_the_sender_waits_as_long_as_rfc_5321_asks_so_a_slow_server_gets_the_mail_once(smtp: SmtpServer) -> None:
    """A server that stores the mail and answers the end of DATA slowly: giving up early and retrying would send it
    twice. The defaults are RFC 5321's (5 minutes per command, 10 for the end of DATA); the worker's lease is
    renewed while it waits (tests/notifications/test_lease.py), so no other worker takes the row up meanwhile."""
    from email.message import EmailMessage

    sender = SmtpSender(host="127.0.0.1", port=smtp.port, username=USERNAME, password=PASSWORD, cafile=str(smtp.cert))
    assert (sender.timeout, sender.data_timeout) == (300.0, 600.0)
    assert sender.deadline >= sender.data_timeout

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "hub@example.nl", "x@example.nl", "test"
    msg.set_content("test")
    smtp.handler.answer_delay = 1.5
    impatient = dataclasses.replace(sender, data_timeout=0.5)
    with pytest.raises(TemporaryFailure):
        await impatient.send(msg)  # what a too short time-out does: the server has the mail, we think it failed
    assert len(smtp.messages) == 1
    patient = dataclasses.replace(sender, data_timeout=5.0)
    await patient.send(msg)
    assert len(smtp.messages) == 2
