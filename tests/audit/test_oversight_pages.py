"""The Auditlog of a functionaris gegevensbescherming (filters, paging, what is shown, the JSON-lines export) and
per case *Wie heeft dit dossier bekeken*, through the pages, on SQLite and PostgreSQL. Never another organisation's
records; never a client's name."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from hub.accounts.roles import OrgKind, Role
from hub.audit import actions
from hub.audit.services import event_hash
from hub.db import utcnow
from hub.terms import AMSTERDAM
from tests.audit.world import CLIENT_BSN, CLIENT_NAME, AuditWorld, audit_world
from tests.messaging.world import insert_case
from tests.support.hubclient import HubClient, HubUnderTest


@pytest.fixture
async def aw(hub: HubUnderTest) -> AuditWorld:
    return await audit_world(hub)


def table_rows(html: str) -> list[str]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("<tr>")[1:]]


async def activity(aw: AuditWorld) -> dict[str, HubClient]:
    """The gemeente's klantmanager and the kantoor's bewindvoerder read the shared case; the other kantoor reads a
    case of its own."""
    karim = await aw.hub.client_for(aw.klantmanager)
    bea = await aw.hub.client_for(aw.bewindvoerder)
    otto = await aw.hub.client_for(aw.outsider)
    theirs = await insert_case(aw.hub, aw.other_convenant, aw.outsider, "2026-000002")
    assert (await karim.get(f"/dossiers/{aw.case.id}")).status_code == 200
    assert (await bea.get(f"/dossiers/{aw.case.id}")).status_code == 200
    assert (await otto.get(f"/dossiers/{theirs.id}")).status_code == 200
    assert (await karim.get("/dossiers")).status_code == 200
    return {"karim": karim, "bea": bea, "otto": otto}


async def test_the_fg_sees_the_records_about_their_organisation(aw: AuditWorld) -> None:
    await activity(aw)
    fenna = await aw.hub.client_for(aw.fg_gemeente)
    before = len(await aw.records())
    page = await fenna.get("/auditlog")
    assert page.status_code == 200
    new = (await aw.records())[before:]
    assert [(r.action, r.user_id, r.object_type) for r in new] == [(actions.AUDIT_VIEW, aw.fg_gemeente.id, "audit_log")]
    rows = table_rows(page.text)
    # Newest first: the FG's own view of this page, the klantmanager's list, the case views of both parties.
    assert "Fenna Privacy" in rows[0] and "Auditlog bekeken" in rows[0]
    assert any("Karim Klant" in r and "Dossier bekeken" in r and aw.case.reference in r for r in rows)
    # The kantoor's bewindvoerder read the gemeente's case: shown by organisation and id, not by name or address.
    kantoor_row = next(r for r in rows if "Bewindvoering De Brug" in r)
    assert f"medewerker {aw.bewindvoerder.id[:8]}" in kantoor_row and aw.case.reference in kantoor_row
    assert "Bea" not in page.text
    # Another organisation's records are not there at all.
    assert aw.outsider.id[:8] not in page.text and "2026-000002" not in page.text and "Ander Kantoor" not in page.text
    for secret in (CLIENT_NAME, CLIENT_BSN):
        assert secret not in page.text

    # Gemeente Wijchen's FG sees the access to Wijchen's own case, and nothing of Nijmegen's.
    femke = await aw.hub.client_for(aw.fg_other)
    theirs = await femke.get("/auditlog")
    assert any("2026-000002" in r and "Ander Kantoor" in r for r in table_rows(theirs.text))
    assert aw.case.reference not in theirs.text and "Karim" not in theirs.text and "De Brug" not in theirs.text


async def test_filters_and_their_errors(aw: AuditWorld) -> None:
    clients = await activity(aw)
    await clients["karim"].get("/berichten")
    fenna = await aw.hub.client_for(aw.fg_gemeente)

    by_case = table_rows((await fenna.get("/auditlog?dossiernummer=000001")).text)
    assert len(by_case) == 2 and all(aw.case.reference in r and "Dossier bekeken" in r for r in by_case)
    by_user = table_rows((await fenna.get(f"/auditlog?gebruiker={aw.klantmanager.id}")).text)
    assert by_user and all("Karim Klant" in r for r in by_user)
    by_action = table_rows((await fenna.get(f"/auditlog?actie={actions.CASE_LIST}")).text)
    assert len(by_action) == 1 and "Dossierlijst bekeken" in by_action[0]
    today = utcnow().astimezone(AMSTERDAM).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert "Er zijn geen vastleggingen" in (await fenna.get(f"/auditlog?vanaf={tomorrow}")).text
    assert len(table_rows((await fenna.get(f"/auditlog?vanaf={today}&tot={today}&actie=case.view")).text)) == 2

    before = len(await aw.records())
    for query, message in (
        ("dossiernummer=000002", "Uw organisatie heeft geen dossier met dit nummer."),  # another organisation's
        ("dossiernummer=111222333", "Vul een dossiernummer in"),
        (f"gebruiker={aw.outsider.id}", "Kies een gebruiker van uw organisatie."),
        ("actie=case.steal", "Kies een handeling uit de lijst."),
        ("vanaf=31-02-2026", "Vul een geldige begindatum in"),
        (f"vanaf={tomorrow}&tot={today}", "De einddatum ligt voor de begindatum."),
    ):
        response = await fenna.get(f"/auditlog?{query}")
        assert response.status_code == 400 and message in response.text, query
        assert "<tbody>" not in response.text  # nothing shown rather than everything
        assert "111222333" not in response.text
    assert len(await aw.records()) == before  # a refused filter showed nothing and records nothing


async def test_paging(aw: AuditWorld) -> None:
    karim = await aw.hub.client_for(aw.klantmanager)
    for _ in range(55):
        assert (await karim.get(f"/dossiers/{aw.case.id}")).status_code == 200
    fenna = await aw.hub.client_for(aw.fg_gemeente)
    first = await fenna.get("/auditlog?actie=case.view")
    assert len(table_rows(first.text)) == 50 and 'rel="next"' in first.text
    second = await fenna.get("/auditlog?actie=case.view&pagina=2")
    assert len(table_rows(second.text)) == 5 and 'rel="prev"' in second.text and 'rel="next"' not in second.text


async def test_only_the_fg_reads_the_log_and_the_fg_reads_no_case(aw: AuditWorld) -> None:
    karim = await aw.hub.client_for(aw.klantmanager)
    assert (await karim.get("/auditlog")).status_code == 403
    assert (await karim.get("/auditlog/export")).status_code == 403
    assert "/auditlog" not in (await karim.get("/")).text
    fenna = await aw.hub.client_for(aw.fg_gemeente)
    start = await fenna.get("/")
    assert 'href="/auditlog"' in start.text and 'href="/dossiers"' not in start.text
    for path in (f"/dossiers/{aw.case.id}", "/dossiers", "/berichten", f"/dossiers/{aw.case.id}/inzage"):
        assert (await fenna.get(path)).status_code == 403, path


async def test_the_export_is_the_filtered_records_as_json_lines(aw: AuditWorld) -> None:
    await activity(aw)
    fenna = await aw.hub.client_for(aw.fg_gemeente)
    before = len(await aw.records())
    response = await fenna.get("/auditlog/export?dossiernummer=000001")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers["content-disposition"].startswith('attachment; filename="auditlog-')
    new = (await aw.records())[before:]
    assert [(r.action, r.user_id) for r in new] == [(actions.AUDIT_EXPORT, aw.fg_gemeente.id)]
    lines = [json.loads(line) for line in response.text.splitlines()]
    stored = {r.seq: r for r in await aw.records()}
    assert [line["action"] for line in lines] == ["case.view", "case.view"]
    assert [line["user_id"] for line in lines] == [aw.klantmanager.id, aw.bewindvoerder.id]  # oldest first
    assert all(line["hash"] == stored[line["seq"]].hash == event_hash(stored[line["seq"]]) for line in lines)
    own, other = lines
    assert own["client_address"] == "127.0.0.1" and own["user_agent"].startswith("python-httpx/")
    assert other["client_address"] is None and other["user_agent"] is None  # another organisation's user
    assert CLIENT_NAME not in response.text and CLIENT_BSN not in response.text
    # A wrong filter exports nothing.
    refused = await fenna.get("/auditlog/export?dossiernummer=000002")
    assert refused.status_code == 400 and "Uw organisatie heeft geen dossier met dit nummer." in refused.text


async def test_case_workers_see_who_of_their_own_organisation_accessed_a_case(aw: AuditWorld) -> None:
    clients = await activity(aw)
    thread = await aw.thread()
    colleague = await aw.hub.client_for(aw.collega)
    assert (await colleague.get(f"/berichten/{thread.id}")).status_code == 200
    before = len(await aw.records())
    page = await clients["karim"].get(f"/dossiers/{aw.case.id}/inzage")
    assert page.status_code == 200
    assert len(await aw.records()) == before  # the list shows colleagues, no client data: not recorded
    rows = table_rows(page.text)
    assert "Cas Collega" in rows[0] and "Gesprek bekeken" in rows[0]
    assert "Karim Klant" in rows[1] and "Dossier bekeken" in rows[1]
    assert "Bea" not in page.text and CLIENT_NAME not in page.text  # the kantoor's accesses are the kantoor's
    kantoor_view = table_rows((await clients["bea"].get(f"/dossiers/{aw.case.id}/inzage")).text)
    seen_by_kantoor = [r.split(" Bea Bewind ")[1] for r in kantoor_view]
    assert seen_by_kantoor == ["Bericht verstuurd Bericht", "Dossier bekeken Dossier"]
    case_page = await clients["karim"].get(f"/dossiers/{aw.case.id}")
    assert f'href="/dossiers/{aw.case.id}/inzage"' in case_page.text
    assert (await clients["otto"].get(f"/dossiers/{aw.case.id}/inzage")).status_code == 404
    assert (await clients["otto"].get("/dossiers/not-an-id/inzage")).status_code == 404


async def test_the_organisations_own_administrator_gives_the_fg_role(hub: HubUnderTest) -> None:
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Nijmegen")
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    admin = await hub.client_for(await hub.user(gemeente, Role.GEMEENTEBEHEERDER))
    colleague = await hub.user(gemeente, Role.KLANTMANAGER, name="Fleur Fris")
    page = await admin.get("/gebruikers")
    assert 'value="functionaris_gegevensbescherming"' in page.text and "Functionaris gegevensbescherming" in page.text
    response = await admin.post_form(
        f"/gebruikers/{colleague.id}/rollen", {"roles": ["functionaris_gegevensbescherming"]}
    )
    assert response.status_code == 303
    assert (await hub.reload(colleague)).role_set == {Role.FG}
    fleur = await hub.client_for(await hub.reload(colleague))
    assert (await fleur.get("/auditlog")).status_code == 200
    assert (await fleur.get("/dossiers")).status_code == 403  # the role gives no case access
    # The operator gives no case-organisation role, this one included.
    operator = await hub.client_for(await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER))
    refused = await operator.post_form(f"/gebruikers/{colleague.id}/rollen", {"roles": ["klantmanager"]})
    assert refused.status_code == 403
