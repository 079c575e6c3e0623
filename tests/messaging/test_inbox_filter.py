"""The inbox's dossiernummer filter takes only what the case list's one rule calls a dossiernummer; anything else
(a BSN, a name, markup typed by mistake) gets a Dutch message and is not shown again: not in the box, not in the tab
or page links."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from hub.messaging.views.common import AMBIGUOUS_REFERENCE, UNKNOWN_REFERENCE
from hub.messaging.views.inbox import NOT_A_REFERENCE
from tests.messaging.world import World, insert_case


@pytest.mark.parametrize(
    "typed",
    ["123456782", "Jansen", "Jan de Vries", "2026-000077 of Jansen", "<b>x</b>", "2026-1234567", "dossier 77"],
)
async def test_text_that_is_no_dossiernummer_is_refused_and_not_echoed(world_sqlite: World, typed: str) -> None:
    world = world_sqlite
    await world.call("start_thread", world.bewindvoerder, case=world.case, subject="Over het dossier", body="V")
    karim = await world.hub.client_for(world.klantmanager)
    page = await karim.get(f"/berichten?tab=alle&dossiernummer={quote(typed)}")
    assert page.status_code == 200
    assert NOT_A_REFERENCE in page.text
    assert 'aria-invalid="true"' in page.text and 'href="#filter-dossiernummer"' in page.text
    assert "Over het dossier" not in page.text  # no threads rather than every thread
    for shown in (typed, quote(typed), quote(typed).replace("%20", "+"), typed.replace(" ", "+")):
        assert shown not in page.text, shown
    assert "&lt;b&gt;" not in page.text
    assert 'id="filter-dossiernummer" name="dossiernummer" type="text" value=""' in page.text
    # The tab links carry no filter of it.
    assert "/berichten?tab=te_beantwoorden&amp;" not in page.text
    assert 'href="/berichten?tab=te_beantwoorden"' in page.text


async def test_a_dossiernummer_still_filters(world_sqlite: World) -> None:
    world = world_sqlite
    other = await insert_case(world.hub, world.convenant, world.bewindvoerder, "2026-000077")
    await world.call("start_thread", world.bewindvoerder, case=world.case, subject="Over het eerste", body="V")
    await world.call("start_thread", world.bewindvoerder, case=other, subject="Over het tweede", body="V")
    karim = await world.hub.client_for(world.klantmanager)
    page = await karim.get("/berichten?tab=alle&dossiernummer=2026-000077")
    assert NOT_A_REFERENCE not in page.text
    assert "Over het tweede" in page.text and "Over het eerste" not in page.text
    # Digits and a hyphen that name no case of this organisation: the number may stay in the box.
    page = await karim.get("/berichten?tab=alle&dossiernummer=2026-999999")
    assert "Uw organisatie heeft geen dossier met dit nummer." in page.text
    assert 'value="2026-999999"' in page.text


async def test_the_last_digits_of_a_dossiernummer_filter_as_on_the_case_list(world: World) -> None:
    """The inbox takes what the case list takes (one rule, hub.cases.records): a whole number, or its last digits.
    Digits that fit several of the organisation's cases ask for the whole number; another organisation's cases are
    never counted, so the answer says nothing about them."""
    world_case = await insert_case(world.hub, world.convenant, world.bewindvoerder, "2026-615803")
    twin = await insert_case(world.hub, world.convenant, world.bewindvoerder, "2025-113803")
    elsewhere = await insert_case(world.hub, world.other_convenant, world.outsider, "2026-771234")
    await world.call("start_thread", world.bewindvoerder, case=world_case, subject="Over het eerste", body="V")
    await world.call("start_thread", world.bewindvoerder, case=twin, subject="Over het tweede", body="V")
    karim = await world.hub.client_for(world.klantmanager)

    page = await karim.get("/berichten?tab=alle&dossiernummer=615803")
    assert NOT_A_REFERENCE not in page.text and UNKNOWN_REFERENCE not in page.text
    assert "Over het eerste" in page.text and "Over het tweede" not in page.text
    assert f"dossier={world_case.id}" in page.text  # the tab links carry the resolved case, not the digits
    cases = await karim.get("/dossiers?referentie=615803")  # the case list finds the same case
    assert "2026-615803" in cases.text and "2025-113803" not in cases.text

    page = await karim.get("/berichten?tab=alle&dossiernummer=803")  # fits both of this gemeente's cases
    assert AMBIGUOUS_REFERENCE in page.text
    assert "Over het eerste" not in page.text and "Over het tweede" not in page.text
    page = await karim.get("/berichten?tab=alle&dossiernummer=1234")  # only another gemeente's case fits
    assert UNKNOWN_REFERENCE in page.text and elsewhere.reference not in page.text

    # A new question about a case named by its last digits.
    bea = await world.hub.client_for(world.bewindvoerder)
    form = {"soort": "casuistiek", "dossiernummer": "615803", "subject": "Stukken", "body": "Vraag"}
    response = await bea.post_form("/berichten/nieuw", form)
    assert response.status_code == 303
    response = await bea.post_form("/berichten/nieuw", {**form, "dossiernummer": "803"})
    assert response.status_code == 400 and AMBIGUOUS_REFERENCE in response.text
