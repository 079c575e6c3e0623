"""The inbox, thread, new-question and closing-day pages, through the app."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from hub.db import utcnow
from hub.errors import NotFound
from hub.messaging.models import MessageKind, Thread
from hub.terms import AMSTERDAM, describe_due, werkdag_on_or_after
from hub.web.templating import datum
from tests.messaging.world import World, insert_case, insert_document
from tests.support.hubclient import HubClient
from tests.support.sqlite import sqlite_checkpoint

THREAD_URL = re.compile(r"^/berichten/([0-9a-f]{32})\?gelukt=gestart$")


async def _start_via_page(client: HubClient, world: World, subject: str, body: str) -> str:
    page = await client.get(f"/berichten/nieuw?dossier={world.case.id}")
    assert page.status_code == 200
    assert "2026-000001" in page.text
    response = await client.post_form(
        "/berichten/nieuw", {"case_id": world.case.id, "subject": subject, "body": body, "soort": "casuistiek"}
    )
    assert response.status_code == 303, response.text
    match = THREAD_URL.match(response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


async def test_ask_answer_and_read_receipt(world: World) -> None:
    bea = await world.hub.client_for(world.bewindvoerder)
    karim = await world.hub.client_for(world.klantmanager)
    start = await bea.get("/")
    assert 'href="/berichten"' in start.text

    thread_id = await _start_via_page(bea, world, "Stand van de aanvraag", "Wat is de stand?\nGraag snel antwoord.")
    page = await bea.get(f"/berichten/{thread_id}?gelukt=gestart")
    assert "Uw vraag is verstuurd." in page.text
    assert "Wat is de stand?\nGraag snel antwoord." in page.text
    assert "nog niet gelezen" in page.text
    assert "Reactie casuïstiek (2 werkdagen)" in page.text

    inbox = await karim.get("/berichten")
    assert inbox.status_code == 200
    assert "Stand van de aanvraag" in inbox.text
    assert 'Te beantwoorden <span class="count">(1)</span>' in inbox.text
    assert '<span class="tag neutral">Nieuw</span>' in inbox.text
    async with world.service() as svc:
        thread = await svc.get_thread(world.klantmanager, thread_id)
        assert thread.current_due_at is not None
        words = describe_due(thread.current_due_at, utcnow(), svc.calendars.base)
    assert f'<span class="due-words">{words}</span>' in inbox.text

    page = await karim.get(f"/berichten/{thread_id}")
    assert page.status_code == 200
    assert "Uw organisatie is een reactie verschuldigd" in page.text
    # The receiving side sees when the question reached it, and its own first reading (by whom: its own colleague).
    assert re.search(r"Ontvangen op \d+ \w+ \d{4} \d\d:\d\d\.", page.text)
    assert "Voor het eerst geopend op" in page.text and "door Karim Klant." in page.text
    assert "Gelezen door" not in page.text  # a receipt of its own reading is not the sender's read receipt
    inbox = await karim.get("/berichten")
    assert "Nieuw</span>" not in inbox.text

    response = await karim.post_form(
        f"/berichten/{thread_id}/reageren", {"body": "De aanvraag is toegekend.", "kind": "inhoudelijke_reactie"}
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/berichten/{thread_id}?gelukt=verstuurd#bericht-")
    page = await karim.get(f"/berichten/{thread_id}")
    assert "Binnen termijn" in page.text
    assert "Inhoudelijke reactie" in page.text
    assert "Afgeleverd bij Bewindvoering De Brug op" in page.text and "nog niet gelezen" in page.text

    page = await bea.get(f"/berichten/{thread_id}")
    assert re.search(r"Gelezen door Gemeente Nijmegen op \d+ \w+ \d{4} \d\d:\d\d\.", page.text)
    assert "De aanvraag is toegekend." in page.text
    assert "Ontvangen op" in page.text  # the answer, on the kantoor's side
    assert "Karim Klant." not in page.text.split("Gelezen door")[1][:80]  # the sender sees the organisation only
    page = await karim.get(f"/berichten/{thread_id}")
    assert "Gelezen door Bewindvoering De Brug op" in page.text and "nog niet gelezen" not in page.text
    inbox = await karim.get("/berichten")
    assert "Er wachten geen gesprekken op een reactie van uw organisatie." in inbox.text
    alle = await karim.get("/berichten?tab=alle")
    assert "Stand van de aanvraag" in alle.text


async def test_another_organisation_gets_404(world: World) -> None:
    async with world.service() as svc:
        thread = await svc.start_thread(world.bewindvoerder, case=world.case, subject="Geheim", body="Vertrouwelijk")
    document = await insert_document(world.hub, world.case, world.bewindvoerder, "geheim-jansen.pdf")
    await world.call("post_message", world.bewindvoerder, thread.id, "Zie bijlage", attachment_ids=[document.id])
    # The parties see the attachment link in the thread.
    karim = await world.hub.client_for(world.klantmanager)
    attachment_url = f"/documenten/{document.id}/downloaden"
    assert f'href="{attachment_url}"' in (await karim.get(f"/berichten/{thread.id}")).text
    for outsider in (world.outsider, world.outsider_gemeente):
        client = await world.hub.client_for(outsider)
        assert (await client.get(f"/berichten/{thread.id}")).status_code == 404
        # The attachment of a thread another organisation opened does not exist for them either.
        response = await client.get(attachment_url)
        assert response.status_code == 404
        assert "geheim-jansen" not in response.text
        for action, data in (
            ("reageren", {"body": "Hallo", "kind": "bericht"}),
            ("toewijzen", {"assignee_id": ""}),
            ("afronden", {}),
        ):
            response = await client.post_form(f"/berichten/{thread.id}/{action}", data)
            assert response.status_code == 404, action
            assert "Vertrouwelijk" not in response.text and "Geheim" not in response.text
        assert (await client.get(f"/berichten/nieuw?dossier={world.case.id}")).status_code == 404
        response = await client.post_form(
            "/berichten/nieuw", {"case_id": world.case.id, "subject": "x", "body": "y", "soort": "casuistiek"}
        )
        assert response.status_code == 404
        response = await client.post_form(
            "/berichten/nieuw",
            {"dossiernummer": world.case.reference, "subject": "x", "body": "y", "soort": "casuistiek"},
        )
        assert response.status_code == 400
        assert "Uw organisatie heeft geen dossier met dit nummer." in response.text
        assert (await client.get(f"/berichten?dossier={world.case.id}")).status_code == 404
        for tab in ("te_beantwoorden", "wacht_op_ander", "alle"):
            assert "Geheim" not in (await client.get(f"/berichten?tab={tab}")).text
        for method in ("messages", "clocks", "thread_view", "mark_read", "attachable_documents"):
            with pytest.raises(NotFound):
                await world.call(method, outsider, thread.id)
    async with world.service() as svc:
        assert len(await svc.messages(world.klantmanager, thread.id)) == 2


async def test_message_html_is_escaped_and_line_breaks_kept(world: World) -> None:
    karim = await world.hub.client_for(world.klantmanager)
    bea = await world.hub.client_for(world.bewindvoerder)
    thread_id = await _start_via_page(bea, world, "<b>Onderwerp</b>", "Regel 1\n<script>alert('x')</script>\nRegel 3")
    page = await karim.get(f"/berichten/{thread_id}")
    assert "<script>alert" not in page.text and "<b>Onderwerp</b>" not in page.text
    assert "&lt;b&gt;Onderwerp&lt;/b&gt;" in page.text
    assert (
        '<div class="message-body">Regel 1\n&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\nRegel 3</div>' in page.text
    )
    inbox = await karim.get("/berichten")
    assert "&lt;b&gt;Onderwerp&lt;/b&gt;" in inbox.text and "<b>Onderwerp" not in inbox.text


async def test_message_text_is_not_stored_in_plain_text(world_sqlite: World) -> None:
    world = world_sqlite
    subject, body = "Onderwerp-ZX81-markering", "Bericht-QW77-inhoud met een BSN 111222333 erin"
    async with world.service() as svc:
        thread = await svc.start_thread(world.bewindvoerder, case=world.case, subject=subject, body=body)
        await svc.post_message(world.klantmanager, thread, "Antwoord-PL44-tekst", kind=MessageKind.INHOUDELIJKE_REACTIE)
    await sqlite_checkpoint(world.hub.runtime.engine)  # outside a transaction, as SQLite requires
    url = world.hub.settings.database_url
    path = url.split("///", 1)[1]
    data = Path(path).read_bytes()  # noqa: ASYNC240  (a test reading its own database file)
    assert b"2026-000001" in data  # the file is the right one: the case reference is plain
    for secret in (subject, body, "Antwoord-PL44-tekst", "ZX81", "QW77", "PL44"):
        assert secret.encode() not in data
        assert secret.encode("utf-16-le") not in data


async def test_inbox_sorting_and_words(world: World) -> None:
    now = utcnow()
    today = now.astimezone(AMSTERDAM).date()
    # Four questions from the kantoor at different moments: due long ago, due today or soon, and not yet due.
    asked = {
        "Zes werkdagen geleden": now - timedelta(days=9),
        "Vandaag gevraagd": now - timedelta(minutes=5),
        "Drie dagen geleden": now - timedelta(days=3),
    }
    ids: dict[str, str] = {}
    for subject, moment in asked.items():
        thread: Thread = await world.call(
            "start_thread", world.bewindvoerder, case=world.case, subject=subject, body="Vraag", now=moment
        )
        ids[subject] = thread.id
    async with world.service() as svc:
        page = await svc.inbox(world.klantmanager, tab="te_beantwoorden", now=now)
        calendar = svc.calendars.base
    dues = [r.due_at for r in page.rows]
    assert all(d is not None for d in dues)
    assert dues == sorted(dues)  # type: ignore[type-var]
    assert page.rows[0].subject == "Zes werkdagen geleden"
    for row in page.rows:
        assert row.due_at is not None
        assert row.due_words == describe_due(row.due_at, now, calendar)
        assert row.overdue == (row.due_at < now)
        assert row.unread is True
        assert row.case_reference == "2026-000001"
        assert row.partner_name == "Bewindvoering De Brug"
    first = page.rows[0]
    assert first.overdue
    assert first.due_words.endswith("te laat") or first.due_words.startswith("verlopen op")
    newest = next(r for r in page.rows if r.subject == "Vandaag gevraagd")
    assert not newest.overdue
    assert werkdag_on_or_after(today) <= newest.due_at.astimezone(AMSTERDAM).date()  # type: ignore[union-attr]
    assert page.counts["te_beantwoorden"] == 3 and page.counts["te_laat"] >= 1

    karim = await world.hub.client_for(world.klantmanager)
    html = (await karim.get("/berichten")).text
    positions = [html.index(s) for s in ("Zes werkdagen geleden", "Drie dagen geleden", "Vandaag gevraagd")]
    assert positions == sorted(positions)
    assert '<span class="tag late">Termijn verstreken</span>' in html

    bea = await world.hub.client_for(world.bewindvoerder)
    waiting = (await bea.get("/berichten?tab=wacht_op_ander")).text
    assert all(s in waiting for s in asked)
    assert "Er wachten geen gesprekken" in (await bea.get("/berichten")).text
    filtered = (await karim.get("/berichten?tab=alle&soort=algemeen")).text
    assert "Er zijn geen gesprekken." in filtered


async def test_assign_to_a_colleague_and_filter(world: World) -> None:
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="Toewijzing",
                                      body="Vraag")  # fmt: skip
    karim = await world.hub.client_for(world.klantmanager)
    response = await karim.post_form(f"/berichten/{thread.id}/toewijzen", {"assignee_id": world.collega.id})
    assert response.status_code == 303
    page = await karim.get(f"/berichten/{thread.id}?gelukt=toegewezen")
    assert "De toewijzing is opgeslagen." in page.text
    assert "Cas Collega" in page.text
    cas = await world.hub.client_for(world.collega)
    assert "Toewijzing" in (await cas.get("/berichten?toegewezen=mij")).text
    assert "Toewijzing" not in (await karim.get("/berichten?toegewezen=mij")).text
    assert "Toewijzing" in (await karim.get(f"/berichten?toegewezen={world.collega.id}")).text
    assert "Toewijzing" not in (await karim.get("/berichten?toegewezen=niemand")).text

    response = await karim.post_form(f"/berichten/{thread.id}/toewijzen", {"assignee_id": world.bewindvoerder.id})
    assert response.status_code == 400
    assert "Kies een collega van uw eigen organisatie." in response.text
    # The bewindvoerder's own side is assigned to her, as the one who asked.
    bea = await world.hub.client_for(world.bewindvoerder)
    assert "Toewijzing" in (await bea.get("/berichten?tab=wacht_op_ander&toegewezen=mij")).text


async def test_reply_validation_and_procesafspraak(world: World) -> None:
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="Afspraak",
                                      body="Vraag")  # fmt: skip
    karim = await world.hub.client_for(world.klantmanager)
    response = await karim.post_form(f"/berichten/{thread.id}/reageren", {"body": "", "kind": "procesafspraak"})
    assert response.status_code == 400
    assert "Schrijf een bericht." in response.text
    assert "Vul de datum in waarop het antwoord uiterlijk komt." in response.text
    agreed = (utcnow().astimezone(AMSTERDAM) + timedelta(days=10)).date()
    response = await karim.post_form(
        f"/berichten/{thread.id}/reageren",
        {"body": "Antwoord volgt.", "kind": "procesafspraak", "agreed_date": agreed.isoformat()},
    )
    assert response.status_code == 303
    page = await karim.get(f"/berichten/{thread.id}")
    assert "Verschoven door een procesafspraak" in page.text
    # The agreed date in Dutch words (month by name: a day and month swapped would not pass).
    assert f"<strong>Afgesproken datum:</strong> {datum(agreed)}</p>" in page.text
    # Closing is refused while a term runs.
    response = await karim.post_form(f"/berichten/{thread.id}/afronden")
    assert response.status_code == 400
    assert "Er loopt nog een reactietermijn." in response.text
    await karim.post_form(f"/berichten/{thread.id}/reageren", {"body": "Klaar.", "kind": "inhoudelijke_reactie"})
    response = await karim.post_form(f"/berichten/{thread.id}/afronden")
    assert response.status_code == 303
    assert "afgerond" in (await karim.get("/berichten?tab=alle&status=afgerond")).text.lower()


async def test_attachments_only_from_the_same_case(world: World) -> None:
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="Bijlage",
                                      body="Vraag")  # fmt: skip
    own = await insert_document(world.hub, world.case, world.bewindvoerder, "beschikking-<jan>.pdf")
    other_case = await insert_case(world.hub, world.convenant, world.bewindvoerder, "2026-000002")
    other = await insert_document(world.hub, other_case, world.bewindvoerder, "ander.pdf")
    bea = await world.hub.client_for(world.bewindvoerder)
    page = await bea.get(f"/berichten/{thread.id}")
    assert "beschikking-&lt;jan&gt;.pdf" in page.text and "ander.pdf" not in page.text
    response = await bea.post_form(
        f"/berichten/{thread.id}/reageren", {"body": "Zie bijlage", "kind": "bericht", "attachments": [other.id]}
    )
    assert response.status_code == 400
    assert "Kies alleen documenten uit het dossier van dit gesprek." in response.text
    response = await bea.post_form(
        f"/berichten/{thread.id}/reageren", {"body": "Zie bijlage", "kind": "bericht", "attachments": [own.id]}
    )
    assert response.status_code == 303
    karim = await world.hub.client_for(world.klantmanager)
    page = await karim.get(f"/berichten/{thread.id}")
    assert f'href="/documenten/{own.id}/downloaden"' in page.text


async def test_new_question_form_errors_and_general_question(world: World) -> None:
    bea = await world.hub.client_for(world.bewindvoerder)
    page = await bea.get("/berichten/nieuw")
    assert "Gemeente Nijmegen" in page.text and "Gemeente Wijchen" not in page.text
    response = await bea.post_form("/berichten/nieuw", {"soort": "", "subject": "", "body": ""})
    assert response.status_code == 400
    for message in ("Kies of uw vraag over een dossier gaat", "Vul een onderwerp in.", "Schrijf een bericht."):
        assert message in response.text
    response = await bea.post_form(
        "/berichten/nieuw", {"soort": "casuistiek", "dossiernummer": "2026-999999", "subject": "x", "body": "y"}
    )
    assert "Uw organisatie heeft geen dossier met dit nummer." in response.text
    response = await bea.post_form(
        "/berichten/nieuw", {"soort": "algemeen", "convenant_id": world.other_convenant.id, "subject": "x", "body": "y"}
    )
    assert response.status_code == 400
    assert "Kies het convenant waarover uw vraag gaat." in response.text
    response = await bea.post_form(
        "/berichten/nieuw",
        {"soort": "algemeen", "convenant_id": world.convenant.id, "subject": "Declaraties", "body": "Hoe werkt dit?"},
    )
    assert response.status_code == 303
    thread_id = response.headers["location"].split("/")[2].split("?")[0]
    page = await bea.get(f"/berichten/{thread_id}")
    assert "Algemene vraag" in page.text
    assert "Eerste reactie (2 werkdagen)" in page.text and "Inhoudelijke reactie (2 weken)" in page.text
    response = await bea.post_form(
        "/berichten/nieuw",
        {"soort": "casuistiek", "dossiernummer": "2026-000001", "subject": "Via nummer", "body": "y"},
    )
    assert response.status_code == 303


async def test_inbox_filter_by_case_number(world: World) -> None:
    other_case = await insert_case(world.hub, world.convenant, world.bewindvoerder, "2026-000077")
    await world.call("start_thread", world.bewindvoerder, case=world.case, subject="Over het eerste dossier", body="V")
    await world.call("start_thread", world.bewindvoerder, case=other_case, subject="Over het tweede dossier", body="V")
    karim = await world.hub.client_for(world.klantmanager)
    page = await karim.get("/berichten?tab=alle")
    assert '<label for="filter-dossiernummer">Dossiernummer</label>' in page.text
    assert 'name="dossiernummer"' in page.text

    page = await karim.get("/berichten?tab=alle&dossiernummer=+2026-000077+")
    assert page.status_code == 200
    assert "Over het tweede dossier" in page.text and "Over het eerste dossier" not in page.text
    assert "U ziet alleen gesprekken over dossier <strong>2026-000077</strong>" in page.text
    assert 'value="2026-000077"' in page.text  # the number stays in the box
    # The tabs keep the filter, by the case's opaque id.
    assert f"/berichten?tab=te_beantwoorden&amp;dossier={other_case.id}" in page.text
    page = await karim.get(f"/berichten?tab=te_beantwoorden&dossier={other_case.id}")
    assert "Over het tweede dossier" in page.text and "Over het eerste dossier" not in page.text

    # An unknown number, or another organisation's: a Dutch message at the field, no threads, no error page.
    for client, number in ((karim, "2026-999999"), (await world.hub.client_for(world.outsider), "2026-000077")):
        page = await client.get(f"/berichten?tab=alle&dossiernummer={number}")
        assert page.status_code == 200
        assert "Uw organisatie heeft geen dossier met dit nummer." in page.text
        assert 'aria-invalid="true"' in page.text and 'href="#filter-dossiernummer"' in page.text
        assert "Over het" not in page.text
        assert "Er zijn geen gesprekken." in page.text
    # An empty box is no filter.
    page = await karim.get("/berichten?tab=alle&dossiernummer=")
    assert "Over het tweede dossier" in page.text and "Over het eerste dossier" in page.text


async def test_reply_form_offers_a_message_without_a_question(world: World) -> None:
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="Vraag",
                                      body="Vraag")  # fmt: skip
    karim = await world.hub.client_for(world.klantmanager)
    await karim.post_form(f"/berichten/{thread.id}/reageren", {"body": "Antwoord", "kind": "inhoudelijke_reactie"})
    bea = await world.hub.client_for(world.bewindvoerder)
    page = (await bea.get(f"/berichten/{thread.id}")).text
    form = page[page.index('<fieldset id="kind"') :]
    form = form[: form.index("</fieldset>")]
    assert "<legend>Soort reactie</legend>" in form
    assert 'type="radio" id="kind-geen_reactie_nodig" name="kind" value="geen_reactie_nodig"' in form
    assert '<label for="kind-geen_reactie_nodig">Bericht zonder vraag (geen reactie nodig)</label>' in form
    assert "Er start geen reactietermijn" in form
    response = await bea.post_form(
        f"/berichten/{thread.id}/reageren", {"body": "Dank u wel!", "kind": "geen_reactie_nodig"}
    )
    assert response.status_code == 303
    page = (await bea.get(f"/berichten/{thread.id}")).text
    assert '<span class="tag neutral">Bericht zonder vraag</span>' in page
    assert "In dit gesprek loopt geen reactietermijn." not in page  # the stopped term is still listed
    assert "Loopt:" not in page
    assert "Er wachten geen gesprekken op een reactie van uw organisatie." in (await karim.get("/berichten")).text
    assert (
        "Er zijn geen gesprekken waarin u op een reactie wacht."
        in (await bea.get("/berichten?tab=wacht_op_ander")).text
    )
