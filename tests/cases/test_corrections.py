"""Correcting a case, on SQLite and PostgreSQL: which side corrects what, the checks of a new case, the encrypted
history, the blind index and the duplicate rule for a corrected BSN, the audit records; and the pages."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from crypto import DecryptionError, blind_index, decrypt_text
from hub.audit.models import AuditEvent
from hub.audit.services import verify
from hub.cases.corrections import ENDED, NOTHING_CHANGED
from hub.cases.duplicates import DuplicateCase
from hub.cases.models import Case, CaseCorrection
from hub.cases.services import CaseService
from hub.errors import Forbidden, NotFound, ValidationError
from hub.fields import CASE_CORRECTION_NEW, CASE_CORRECTION_OLD, CASE_CORRECTION_REASON
from tests.cases.world import BSN_1, BSN_2, BSN_3, World


def service(world: World, db: Any) -> CaseService:
    return CaseService(db, world.hub.runtime.keyring)


async def correct(world: World, user: Any, case: Case, changes: dict[str, Any], **kw: Any) -> list[CaseCorrection]:
    async with world.hub.db() as db:
        return await service(world, db).correct_case(user, case.id, changes, **kw)


async def corrections_of(world: World, case: Case) -> list[CaseCorrection]:
    async with world.hub.db() as db:
        rows = await db.execute(select(CaseCorrection).where(CaseCorrection.case_id == case.id))
        return list(rows.scalars())


async def audit_rows(world: World, action: str) -> list[tuple[str, str, str | None]]:
    async with world.hub.db() as db:
        rows = await db.execute(
            select(AuditEvent.object_type, AuditEvent.object_id, AuditEvent.user_id).where(AuditEvent.action == action)
        )
        return [(t, o, u) for t, o, u in rows.all()]


async def test_the_kantoor_corrects_identity_and_bewind_data_with_history(world: World) -> None:
    case = await world.open_case()
    written = await correct(
        world,
        world.bv_x,
        case,
        {
            "client_name": "Johanna  de Vries-Jansen",
            "bsn": BSN_1,  # unchanged: not recorded
            "birth_date": date(1968, 5, 18),
            "bewind_kind": "beide",
            "rechtbank": "Rechtbank Oost-Brabant",
        },
        reason="Tikfouten, zie de beschikking",
    )
    assert [c.field_name for c in written] == [
        "client_name", "birth_date", "bewind_kind", "rechtbank",
    ]  # fmt: skip
    async with world.hub.db() as db:
        svc = service(world, db)
        fresh = await svc.get_case(world.km_arnhem, case.id)
        identity = svc.identity(fresh)
        history = await svc.history(world.km_arnhem, fresh)
    assert identity.name == "Johanna de Vries-Jansen" and identity.birth_date == date(1968, 5, 18)
    assert (fresh.bewind_kind, fresh.rechtbank) == ("beide", "Rechtbank Oost-Brabant")
    [entry] = history
    assert entry.by == "Bas Bewindvoerder" and entry.organisation == "Kantoor Xander"
    assert entry.fields_label == "naam, geboortedatum, soort bewind, rechtbank"
    assert entry.reason == "Tikfouten, zie de beschikking"
    values = {c.field: (c.old, c.new) for c in entry.changes}
    assert values["client_name"] == ("Johanna de Vries", "Johanna de Vries-Jansen")
    assert values["birth_date"] == (date(1968, 5, 17), date(1968, 5, 18))
    assert values["bewind_kind"] == ("Schuldenbewind", "Schulden- en toestandenbewind")
    # The old and new values and the reason are ciphertext, each bound to its correction row and column.
    keyring = world.hub.runtime.keyring
    for row in await corrections_of(world, case):
        assert b"Johanna" not in row.old_value + row.new_value and row.reason is not None
        assert decrypt_text(keyring, row.reason, context=CASE_CORRECTION_REASON.context(row.id)).startswith("Tik")
        with pytest.raises(DecryptionError):
            decrypt_text(keyring, row.old_value, context=CASE_CORRECTION_NEW.context(row.id))
        decrypt_text(keyring, row.old_value, context=CASE_CORRECTION_OLD.context(row.id))
        assert (row.corrected_by, row.organisation_id) == (world.bv_x.id, world.xander.id)
    # One audit record per correction, naming the correction row only.
    audited = await audit_rows(world, "case.correct")
    assert sorted(o for _, o, _ in audited) == sorted(c.id for c in written)
    assert {(t, u) for t, _, u in audited} == {("case_correction", world.bv_x.id)}
    async with world.hub.db() as db:
        assert (await verify(db)).ok


async def test_the_gemeente_corrects_the_identity_only(world: World) -> None:
    case = await world.open_case()
    written = await correct(world, world.km_arnhem, case, {"client_name": "Johanna de Vries", "bsn": BSN_2})
    assert [c.field_name for c in written] == ["bsn"]
    assert written[0].organisation_id == world.arnhem.id
    with pytest.raises(Forbidden):
        await correct(world, world.km_arnhem, case, {"rechtbank": "Rechtbank Limburg"})
    # Nobody else reaches the case at all.
    for outsider in (world.bv_y, world.km_berkel, world.beheerder):
        with pytest.raises((NotFound, Forbidden)):
            await correct(world, outsider, case, {"client_name": "Iemand Anders"})
    async with world.hub.db() as db:
        fresh = await db.get(Case, case.id)
        assert fresh is not None and fresh.rechtbank == "Rechtbank Gelderland"
        assert service(world, db).identity(fresh).name == "Johanna de Vries"


async def test_a_corrected_bsn_gets_a_new_blind_index_and_is_found_by_it(world: World) -> None:
    case = await world.open_case()
    await correct(world, world.bv_x, case, {"bsn": "111.222.333"})
    async with world.hub.db() as db:
        svc = service(world, db)
        fresh = await svc.get_case(world.bv_x, case.id)
        assert fresh.bsn_index == blind_index(world.hub.runtime.keyring.index_key, BSN_2)
        assert svc.identity(fresh).bsn == BSN_2
        assert [c.id for c in await svc.find_by_bsn(world.bv_x, BSN_2)] == [case.id]
        assert await svc.find_by_bsn(world.bv_x, BSN_1) == []


async def test_a_corrected_bsn_passes_the_duplicate_rule(world: World) -> None:
    case = await world.open_case()
    other = await world.open_case(client_name="Pieter Bakker", bsn=BSN_2)
    with pytest.raises(DuplicateCase) as caught:
        await correct(world, world.km_arnhem, case, {"bsn": BSN_2})
    assert caught.value.existing_id == other.id and not caught.value.confirmable
    assert await corrections_of(world, case) == []
    # Under another convenant of the same gemeente: the gemeente, party to both kantoren's cases, is asked to confirm.
    theirs = await world.open_case(world.bv_y, convenant_id=world.arnhem_ypsilon.id, bsn=BSN_3)
    with pytest.raises(DuplicateCase) as caught:
        await correct(world, world.km_arnhem, case, {"bsn": BSN_3})
    assert caught.value.confirmable and caught.value.existing_id == theirs.id
    # The kantoor is told nothing of Kantoor Ypsilon's case: its correction simply goes through.
    await correct(world, world.bv_x, case, {"bsn": BSN_3})
    assert [c.field_name for c in await corrections_of(world, case)] == ["bsn"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"client_name": " "}, "client_name", "Vul de naam"),
        ({"bsn": "123456789"}, "bsn", "elfproef"),
        ({"birth_date": None}, "birth_date", "Vul de geboortedatum"),
        ({"birth_date": date(2025, 6, 1)}, "birth_date", "na de datum van de benoemingsbeschikking"),
        ({"bewind_kind": "curatele"}, "bewind_kind", "Kies de soort bewind"),
        ({"rechtbank": "Rechtbank Utrecht"}, "rechtbank", "Kies de rechtbank"),
        ({"client_name": "Johanna de Vries"}, "correctie", "niets gewijzigd"),
    ],
)
async def test_bad_corrections_are_refused_and_change_nothing(
    world: World, changes: dict[str, Any], field: str, words: str
) -> None:
    case = await world.open_case()
    with pytest.raises(ValidationError) as caught:
        await correct(world, world.bv_x, case, changes)
    assert words in caught.value.errors[field]
    assert await corrections_of(world, case) == []
    assert await audit_rows(world, "case.correct") == []


async def test_a_too_long_reason_and_an_ended_case_are_refused(world: World) -> None:
    case = await world.open_case()
    with pytest.raises(ValidationError) as caught:
        await correct(world, world.bv_x, case, {"client_name": "Jo de Vries"}, reason="x" * 1001)
    assert "te lang" in caught.value.errors["reason"]
    async with world.hub.db() as db:
        await db.execute(update(Case).where(Case.id == case.id).values(status="beeindigd"))
    with pytest.raises(ValidationError) as caught:
        await correct(world, world.bv_x, case, {"client_name": "Jo de Vries"})
    assert caught.value.errors == {"correctie": ENDED}
    assert NOTHING_CHANGED not in str(caught.value)


async def test_the_bewindvoerders_assignment_is_kept_in_the_history(world: World) -> None:
    case = await world.open_case(bewindvoerder_id=world.bv_x.id)
    async with world.hub.db() as db:
        svc = service(world, db)
        fresh = await svc.get_case(world.kb_x, case.id)
        await svc.update_assignment(world.kb_x, fresh, person_id=world.bv_x2.id)
        await svc.update_assignment(world.kb_x, fresh, person_id=world.bv_x2.id)  # no change: no history
        fresh = await svc.get_case(world.km_arnhem, case.id)
        await svc.update_assignment(world.km_arnhem, fresh, person_id=world.km_arnhem.id)  # the gemeente's contact
    async with world.hub.db() as db:
        svc = service(world, db)
        history = await svc.history(world.bv_x, await svc.get_case(world.bv_x, case.id))
    [entry] = history
    [change] = entry.changes
    assert (change.label, change.old, change.new) == ("bewindvoerder", "Bas Bewindvoerder", "Anna Achterberg")
    assert entry.by == "Kees Kantoorbeheerder"


async def test_a_corrected_name_is_found_by_the_name_search(world: World) -> None:
    case = await world.open_case()
    await correct(world, world.km_arnhem, case, {"client_name": "Johanna Jänsen"})
    async with world.hub.db() as db:
        svc = service(world, db)
        assert [r.id for r in (await svc.find_by_name(world.bv_x, "jansen")).rows] == [case.id]
        assert (await svc.find_by_name(world.bv_x, "de vries")).rows == []


# -- the pages ---------------------------------------------------------------------------------------------------


async def test_correct_through_the_page_and_see_the_history(world: World) -> None:
    case = await world.open_case()
    client = await world.hub.client_for(world.km_arnhem)
    page = await client.get(f"/dossiers/{case.id}")
    assert f'href="/dossiers/{case.id}/corrigeren"' in page.text
    assert "Wijzigingen" not in page.text
    form = await client.get(f"/dossiers/{case.id}/corrigeren")
    assert form.status_code == 200
    assert 'value="Johanna de Vries"' in form.text and f'value="{BSN_1}"' in form.text
    assert 'name="rechtbank"' not in form.text  # the gemeente corrects the identity only
    assert "De gegevens van het bewind corrigeert het bewindvoerderskantoor" in form.text
    assert "Johanna" not in form.text.split("<title>")[1].split("</title>")[0]

    fields = {"client_name": "Johanna de Vries-Smit", "bsn": BSN_1, "birth_date": "17-05-1968", "reason": "BRP"}
    response = await client.post_form(f"/dossiers/{case.id}/corrigeren", fields)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/dossiers/{case.id}?gelukt=gecorrigeerd"
    assert "Smit" not in response.headers["location"]

    # The kantoor sees the history, with the old value folded away on the case page.
    kantoor = await world.hub.client_for(world.bv_x)
    shown = await kantoor.get(f"/dossiers/{case.id}")
    assert "Gewijzigd: naam, door Karin Klantmanager (Gemeente Arnhem), op " in shown.text
    assert "Toelichting: BRP" in shown.text
    history = shown.text.split('id="corrections-title"')[1].split("</section>")[0]
    assert '<td data-label="Was">Johanna de Vries</td>' in history
    assert '<td data-label="Wordt">Johanna de Vries-Smit</td>' in history
    # An outsider gets 404 on both the page and the post.
    outsider = await world.hub.client_for(world.bv_y)
    assert (await outsider.get(f"/dossiers/{case.id}/corrigeren")).status_code == 404
    assert (await outsider.post_form(f"/dossiers/{case.id}/corrigeren", fields)).status_code == 404


async def test_the_page_shows_problems_and_keeps_what_was_typed(world: World) -> None:
    case = await world.open_case()
    other = await world.open_case(client_name="Pieter Bakker", bsn=BSN_2)
    client = await world.hub.client_for(world.bv_x)
    fields = {
        "client_name": "Johanna de Vries", "bsn": BSN_2, "birth_date": "31-02-1968", "bewind_kind": "schuldenbewind",
        "rechtbank": "Rechtbank Gelderland",
    }  # fmt: skip
    response = await client.post_form(f"/dossiers/{case.id}/corrigeren", fields)
    assert response.status_code == 400
    assert "Vul een geldige datum in" in response.text
    assert f"Er is al een dossier voor dit BSN bij deze gemeente: {other.reference}." in response.text
    assert f'href="/dossiers/{other.id}">dossier {other.reference}</a>' in response.text
    assert f'value="{BSN_2}"' in response.text
    summary = response.text.split('class="error-summary"')[1].split("</ul>")[0]
    assert summary.index("#bsn") < summary.index("#birth_date")
    response = await client.post_form(
        f"/dossiers/{case.id}/corrigeren", {**fields, "bsn": BSN_1, "birth_date": "1968-05-17"}
    )
    assert response.status_code == 400 and "U heeft niets gewijzigd" in response.text
    assert 'href="#correctie"' in response.text and 'id="correctie"' in response.text
    assert await corrections_of(world, case) == []


async def test_a_bsn_correction_that_raced_past_the_check_is_refused_by_the_index(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if another case with that BSN was committed between the check and the update: the unique index refuses
    the correction, the user is told about the other case, and nothing of the correction is kept."""
    case = await world.open_case()
    other = await world.open_case(client_name="Pieter Bakker", bsn=BSN_2)
    from hub.cases import duplicates

    original = duplicates.find_duplicate
    calls: list[bool] = []

    async def blind_first(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["confirmed"])
        return None if len(calls) == 1 else await original(*args, **kwargs)

    monkeypatch.setattr("hub.cases.corrections.find_duplicate", blind_first)
    with pytest.raises(DuplicateCase) as caught:
        await correct(world, world.bv_x, case, {"bsn": BSN_2, "client_name": "Johanna Bakker"})
    assert caught.value.existing_id == other.id and len(calls) == 2
    assert await corrections_of(world, case) == []
    async with world.hub.db() as db:
        fresh = await db.get(Case, case.id)
        assert fresh is not None and fresh.bsn_index == blind_index(world.hub.runtime.keyring.index_key, BSN_1)
        assert service(world, db).identity(fresh).name == "Johanna de Vries"
