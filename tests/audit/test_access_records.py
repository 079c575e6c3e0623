"""Each kind of access, done through the pages, writes exactly one audit record with the right fields (actor,
organisation, action, object type and id, moment, origin), and no stored record holds the personal data used.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial

import httpx
import pytest

from hub.accounts.models import User
from hub.audit import actions
from hub.audit.models import AuditEvent
from hub.db import utcnow
from tests.audit.world import (
    BODY,
    CLIENT_BSN,
    CLIENT_NAME,
    FILENAME,
    SEARCHED_BSN,
    SUBJECT,
    AuditWorld,
    audit_world,
)
from tests.support.hubclient import HubUnderTest

REPLY = "Wij hebben de beslaglegging stopgezet voor Jansen."


@pytest.fixture
async def aw(hub: HubUnderTest) -> AuditWorld:
    return await audit_world(hub)


async def one_record(
    aw: AuditWorld, user: User, request: Callable[[], Awaitable[httpx.Response]], status: int = 200
) -> AuditEvent:
    """Do the request; exactly one new record, by ``user``, from this client, at this moment."""
    before = len(await aw.records())
    started = utcnow()
    response = await request()
    assert response.status_code == status, response.text[:500]
    new = (await aw.records())[before:]
    assert len(new) == 1, [(r.action, r.object_type, r.object_id) for r in new]
    event = new[0]
    assert (event.user_id, event.organisation_id) == (user.id, user.organisation_id)
    assert started - timedelta(seconds=1) <= event.at <= utcnow()
    assert event.client_address == "127.0.0.1"
    assert event.user_agent is not None and event.user_agent.startswith("python-httpx/")
    return event


def what(event: AuditEvent) -> tuple[str, str, str]:
    return event.action, event.object_type, event.object_id


async def test_every_access_through_the_pages_writes_one_record(aw: AuditWorld) -> None:
    case = aw.case
    karim = await aw.hub.client_for(aw.klantmanager)
    bea = await aw.hub.client_for(aw.bewindvoerder)
    km, bv = aw.klantmanager, aw.bewindvoerder

    # Cases: the page, the list, searches of each kind.
    assert what(await one_record(aw, km, lambda: karim.get(f"/dossiers/{case.id}"))) == (
        actions.CASE_VIEW, "dossier", case.id)  # fmt: skip
    assert what(await one_record(aw, km, lambda: karim.get("/dossiers"))) == (actions.CASE_LIST, "dossier", "-")
    for query, kind in (("referentie=000001", "reference"), ("status=actief", "filter"), ("soort=beide", "filter")):
        event = await one_record(aw, km, partial(karim.get, f"/dossiers?{query}"))
        assert what(event) == (actions.CASE_SEARCH, "search", kind)
    event = await one_record(aw, km, lambda: karim.post_form("/dossiers/zoeken", {"bsn": SEARCHED_BSN}))
    assert what(event) == (actions.CASE_SEARCH, "search", "bsn")

    # Messages: the inbox, its filters, a thread, a reply, assignment and closing.
    thread = await aw.thread()
    assert what(await one_record(aw, km, lambda: karim.get("/berichten"))) == (
        actions.THREAD_LIST, "message_thread", "-")  # fmt: skip
    for query, kind in (
        ("tab=alle&dossiernummer=000001", "reference"),
        ("tab=alle&dossiernummer=999999", "reference"),  # nothing found: still a search
        ("tab=alle&status=open", "filter"),
        (f"tab=alle&dossier={case.id}", "filter"),
    ):
        event = await one_record(aw, km, partial(karim.get, f"/berichten?{query}"))
        assert what(event) == (actions.THREAD_SEARCH, "search", kind)
    assert what(await one_record(aw, km, lambda: karim.get(f"/berichten/{thread.id}"))) == (
        actions.THREAD_VIEW, "message_thread", thread.id)  # fmt: skip
    event = await one_record(
        aw, km, lambda: karim.post_form(f"/berichten/{thread.id}/toewijzen", {"assignee_id": aw.collega.id}), 303
    )
    assert what(event) == (actions.THREAD_ASSIGN, "message_thread", thread.id)
    event = await one_record(
        aw,
        km,
        lambda: karim.post_form(f"/berichten/{thread.id}/reageren", {"body": REPLY, "kind": "inhoudelijke_reactie"}),
        303,
    )
    assert event.action == actions.MESSAGE_POST and event.object_type == "message"
    event = await one_record(aw, km, lambda: karim.post_form(f"/berichten/{thread.id}/afronden", {}), 303)
    assert what(event) == (actions.THREAD_CLOSE, "message_thread", thread.id)

    # Documents: an upload and a download.
    before = len(await aw.records())
    document = await aw.upload(bea)
    [upload] = (await aw.records())[before:]
    assert what(upload) == (actions.DOCUMENT_UPLOAD, "document", document.id) and upload.user_id == bv.id
    event = await one_record(aw, km, lambda: karim.get(f"/documenten/{document.id}/downloaden"))
    assert what(event) == (actions.DOCUMENT_DOWNLOAD, "document", document.id)

    # Refused: another organisation's case, thread and document leave no record at all.
    otto = await aw.hub.client_for(aw.outsider)
    before = len(await aw.records())
    for path in (f"/dossiers/{case.id}", f"/berichten/{thread.id}", f"/documenten/{document.id}/downloaden"):
        assert (await otto.get(path)).status_code == 404
    assert (await otto.post_form(f"/berichten/{thread.id}/afronden", {})).status_code == 404
    assert (await otto.post_form(f"/berichten/{thread.id}/toewijzen", {"assignee_id": ""})).status_code == 404
    assert len(await aw.records()) == before

    # No stored record (nor the head file) holds a name, BSN, subject, text, file name or search term.
    stored = await aw.stored_text()
    for secret in (CLIENT_NAME, "Jansen", CLIENT_BSN, SEARCHED_BSN, SUBJECT, BODY, REPLY, FILENAME, "000001",
                   "999999", "Karim", "Bea", aw.case.reference):  # fmt: skip
        assert secret not in stored, secret


async def test_a_refused_assignment_changes_and_records_nothing(aw: AuditWorld) -> None:
    thread = await aw.thread()
    karim = await aw.hub.client_for(aw.klantmanager)
    before = len(await aw.records())
    response = await karim.post_form(f"/berichten/{thread.id}/toewijzen", {"assignee_id": aw.outsider.id})
    assert response.status_code == 400 and "Kies een collega van uw eigen organisatie." in response.text
    # The page shown again is a view of the thread: that one record, and no assignment.
    assert [r.action for r in (await aw.records())[before:]] == [actions.THREAD_VIEW]
    closing = await karim.post_form(f"/berichten/{thread.id}/afronden", {})
    assert closing.status_code == 400  # a term runs: not closed, not recorded as closed
    assert actions.THREAD_CLOSE not in [r.action for r in await aw.records()]
