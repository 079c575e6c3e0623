"""Webhooks end to end on both databases, with a real HTTP receiver on 127.0.0.1: rows written in the change's
transaction (a rolled-back change sends nothing), delivered by the hub's worker with a Standard Webhooks signature
checked independently, retried while the receiver is down and then delivered exactly once, never to an organisation
that is no party, never with content; and the page (secret shown once and stored encrypted, another organisation's
endpoint 404, CSRF, the SSRF rule)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from hub.accounts.models import User
from hub.accounts.roles import Role
from hub.api.openapi import document
from hub.api.routes import operations
from hub.api.webhook_docs import WebhookEvent
from hub.audit.models import AuditEvent
from hub.calendars.services import CalendarSource
from hub.cases.milestones import K
from hub.cases.term_sweep import sweep_case_terms
from hub.db import is_id, new_id, utcnow
from hub.documents.components import blobs_of
from hub.messaging.reminders import sweep_clocks
from hub.messaging.threads import ThreadService
from hub.notifications.outbox import OutboxNotifier
from hub.notifications.term_outbox import OutboxTermNotifier
from hub.retention.components import policy_of
from hub.retention.run import run_retention
from hub.terms import aanvraag_bijzondere_bijstand_due, default_calendar
from hub.webhooks.addresses import AddressRefused, check_url
from hub.webhooks.delivery import MAX_ATTEMPTS, WebhookOutbox
from hub.webhooks.endpoints import WebhookService
from hub.webhooks.events import payload_of
from hub.webhooks.models import DeliveryStatus, EventType, WebhookDelivery, WebhookEndpoint
from hub.worker import worker_for
from tests.cases.path import at, build_path
from tests.cases.world import BSN_1, World, build_world
from tests.support.hubclient import HubUnderTest, running_hub
from tests.support.webhook_receiver import Receiver, signature_valid

SUBJECT, BODY = "Vraag over de beschikking", "Wanneer komt de beschikking van mevrouw De Vries?"


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    """The case world on a hub whose webhooks may reach 127.0.0.1 (as tests and on-premise set-ups allow)."""
    async with running_hub(tmp_path / "data", database_url, HUB_WEBHOOK_ALLOW_PRIVATE="true") as hub:
        yield await build_world(hub)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


async def _endpoint(hub: HubUnderTest, admin: User, url: str, events: list[str]) -> str:
    async with hub.db() as db:
        _, secret = await WebhookService(db, hub.runtime.keyring, allow_private=True).add(
            admin, url=url, event_types=events
        )
    return secret


async def _deliveries(hub: HubUnderTest) -> list[WebhookDelivery]:
    async with hub.db() as db:
        return list((await db.execute(select(WebhookDelivery).order_by(col(WebhookDelivery.created_at)))).scalars())


async def test_delivered_signed_retried_once_and_only_to_parties(world: World, receiver: Receiver) -> None:
    hub = world.hub
    secret = await _endpoint(hub, world.kb_x, receiver.url, ["message.created", "document.created"])
    # Kantoor Ypsilon is no party of the case: its endpoint, subscribed to everything, must hear nothing.
    kb_y = await hub.user(world.ypsilon, Role.KANTOORBEHEERDER)
    other = Receiver().start()
    try:
        await _endpoint(hub, kb_y, other.url, ["message.created", "document.created", "milestone.changed"])
        case = await world.open_case()
        path = await build_path(world)
        document = await path.document(world.bv_x, case, "benoemingsbeschikking", date(2025, 3, 4))
        async with hub.db() as db:
            thread = await ThreadService(db, hub.runtime.keyring).start_thread(
                world.km_arnhem, subject=SUBJECT, body=BODY, case=case.id
            )
        rows = await _deliveries(hub)
        assert [r.event_type for r in rows] == ["document.created", "message.created"]
        assert {r.organisation_id for r in rows} == {world.xander.id}

        # The receiver is down: the worker tries, fails, and plans a retry.
        now = utcnow()
        worker = worker_for(hub.runtime)
        await worker.run_once(now)
        rows = await _deliveries(hub)
        assert {r.status for r in rows} == {DeliveryStatus.PENDING.value}
        assert all(r.attempts == 1 and r.next_attempt_at > now and r.last_error for r in rows)
        assert receiver.received == []

        receiver.start()
        await worker.run_once(now + timedelta(seconds=30))  # not due yet
        assert receiver.received == []
        await worker.run_once(now + timedelta(minutes=2))
        await worker.run_once(now + timedelta(hours=3))  # nothing left: exactly once
        assert len(receiver.received) == 2
        assert {r.status for r in await _deliveries(hub)} == {DeliveryStatus.DELIVERED.value}
    finally:
        other.stop()
    assert other.received == []

    by_type = {}
    for got in receiver.received:
        assert signature_valid(secret, got.headers, got.body)
        assert abs(int(got.headers["webhook-timestamp"]) - int(utcnow().timestamp())) < 300
        assert got.headers["content-type"] == "application/json"
        payload = json.loads(got.body)
        assert set(payload) == {"type", "timestamp", "data"}
        by_type[payload["type"]] = payload["data"]
        assert got.headers["webhook-id"] in {r.id for r in await _deliveries(hub)}
        text = got.body.decode()
        for personal in ("Johanna", "Vries", BSN_1, "1968", "beschikking.pdf", SUBJECT, BODY, "Rechtbank"):
            assert personal not in text
        for key, value in payload["data"].items():
            assert is_id(value) if key.endswith("Id") else re.fullmatch(r"[a-z0-9_.-]+", value)
    assert by_type["document.created"] == {
        "caseId": case.id, "documentId": document.id, "documentType": "benoemingsbeschikking"
    }  # fmt: skip
    assert by_type["message.created"]["threadId"] == thread.id and by_type["message.created"]["caseId"] == case.id

    # A tampered body or another secret does not verify (the check above is meaningful).
    got = receiver.received[0]
    assert not signature_valid(secret, got.headers, got.body + b" ")
    async with hub.db() as db:
        endpoint = (await db.execute(select(WebhookEndpoint))).scalars().first()
        assert endpoint is not None and secret.encode() not in endpoint.secret  # stored encrypted


async def test_rolled_back_change_enqueues_nothing_and_failures_end_visible(world: World, receiver: Receiver) -> None:
    hub = world.hub
    await _endpoint(hub, world.kb_x, receiver.url, ["message.created"])
    case = await world.open_case()
    with pytest.raises(RuntimeError):
        async with hub.db() as db:
            await ThreadService(db, hub.runtime.keyring).start_thread(
                world.km_arnhem, subject=SUBJECT, body=BODY, case=case.id
            )
            assert len((await db.execute(select(WebhookDelivery))).scalars().all()) == 1  # same transaction
            raise RuntimeError("crash after the change")
    assert await _deliveries(hub) == []

    # A receiver that keeps failing: after the last attempt the row fails, and the page shows it.
    receiver.status = 500
    receiver.start()
    async with hub.db() as db:
        await ThreadService(db, hub.runtime.keyring).start_thread(
            world.km_arnhem, subject=SUBJECT, body=BODY, case=case.id
        )
    worker = worker_for(hub.runtime)
    now = utcnow()
    await worker.run_once(now)
    [row] = await _deliveries(hub)
    assert row.status == DeliveryStatus.PENDING.value and row.last_status == 500
    async with hub.db() as db:
        db.add(row)
        row.attempts = MAX_ATTEMPTS - 1
    await worker.run_once(now + timedelta(days=1))
    [row] = await _deliveries(hub)
    assert row.status == DeliveryStatus.FAILED.value and "Opgegeven na" in (row.last_error or "")
    assert len(receiver.received) == 2
    client = await hub.client_for(world.kb_x)
    page = await client.get("/organisatie/webhooks")
    assert page.status_code == 200
    assert "Antwoord 500" in page.text and ">1</td>" in page.text


async def test_page_secret_once_ssrf_and_other_organisation(hub: HubUnderTest) -> None:
    """Without HUB_WEBHOOK_ALLOW_PRIVATE: a loopback or private URL is refused; with https and a public address the
    endpoint is added, its secret shown once; another organisation's administrator gets 404; CSRF is checked."""
    world = await build_world(hub)
    client = await hub.client_for(world.kb_x)
    for url in (
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/",
        "https://169.254.169.254/latest",
        "https://[::1]/",
        "https://[::ffff:192.168.1.1]/",
        "ftp://x.nl/",
    ):
        answer = await client.post_form("/organisatie/webhooks", {"url": url, "events": "message.created"})
        assert answer.status_code == 400, url
        assert "Fout" in answer.text
    async with hub.db() as db:
        assert await db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0

    # A public address (a literal, so no DNS is needed here).
    answer = await client.post_form(
        "/organisatie/webhooks", {"url": "https://93.184.215.14/hook", "events": "term.passed"}
    )
    assert answer.status_code == 200
    secret = re.search(r'id="webhook-secret" class="token">(whsec_[A-Za-z0-9+/=]+)<', answer.text)
    assert secret and len(secret.group(1)) == len("whsec_") + 44
    listing = await client.get("/organisatie/webhooks")
    assert secret.group(1) not in listing.text and "93.184.215.14" in listing.text
    async with hub.db() as db:
        endpoint = (await db.execute(select(WebhookEndpoint))).scalars().one()
        assert secret.group(1).encode() not in endpoint.secret

    missing_csrf = await client.post_form(f"/organisatie/webhooks/{endpoint.id}/verwijderen", csrf=False)
    assert missing_csrf.status_code == 403

    gemeentebeheerder = await hub.client_for(await hub.user(world.arnhem, Role.GEMEENTEBEHEERDER))
    for action in ("pauzeren", "hervatten", "verwijderen", "geheim-vernieuwen"):
        answer = await gemeentebeheerder.post_form(f"/organisatie/webhooks/{endpoint.id}/{action}")
        assert answer.status_code == 404, action
    assert "93.184.215.14" not in (await gemeentebeheerder.get("/organisatie/webhooks")).text
    assert (await (await hub.client_for(world.bv_x)).get("/organisatie/webhooks")).status_code == 403

    rotated = await client.post_form(f"/organisatie/webhooks/{endpoint.id}/geheim-vernieuwen")
    new_secret = re.search(r'class="token">(whsec_[^<]+)<', rotated.text)
    assert new_secret and new_secret.group(1) != secret.group(1)
    assert (await client.post_form(f"/organisatie/webhooks/{endpoint.id}/pauzeren")).status_code == 303
    assert (await client.post_form(f"/organisatie/webhooks/{endpoint.id}/verwijderen")).status_code == 303
    async with hub.db() as db:
        assert await db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
        audited = (
            await db.execute(select(col(AuditEvent.action)).where(col(AuditEvent.object_id) == endpoint.id))
        ).scalars()
        assert list(audited) == ["webhook.add", "webhook.rotate", "webhook.pause", "webhook.remove"]


async def test_address_rule() -> None:
    for url in (
        "https://127.0.0.1/",
        "https://192.168.0.5/",
        "https://[fe80::1]/",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://user:pw@example.nl/",
        "http://93.184.215.14/",
        "https://example.invalid/",
    ):
        with pytest.raises(AddressRefused):
            await check_url(url, allow_private=False)
    await check_url("https://93.184.215.14/hook", allow_private=False)
    await check_url("http://127.0.0.1:8080/hook", allow_private=True)


async def test_terms_and_milestones_reach_both_parties(world: World) -> None:
    """A case term due today and passed, a reaction clock passed, a milestone recorded: one row for each party's
    endpoint (the gemeente's and the kantoor's), with ids and kind words only."""
    hub = world.hub
    gb = await hub.user(world.arnhem, Role.GEMEENTEBEHEERDER)
    all_events = ["term.due_today", "term.passed", "milestone.changed", "message.created"]
    await _endpoint(hub, world.kb_x, "http://127.0.0.1:9/kantoor", all_events)
    await _endpoint(hub, gb, "http://127.0.0.1:9/gemeente", all_events)
    beschikking = date(2025, 3, 4)
    case = await world.open_case(beschikking_date=beschikking, bewind_start_date=beschikking)
    path = await build_path(world)

    day = aanvraag_bijzondere_bijstand_due(beschikking, calendar=default_calendar()).date()
    for moment in (at(day, 8), at(day + timedelta(days=1), 8)):
        async with hub.db() as db:
            await sweep_case_terms(db, moment, CalendarSource(), OutboxTermNotifier(db), warn_months=(2, 1))
    milestone = await path.apply_bijstand(world.bv_x, case, date(2025, 3, 10))
    async with hub.db() as db:
        thread = await ThreadService(db, hub.runtime.keyring).start_thread(
            world.km_arnhem, subject=SUBJECT, body=BODY, case=case.id
        )
    clock_due = thread.current_due_at
    assert clock_due is not None
    async with hub.db() as db:
        await sweep_clocks(
            db, clock_due + timedelta(hours=1), await CalendarSource().calendar_for(db), OutboxNotifier(db)
        )

    rows = await _deliveries(hub)
    seen: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        seen.setdefault(row.event_type, []).append(json.loads(row.payload)["data"])
    both = {world.xander.id, world.arnhem.id}
    for event in all_events:
        assert {r.organisation_id for r in rows if r.event_type == event} == both, event
    assert {"caseId": case.id, "term": "aanvraag_bijzondere_bijstand"} in seen["term.due_today"]
    assert {"caseId": case.id, "term": "aanvraag_bijzondere_bijstand"} in seen["term.passed"]
    assert {"caseId": case.id, "threadId": thread.id, "term": "reactie"} in seen["term.passed"]
    assert seen["milestone.changed"][0] == {
        "caseId": case.id, "milestoneId": milestone.id, "milestoneKind": K.AANVRAAG_BIJSTAND.value, "change": "record"
    }  # fmt: skip


async def test_retention_removes_settled_deliveries_only(world: World) -> None:
    hub = world.hub
    await _endpoint(hub, world.kb_x, "http://127.0.0.1:9/hook", ["message.created"])
    case = await world.open_case()
    for _ in range(3):
        async with hub.db() as db:
            await ThreadService(db, hub.runtime.keyring).start_thread(
                world.km_arnhem, subject=SUBJECT, body=BODY, case=case.id
            )
    old = utcnow() - timedelta(days=91)
    async with hub.db() as db:
        rows = list((await db.execute(select(WebhookDelivery))).scalars())
        for row, status in zip(
            rows, (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.PENDING), strict=True
        ):
            row.created_at, row.status = old, status.value
            db.add(row)
    now = utcnow()
    await run_retention(
        hub.runtime.sessions, blobs_of(hub.runtime), policy_of(hub.runtime), now=now, today=now.date(), actor="test"
    )
    assert [r.status for r in await _deliveries(hub)] == [DeliveryStatus.PENDING.value]  # work not done is kept


async def test_no_redirect_followed_and_a_slow_receiver_cut_off(world: World, receiver: Receiver) -> None:
    hub = world.hub
    target = Receiver().start()
    receiver.status, receiver.location = 307, target.url
    receiver.start()
    try:
        await _endpoint(hub, world.kb_x, receiver.url, ["message.created"])
        case = await world.open_case()
        async with hub.db() as db:
            await ThreadService(db, hub.runtime.keyring).start_thread(
                world.km_arnhem, subject=SUBJECT, body=BODY, case=case.id
            )
        outbox = WebhookOutbox(hub.runtime.sessions, hub.runtime.keyring, name="w1", allow_private=True, timeout=0.3)
        now = utcnow()
        assert await outbox(now) == 1
        [row] = await _deliveries(hub)
        assert (row.status, row.last_status, row.last_error) == ("pending", 307, "Antwoord 307")
        assert target.received == []  # the redirect was not followed

        receiver.status, receiver.location, receiver.delay = 204, "", 1.0
        assert await outbox(now + timedelta(minutes=2)) == 1
        [row] = await _deliveries(hub)
        assert (row.status, row.last_status, row.last_error) == ("pending", None, "Geen antwoord binnen de wachttijd")
    finally:
        target.stop()


def test_openapi_documents_every_event_as_sent() -> None:
    doc = document(operations(), base_url="https://hub.example.nl", contact_email="security@hub.example.nl")
    assert set(doc["webhooks"]) == {e.value for e in EventType}
    moment = utcnow()
    ids = {"caseId": new_id(), "threadId": new_id(), "messageId": new_id(), "documentId": new_id()}
    for event in EventType:
        body = payload_of(event, {**ids, "kind": "bericht", "term": "reactie"}, moment)
        parsed = WebhookEvent.model_validate_json(body)  # extra fields are refused: the model covers what is sent
        assert parsed.type == event.value and parsed.data.case_id == ids["caseId"]
    with pytest.raises(ValueError):
        payload_of(EventType.MESSAGE_CREATED, {"caseId": "Johanna de Vries"}, moment)  # content never passes
    with pytest.raises(ValueError):
        payload_of(EventType.MESSAGE_CREATED, {"kind": "Vraag over de beschikking"}, moment)
