"""One running case per BSN and convenant, on SQLite and PostgreSQL: refused on the same convenant (with the existing
case), confirmed on another convenant of the same gemeente and kantoor, silent about another kantoor's case, ended
cases not counted; the unique index holds against simultaneous openings."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from hub.accounts.models import Convenant
from hub.cases import duplicates
from hub.cases.duplicates import DuplicateCase
from hub.cases.models import Case
from hub.db import new_id
from tests.cases.world import BSN_1, BSN_2, World

SAME = "Er is al een dossier voor dit BSN bij deze gemeente: {reference}."


async def count_cases(world: World) -> int:
    async with world.hub.db() as db:
        return int((await db.execute(select(func.count()).select_from(Case))).scalar_one())


async def second_convenant(world: World) -> Convenant:
    """Kantoor Xander's second convenant with Gemeente Arnhem (a new one, from 2026)."""
    from hub.accounts.services import ConvenantService

    async with world.hub.db() as db:
        return await ConvenantService(db).create(world.arnhem.id, world.xander.id, date(2026, 1, 1))


async def test_same_convenant_is_refused_with_the_existing_case(world: World) -> None:
    first = await world.open_case()
    with pytest.raises(DuplicateCase) as caught:
        await world.open_case(world.kb_x, client_name="Johanna de Vries-Bakker", bsn="1234.56.782")
    refused = caught.value
    assert refused.errors == {"bsn": SAME.format(reference=first.reference)}
    assert (refused.existing_id, refused.reference, refused.confirmable) == (first.id, first.reference, False)
    # Confirming does not help on the same convenant.
    with pytest.raises(DuplicateCase):
        await world.open_case(confirm_duplicate=True)
    assert await count_cases(world) == 1
    # Other problems of the form are reported with it, in the form's order.
    with pytest.raises(DuplicateCase) as caught:
        await world.open_case(client_name="", rechtbank="Rechtbank Utrecht")
    assert list(caught.value.errors) == ["client_name", "bsn", "rechtbank"]


async def test_an_ended_case_does_not_block_a_new_one(world: World) -> None:
    first = await world.open_case()
    async with world.hub.db() as db:
        await db.execute(update(Case).where(Case.id == first.id).values(status="beeindigd"))
    second = await world.open_case()
    assert second.id != first.id and second.bsn_index == first.bsn_index
    # The new one blocks in its turn.
    with pytest.raises(DuplicateCase) as caught:
        await world.open_case()
    assert caught.value.existing_id == second.id


async def test_another_convenant_of_the_same_gemeente_and_kantoor_asks_to_confirm(world: World) -> None:
    first = await world.open_case()
    newer = await second_convenant(world)
    with pytest.raises(DuplicateCase) as caught:
        await world.open_case(convenant_id=newer.id)
    warning = caught.value
    assert warning.confirmable and warning.existing_id == first.id
    assert list(warning.errors) == ["confirm_duplicate"]
    assert first.reference in warning.errors["confirm_duplicate"]
    assert "ander convenant" in warning.errors["confirm_duplicate"]
    assert await count_cases(world) == 1
    second = await world.open_case(convenant_id=newer.id, confirm_duplicate=True)
    assert second.convenant_id == newer.id
    # Another gemeente is another matter: no warning at all.
    third = await world.open_case(convenant_id=world.berkel_xander.id)
    assert third.gemeente_id == world.berkel.id


async def test_another_kantoors_case_is_never_mentioned(world: World) -> None:
    theirs = await world.open_case(world.bv_y, convenant_id=world.arnhem_ypsilon.id)
    # Kantoor Xander opens its own case for the same client in the same gemeente: no warning, no word of Ypsilon's.
    mine = await world.open_case()
    assert mine.gemeente_id == theirs.gemeente_id and mine.bsn_index == theirs.bsn_index
    # The gemeente, party to both, finds both by BSN.
    async with world.hub.db() as db:
        from hub.cases.services import CaseService

        found = {c.id for c in await CaseService(db, world.hub.runtime.keyring).find_by_bsn(world.km_arnhem, BSN_1)}
    assert found == {mine.id, theirs.id}


async def test_the_database_refuses_a_second_running_case(world: World) -> None:
    """The partial unique index alone (a row written past the service): one running case per BSN and convenant."""
    first = await world.open_case()

    def copy(**changes: Any) -> Case:
        values = {k: getattr(first, k) for k in Case.model_fields if k not in ("id", "reference")}
        return Case(id=new_id(), reference=f"X-{new_id()[:8]}", **{**values, **changes})

    with pytest.raises(IntegrityError):
        async with world.hub.db() as db:
            db.add(copy())
    async with world.hub.db() as db:
        db.add(copy(status="beeindigd"))  # an ended case is outside the index
        db.add(copy(convenant_id=world.berkel_xander.id, gemeente_id=world.berkel.id))
    assert await count_cases(world) == 3


async def test_simultaneous_openings_for_one_bsn_do_not_both_succeed(world: World) -> None:
    """Two sessions at once, on SQLite and PostgreSQL: exactly one case, the other refused naming it."""
    outcomes = await asyncio.gather(
        world.open_case(client_name="Eerste Sessie"),
        world.open_case(world.bv_x2, client_name="Tweede Sessie"),
        return_exceptions=True,
    )
    made = [o for o in outcomes if isinstance(o, Case)]
    refused = [o for o in outcomes if isinstance(o, DuplicateCase)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert refused[0].existing_id == made[0].id
    assert await count_cases(world) == 1


async def test_an_opening_that_raced_past_the_check_is_refused_by_the_index(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if another session committed its case between our check and our insert: the unique index refuses ours,
    and the user is told about the existing case, not shown a server error; the transaction is rolled back."""
    first = await world.open_case()
    original = duplicates.find_duplicate
    calls: list[bool] = []

    async def blind_first(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["confirmed"])
        return None if len(calls) == 1 else await original(*args, **kwargs)

    monkeypatch.setattr("hub.cases.opening.find_duplicate", blind_first)
    with pytest.raises(DuplicateCase) as caught:
        await world.open_case(client_name="Te Laat")
    assert caught.value.existing_id == first.id and not caught.value.confirmable
    assert caught.value.errors == {"bsn": SAME.format(reference=first.reference)}
    assert len(calls) == 2
    assert await count_cases(world) == 1


# -- the form ----------------------------------------------------------------------------------------------------


def form(world: World, **changes: str) -> dict[str, str]:
    values = {
        "convenant_id": world.arnhem_xander.id,
        "client_name": "Hendrika Mulder-Smit",
        "bsn": BSN_2,
        "birth_date": "1959-11-02",
        "beschikking_date": "2025-09-15",
        "bewind_start_date": "2025-09-15",
        "bewind_kind": "beide",
        "rechtbank": "Rechtbank Gelderland",
        "bewindvoerder_id": world.bv_x.id,
    }
    values.update(changes)
    return values


async def test_the_form_links_the_existing_case(world: World) -> None:
    first = await world.open_case(bsn=BSN_2)
    client = await world.hub.client_for(world.bv_x)
    response = await client.post_form("/dossiers/nieuw", form(world))
    assert response.status_code == 400
    assert SAME.format(reference=first.reference) in response.text
    assert f'href="/dossiers/{first.id}">dossier {first.reference}</a>' in response.text
    assert 'name="confirm_duplicate"' not in response.text  # nothing to confirm on the same convenant
    assert 'value="Hendrika Mulder-Smit"' in response.text
    assert await count_cases(world) == 1


async def test_the_form_asks_to_confirm_under_another_convenant(world: World) -> None:
    first = await world.open_case(bsn=BSN_2)
    newer = await second_convenant(world)
    client = await world.hub.client_for(world.bv_x)
    response = await client.post_form("/dossiers/nieuw", form(world, convenant_id=newer.id))
    assert response.status_code == 400
    assert "onder een ander convenant" in response.text
    assert f'href="/dossiers/{first.id}">dossier {first.reference}</a>' in response.text
    assert 'type="checkbox" id="confirm_duplicate" name="confirm_duplicate" value="ja"' in response.text
    assert "Ik weet dat er al een dossier is; toch openen" in response.text
    assert 'href="#confirm_duplicate"' in response.text  # the error summary leads to the box
    assert await count_cases(world) == 1
    response = await client.post_form("/dossiers/nieuw", form(world, convenant_id=newer.id, confirm_duplicate="ja"))
    assert response.status_code == 303, response.text
    assert await count_cases(world) == 2


async def test_the_form_says_nothing_of_another_kantoors_case(world: World) -> None:
    theirs = await world.open_case(world.bv_y, convenant_id=world.arnhem_ypsilon.id, bsn=BSN_2)
    client = await world.hub.client_for(world.bv_x)
    response = await client.post_form("/dossiers/nieuw", form(world))
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert theirs.reference not in page.text and theirs.id not in page.text and "Ypsilon" not in page.text
