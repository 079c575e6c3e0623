"""A case question marked "Gaat over bijzondere bijstand" on the new-question page: stored on the thread, shown as a
tag on the thread page and in the inbox row, and its notice reaches the gemeente's consulenten bijzondere bijstand,
who can open it. A general question cannot be marked (a clear message, nothing stored)."""

from __future__ import annotations

from sqlalchemy import select

from hub.accounts.roles import Role
from hub.cases.models import Case
from hub.messaging.models import Thread
from hub.notifications.models import OutboxMail
from tests.messaging.world import World

TAG = '<span class="tag neutral">Bijzondere bijstand</span>'


async def test_a_case_question_about_bijzondere_bijstand(world: World) -> None:
    consulent = await world.hub.user(world.gemeente, Role.CONSULENT, email="cor@nijmegen.example.nl")
    async with world.hub.db() as db:
        case = await db.get(Case, world.case.id)
        assert case is not None
        case.gemeente_contact_id = world.klantmanager.id  # a klantmanager handles the case
        db.add(case)
    bea = await world.hub.client_for(world.bewindvoerder)
    form = await bea.get(f"/berichten/nieuw?dossier={world.case.id}")
    assert 'type="checkbox" id="bijzondere_bijstand" name="bijzondere_bijstand" value="ja"' in form.text
    assert '<label for="bijzondere_bijstand">Gaat over bijzondere bijstand</label>' in form.text

    response = await bea.post_form(
        "/berichten/nieuw",
        {"case_id": world.case.id, "soort": "casuistiek", "bijzondere_bijstand": "ja", "subject": "Aanvraag BB",
         "body": "De aanvraag met bewijsstukken staat in het dossier."},
    )  # fmt: skip
    assert response.status_code == 303, response.text
    thread_id = response.headers["location"].split("/")[2].split("?")[0]
    response = await bea.post_form(
        "/berichten/nieuw", {"case_id": world.case.id, "soort": "casuistiek", "subject": "Beslag", "body": "Vraag"}
    )
    assert response.status_code == 303
    async with world.hub.db() as db:
        marked = {t.id: t.bijzondere_bijstand for t in (await db.execute(select(Thread))).scalars()}
        told = sorted(
            (await db.execute(select(OutboxMail.recipient_address, OutboxMail.link_path))).all(), key=lambda r: r[0]
        )
    assert marked[thread_id] is True and sorted(marked.values()) == [False, True]
    assert [a for a, link in told if link == f"/berichten/{thread_id}"] == [
        "cor@nijmegen.example.nl",
        "karim@nijmegen.example.nl",
    ]
    assert [a for a, link in told if link != f"/berichten/{thread_id}"] == ["karim@nijmegen.example.nl"]

    page = await bea.get(f"/berichten/{thread_id}")
    assert TAG in page.text
    cor = await world.hub.client_for(consulent)
    inbox = await cor.get("/berichten")
    assert inbox.status_code == 200 and inbox.text.count(TAG) == 1
    page = await cor.get(f"/berichten/{thread_id}")
    assert page.status_code == 200 and TAG in page.text and "Aanvraag BB" in page.text


async def test_a_general_question_cannot_be_about_bijzondere_bijstand(world: World) -> None:
    bea = await world.hub.client_for(world.bewindvoerder)
    form = await bea.get("/berichten/nieuw")
    assert "Alleen bij een vraag over een dossier." in form.text
    response = await bea.post_form(
        "/berichten/nieuw",
        {"soort": "algemeen", "convenant_id": world.convenant.id, "bijzondere_bijstand": "ja", "subject": "Beleid",
         "body": "Hoe gaat u om met aanvragen?"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Bijzondere bijstand gaat altijd over een dossier: kies een dossier." in response.text
    assert 'id="bijzondere_bijstand" name="bijzondere_bijstand" value="ja" checked' in response.text
    assert 'aria-invalid="true"' in response.text
    async with world.hub.db() as db:
        assert (await db.execute(select(Thread))).first() is None
