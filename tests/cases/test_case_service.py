"""CaseService on SQLite and PostgreSQL: opening, validation, scoping, the blind index, lists, audit."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from crypto import DecryptionError, blind_index
from hub.audit.models import AuditEvent
from hub.audit.services import verify
from hub.cases import opening
from hub.cases.models import Case
from hub.cases.services import CaseService, local_today
from hub.demo import valid_bsns
from hub.errors import Forbidden, NotFound, ValidationError
from tests.cases.world import BSN_1, BSN_2, BSN_3, World


def service(world: World, db: Any) -> CaseService:
    return CaseService(db, world.hub.runtime.keyring)


async def count_cases(world: World) -> int:
    async with world.hub.db() as db:
        return int((await db.execute(select(func.count()).select_from(Case))).scalar_one())


async def audit_actions(world: World) -> list[tuple[str, str, str | None]]:
    async with world.hub.db() as db:
        rows = await db.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.user_id).order_by(AuditEvent.seq)
        )
        return [(a, o, u) for a, o, u in rows.all()]


async def test_open_case_encrypts_identity_and_gives_references(world: World) -> None:
    first = await world.open_case()
    second = await world.open_case(client_name="Pieter  Bakker ", bsn="1112.22 333", bewind_kind="beide")
    year = local_today().year
    assert re.fullmatch(rf"{year}-[1-9]\d{{5}}", first.reference)  # the year and six random digits
    assert re.fullmatch(rf"{year}-[1-9]\d{{5}}", second.reference) and second.reference != first.reference
    assert (first.gemeente_id, first.kantoor_id) == (world.arnhem.id, world.xander.id)
    assert first.status == "actief" and first.created_by == world.bv_x.id
    keyring = world.hub.runtime.keyring
    assert second.bsn_index == blind_index(keyring.index_key, BSN_2)
    for raw in (first.client_name, first.bsn, first.birth_date):
        assert b"Johanna" not in raw and BSN_1.encode() not in raw and b"1968" not in raw
    async with world.hub.db() as db:
        svc = service(world, db)
        stored = await svc.get_case(world.bv_x, second.id)
        identity = svc.identity(stored)
    assert identity.name == "Pieter Bakker"  # whitespace tidied
    assert identity.bsn == BSN_2  # normalised: no dots or spaces
    assert identity.masked_bsn == "••••••333"
    assert identity.birth_date == date(1968, 5, 17)
    assert ("case.open", first.id, world.bv_x.id) in await audit_actions(world)


async def test_kantoorbeheerder_may_open_and_assign_a_bewindvoerder(world: World) -> None:
    case = await world.open_case(world.kb_x, bewindvoerder_id=world.bv_x2.id)
    assert case.bewindvoerder_id == world.bv_x2.id


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"client_name": "   "}, "client_name", "Vul de naam"),
        ({"bsn": "123456789"}, "bsn", "elfproef"),
        ({"bsn": "12345"}, "bsn", "9 cijfers"),
        ({"bsn": ""}, "bsn", "Vul het burgerservicenummer"),
        ({"birth_date": None}, "birth_date", "Vul de geboortedatum"),
        ({"birth_date": local_today() + timedelta(days=1)}, "birth_date", "in het verleden"),
        ({"birth_date": date(1880, 1, 1)}, "birth_date", "ouder zijn dan 120 jaar"),
        ({"beschikking_date": local_today() + timedelta(days=1)}, "beschikking_date", "toekomst"),
        ({"bewind_start_date": local_today() + timedelta(days=3)}, "bewind_start_date", "toekomst"),
        ({"bewind_start_date": None}, "bewind_start_date", "Vul ook de ingangsdatum"),
        ({"beschikking_date": None}, "beschikking_date", "laat beide datums leeg"),
        ({"bewind_kind": "curatele"}, "bewind_kind", "Kies de soort bewind"),
        ({"rechtbank": "Rechtbank Utrecht"}, "rechtbank", "Kies de rechtbank"),
        ({"convenant_id": ""}, "convenant_id", "Kies de gemeente"),
    ],
)
async def test_validation_refuses_and_writes_nothing(
    world: World, overrides: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await world.open_case(**overrides)
    assert words in caught.value.errors[field]
    assert await count_cases(world) == 0
    assert await audit_actions(world) == []


async def test_bewindvoerder_must_be_of_the_own_kantoor(world: World) -> None:
    for person in (world.bv_y, world.kb_x, world.km_arnhem):
        with pytest.raises(ValidationError) as caught:
            await world.open_case(bewindvoerder_id=person.id)
        assert caught.value.errors == {"bewindvoerder_id": "Kies een bewindvoerder van uw kantoor."}


async def test_only_an_own_active_convenant(world: World) -> None:
    # Another kantoor's convenant does not exist for this user.
    with pytest.raises(NotFound):
        await world.open_case(convenant_id=world.arnhem_ypsilon.id)
    with pytest.raises(NotFound):
        await world.open_case(convenant_id="0" * 32)
    # A gemeente user may not open cases, not even under its own convenant.
    with pytest.raises(Forbidden):
        await world.open_case(world.km_arnhem)
    with pytest.raises(Forbidden):
        await world.open_case(world.beheerder)
    async with world.hub.db() as db:
        conv = await db.get(type(world.berkel_xander), world.berkel_xander.id)
        assert conv is not None
        conv.status = "beeindigd"
    with pytest.raises(ValidationError) as caught:
        await world.open_case(convenant_id=world.berkel_xander.id)
    assert "geen actief convenant" in caught.value.errors["convenant_id"]
    assert await count_cases(world) == 0


async def test_parties_see_the_case_nobody_else_does(world: World) -> None:
    case = await world.open_case()
    async with world.hub.db() as db:
        svc = service(world, db)
        for party in (world.bv_x, world.bv_x2, world.kb_x, world.km_arnhem):
            assert (await svc.get_case(party, case.id)).id == case.id
        for outsider in (world.bv_y, world.km_berkel, world.beheerder):
            with pytest.raises(NotFound):
                await svc.get_case(outsider, case.id)
        with pytest.raises(NotFound):
            await svc.get_case(world.bv_x, "no-such-case")


async def test_view_case_is_audited(world: World) -> None:
    case = await world.open_case()
    async with world.hub.db() as db:
        await service(world, db).view_case(world.km_arnhem, case.id)
    assert ("case.view", case.id, world.km_arnhem.id) in await audit_actions(world)


async def test_field_copied_to_another_row_does_not_decrypt(world: World) -> None:
    one = await world.open_case()
    other = await world.open_case(client_name="Kees Kopie", bsn=BSN_2)
    async with world.hub.db() as db:
        await db.execute(update(Case).where(Case.id == other.id).values(client_name=one.client_name, bsn=one.bsn))
    async with world.hub.db() as db:
        svc = service(world, db)
        tampered = await svc.get_case(world.bv_x, other.id)
        with pytest.raises(DecryptionError):
            svc.identity(tampered)
        # In a list the row stays, marked unreadable, and the others are unaffected.
        rows = {r.id: r for r in await svc.list_cases(world.bv_x)}
        assert rows[other.id].client_name is None
        assert rows[one.id].client_name == "Johanna de Vries"
    # Moving a value to another column of the same row fails too.
    async with world.hub.db() as db:
        await db.execute(update(Case).where(Case.id == one.id).values(client_name=one.bsn))
    async with world.hub.db() as db:
        svc = service(world, db)
        with pytest.raises(DecryptionError):
            svc.identity(await svc.get_case(world.bv_x, one.id))


async def test_find_by_exact_bsn_within_the_own_organisation(world: World) -> None:
    mine = await world.open_case(bsn=BSN_1)
    theirs = await world.open_case(world.bv_y, convenant_id=world.arnhem_ypsilon.id, bsn=BSN_3)
    async with world.hub.db() as db:
        svc = service(world, db)
        assert [c.id for c in await svc.find_by_bsn(world.bv_x, "123 456 782")] == [mine.id]
        assert [c.id for c in await svc.find_by_bsn(world.bv_x, "12.34.56.782")] == [mine.id]
        # Kantoor Ypsilon's case is not found by Kantoor Xander, nor by a gemeente that is no party.
        assert await svc.find_by_bsn(world.bv_x, BSN_3) == []
        assert await svc.find_by_bsn(world.km_berkel, BSN_3) == []
        assert await svc.find_by_bsn(world.km_berkel, BSN_1) == []
        # Gemeente Arnhem is party to both.
        found = {c.id for c in await svc.find_by_bsn(world.km_arnhem, BSN_3)}
        assert found == {theirs.id}
        with pytest.raises(ValidationError):
            await svc.find_by_bsn(world.bv_x, "123456789")
        with pytest.raises(Forbidden):
            await svc.find_by_bsn(world.beheerder, BSN_1)
    searches = [a for a in await audit_actions(world) if a[0] == "case.search"]
    assert len(searches) == 6 and all(object_id == "bsn" for _, object_id, _ in searches)


async def test_list_scope_filters_and_sorts(world: World) -> None:
    zeger = await world.open_case(client_name="Zeger Zonderland", bsn=BSN_1, bewind_kind="toestandenbewind")
    ank = await world.open_case(
        client_name="Ank van Abeelen", bsn=BSN_2, convenant_id=world.berkel_xander.id, bewind_kind="schuldenbewind"
    )
    oscar = await world.open_case(client_name="Öscar Olde", bsn=BSN_3, bewind_kind="beide")
    other = await world.open_case(world.bv_y, convenant_id=world.arnhem_ypsilon.id, client_name="Yvonne Ypma")
    async with world.hub.db() as db:
        await db.execute(update(Case).where(Case.id == oscar.id).values(status="beeindigd"))
    async with world.hub.db() as db:
        svc = service(world, db)

        async def ids(user: Any = world.bv_x, **kw: Any) -> list[str]:
            return [r.id for r in await svc.list_cases(user, **kw)]

        assert set(await ids()) == {zeger.id, ank.id, oscar.id}
        assert set(await ids(world.km_arnhem)) == {zeger.id, oscar.id, other.id}
        assert set(await ids(world.km_berkel)) == {ank.id}
        assert await ids(sort="naam") == [ank.id, oscar.id, zeger.id]  # Ö sorts with O
        by_reference = sorted([zeger, ank, oscar], key=lambda c: c.reference)
        assert await ids(sort="referentie") == [c.id for c in by_reference]
        assert await ids(sort="oudste") == [zeger.id, ank.id, oscar.id]
        assert await ids(sort="nieuwste") == [oscar.id, ank.id, zeger.id]
        assert await ids(sort="naam", limit=1, offset=1) == [oscar.id]
        assert await ids(kind="toestandenbewind") == [zeger.id]
        assert await ids(status="beeindigd") == [oscar.id]
        assert set(await ids(partner_id=world.arnhem.id)) == {zeger.id, oscar.id}
        assert await ids(partner_id=world.berkel.id) == [ank.id]
        assert await ids(reference=ank.reference) == [ank.id]
        assert await ids(reference=ank.reference[-6:]) == [ank.id]  # its last digits
        assert await ids(world.km_arnhem, partner_id=world.ypsilon.id) == [other.id]
        assert await svc.count_cases(world.km_arnhem) == 3
        rows = await svc.list_cases(world.km_arnhem, sort="naam")
        assert [r.client_name for r in rows] == ["Öscar Olde", "Yvonne Ypma", "Zeger Zonderland"]
        assert {r.partner_name for r in rows} == {"Kantoor Xander", "Kantoor Ypsilon"}
        with pytest.raises(Forbidden):
            await svc.list_cases(world.beheerder)
    assert "case.list" in {a for a, _, _ in await audit_actions(world)}


async def test_update_assignment_on_the_own_side_only(world: World) -> None:
    case = await world.open_case()
    async with world.hub.db() as db:
        svc = service(world, db)
        fresh = await svc.get_case(world.km_arnhem, case.id)
        await svc.update_assignment(world.km_arnhem, fresh, person_id=world.km_arnhem.id)
        assert fresh.gemeente_contact_id == world.km_arnhem.id
        fresh = await svc.get_case(world.bv_x, case.id)
        await svc.update_assignment(world.bv_x, fresh, person_id=world.bv_x2.id)
        assert fresh.bewindvoerder_id == world.bv_x2.id
        with pytest.raises(ValidationError):
            await svc.update_assignment(world.bv_x, fresh, person_id=world.km_arnhem.id)
        with pytest.raises(NotFound):
            await svc.update_assignment(world.bv_y, fresh, person_id=world.bv_y.id)


async def test_a_taken_reference_is_drawn_again_in_a_savepoint(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    first = await world.open_case()
    year = local_today().year
    draws = iter([first.reference, f"{year}-500000"])  # the first draw is taken already
    monkeypatch.setattr(opening, "draw_reference", lambda y: next(draws))
    second = await world.open_case(bsn=BSN_2)
    assert second.reference == f"{year}-500000"
    # The transaction survived the failed attempt: both the case and its audit record are there.
    assert await count_cases(world) == 2
    assert [a for a, _, _ in await audit_actions(world)].count("case.open") == 2
    async with world.hub.db() as db:
        assert (await verify(db)).ok


async def test_concurrent_opens_get_distinct_references_and_one_chain(world: World) -> None:
    bsns = valid_bsns(111222333, 6)  # one running case per BSN and convenant
    cases = await asyncio.gather(*(world.open_case(client_name=f"Cliënt {i}", bsn=bsns[i]) for i in range(6)))
    references = sorted(c.reference for c in cases)
    year = local_today().year
    assert len(set(references)) == 6 and all(re.fullmatch(rf"{year}-[1-9]\d{{5}}", r) for r in references)
    # Not a sequence: the numbers say nothing about how many cases the hub holds, nor in which order they came.
    numbers = sorted(int(r[5:]) for r in references)
    assert numbers != list(range(numbers[0], numbers[0] + 6)) and numbers[0] >= 100_000
    async with world.hub.db() as db:
        result = await verify(db)
    assert result.ok and result.count == 6


async def test_concurrent_opens_that_draw_the_same_reference_both_succeed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four openings at once, each drawing the same number first: one keeps it, the others draw again (the unique
    constraint decides, under concurrent transactions on PostgreSQL and SQLite alike)."""
    year = local_today().year
    drawn: list[str] = []

    def same_first(y: int) -> str:
        drawn.append(f"{y}-{123456 if len(drawn) < 4 else 200000 + len(drawn)}")
        return drawn[-1]

    monkeypatch.setattr(opening, "draw_reference", same_first)
    bsns = valid_bsns(111222333, 4)  # one running case per BSN and convenant
    cases = await asyncio.gather(*(world.open_case(client_name=f"Cliënt {i}", bsn=bsns[i]) for i in range(4)))
    references = {c.reference for c in cases}
    assert len(references) == 4 and f"{year}-123456" in references
    assert drawn[:4] == [f"{year}-123456"] * 4 and len(drawn) == 7  # three drew again, once each
    assert await count_cases(world) == 4
    async with world.hub.db() as db:
        assert (await verify(db)).ok
