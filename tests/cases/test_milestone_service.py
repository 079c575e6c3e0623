"""Recording a case's milestones, on SQLite and PostgreSQL: one case walked through every milestone (each term checked
against hub.terms), who may record what, the checks, corrections and withdrawals that keep the history, the audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hub.audit.models import AuditEvent
from hub.audit.services import verify
from hub.cases.milestones import K
from hub.cases.models import CaseMilestone, CaseStatus
from hub.cases.records import local_today
from hub.errors import Forbidden, NotFound, ValidationError
from hub.terms import (
    aanmelding_schuldhulp_due,
    aanvraag_bijzondere_bijstand_due,
    add_months,
    default_calendar,
    end_of_day,
    uitstroomverslag_window,
)
from tests.cases.path import Path, at, build_path
from tests.cases.world import World

B = date(2023, 1, 9)  # a Monday: the referral
CAL = default_calendar()


@pytest.fixture
async def path(world: World) -> Path:
    return await build_path(world)


async def test_one_case_walks_through_every_milestone(path: Path) -> None:
    w = path.world
    bv, km, cons = w.bv_x, w.km_arnhem, path.consulent
    case = await w.open_case(beschikking_date=None, bewind_start_date=None)
    assert case.status == CaseStatus.AANGEMELD.value and case.beschikking_date is None
    assert await path.rows(case) == []

    await path.record(km, case, K.VERWIJZING, B, choice="few", now=at(B))
    await path.record(bv, case, K.CONTACT_NIEUWE_KLANT, B + timedelta(days=1), now=at(B + timedelta(days=1)))
    await path.record(bv, case, K.AFSPRAAK_NIEUWE_KLANT, B + timedelta(days=5), now=at(B + timedelta(days=5)))
    await path.record(bv, case, K.AANMELDING_VERZONDEN, B + timedelta(days=6), now=at(B + timedelta(days=6)))
    with pytest.raises(ValidationError) as caught:
        await path.record(km, case, K.ADVIES, B + timedelta(days=10), choice="negatief", now=at(B + timedelta(10)))
    assert set(caught.value.errors) == {"detail_date", "note"}  # the date sent to the rechtbank, the reason
    day = B + timedelta(days=10)
    await path.record(km, case, K.ADVIES, day, choice="positief", detail_date=day, now=at(day))
    assert (await path.case(case)).status == CaseStatus.AANGEMELD.value

    # The beschikking, with the benoemingsbeschikking as evidence: the case becomes actief and its terms run.
    beschikking = B + timedelta(days=40)
    other = await w.open_case(bsn="111222333")
    wrong_case_doc = await path.document(bv, other, "benoemingsbeschikking", beschikking)
    nota = await path.document(bv, case, "nota_periodieke_kosten", beschikking)
    proof = await path.document(bv, case, "benoemingsbeschikking", beschikking)
    for evidence, words in ((wrong_case_doc.id, "van dit dossier"), (nota.id, "benoemingsbeschikking")):
        with pytest.raises(ValidationError) as caught:
            await path.record(bv, case, K.BESCHIKKING, beschikking, detail_date=beschikking,
                              evidence_document_id=evidence, now=at(beschikking))  # fmt: skip
        assert words in caught.value.errors["evidence_document_id"]
    recorded = await path.record(bv, case, K.BESCHIKKING, beschikking, detail_date=beschikking + timedelta(days=3),
                                 evidence_document_id=proof.id, now=at(beschikking + timedelta(days=3)))  # fmt: skip
    assert recorded.evidence_document_id == proof.id
    fresh = await path.case(case)
    assert fresh.status == CaseStatus.ACTIEF.value
    assert (fresh.beschikking_date, fresh.bewind_start_date) == (beschikking, beschikking + timedelta(days=3))
    terms = await path.terms(case)
    assert set(terms) == {"aanvraag_bijzondere_bijstand", "aanmelding_schuldhulp"}
    assert terms["aanvraag_bijzondere_bijstand"].due_at == aanvraag_bijzondere_bijstand_due(beschikking, calendar=CAL)
    twelve = aanmelding_schuldhulp_due(beschikking + timedelta(days=3), calendar=CAL)
    assert terms["aanmelding_schuldhulp"].due_at == twelve
    assert terms["aanmelding_schuldhulp"].owed_by_org_id == w.xander.id

    # §2.2: the consulent decides only after the application.
    with pytest.raises(ValidationError) as caught:
        await path.record(cons, case, K.BESLUIT_BIJSTAND, beschikking, choice="toegekend", now=at(beschikking))
    assert "Leg eerst vast" in caught.value.errors["kind"]
    aanvraag = B + timedelta(days=60)
    await path.apply_bijstand(bv, case, aanvraag, now=at(aanvraag))
    assert "aanvraag_bijzondere_bijstand" not in await path.terms(case)
    besluit = B + timedelta(days=80)
    await path.record(cons, case, K.BESLUIT_BIJSTAND, besluit, choice="toegekend", now=at(besluit))

    # §2.3: an extension agreed with BSHV moves the 12-month term; then the aanmelding and the schuldregeling.
    new_date = add_months(twelve.date(), 2)
    with pytest.raises(ValidationError) as caught:
        await path.record(km, case, K.UITSTEL_SCHULDHULP, B + timedelta(days=300), detail_date=twelve.date(),
                          now=at(B + timedelta(days=300)))  # fmt: skip
    assert "na de huidige uiterste datum" in caught.value.errors["detail_date"]
    await path.record(km, case, K.UITSTEL_SCHULDHULP, B + timedelta(days=300), detail_date=new_date,
                      now=at(B + timedelta(days=300)))  # fmt: skip
    assert (await path.terms(case))["aanmelding_schuldhulp"].due_at == end_of_day(CAL.werkdag_on_or_after(new_date))
    aanmelding = B + timedelta(days=420)
    await path.record(bv, case, K.AANMELDING_SCHULDHULP, aanmelding, now=at(aanmelding))
    with pytest.raises(Forbidden):  # BSHV starts the schuldregeling, not the kantoor
        await path.record(bv, case, K.START_SCHULDREGELING, aanmelding, choice="minnelijk", now=at(aanmelding))
    start = B + timedelta(days=450)
    await path.record(km, case, K.START_SCHULDREGELING, start, choice="minnelijk", now=at(start))
    fresh = await path.case(case)
    assert (fresh.status, fresh.schuldregeling_start_date) == (CaseStatus.IN_SCHULDREGELING.value, start)
    opens, due = uitstroomverslag_window(start, calendar=CAL)
    assert (await path.terms(case))["uitstroomverslag"].due_at == due

    # §1a.3: a melding wijziging, with its description encrypted.
    melding = await path.record(bv, case, K.MELDING_WIJZIGING, start + timedelta(days=10),
                                detail_date=start + timedelta(days=5), note="Verhuisd naar de Lange Hezelstraat",
                                now=at(start + timedelta(days=10)))  # fmt: skip
    assert melding.note is not None and b"Hezelstraat" not in melding.note

    # §2.5: the uitstroomverslag says the client leaves bewind; the bewind ends; nazorg.
    verslag_day = opens + timedelta(days=10)
    report = await path.document(bv, case, "uitstroomverslag", verslag_day)
    await path.record(bv, case, K.UITSTROOMVERSLAG, verslag_day, choice="budgetbeheer",
                      evidence_document_id=report.id, now=at(verslag_day))  # fmt: skip
    assert (await path.case(case)).status == CaseStatus.UITSTROOM.value
    end = verslag_day + timedelta(days=30)
    with pytest.raises(ValidationError) as caught:
        await path.record(bv, case, K.EINDE_BEWIND, end, choice="anders", now=at(end))
    assert "note" in caught.value.errors
    await path.record(bv, case, K.EINDE_BEWIND, end, choice="uitstroom", now=at(end))
    assert (await path.case(case)).status == CaseStatus.BEEINDIGD.value
    with pytest.raises(ValidationError) as caught:
        await path.record(bv, case, K.MELDING_WIJZIGING, end, detail_date=end, note="x", now=at(end))
    assert "beëindigd" in caught.value.errors["kind"]
    await path.record(cons, case, K.EINDE_BIJSTAND, end, now=at(end))  # stopping the bijstand follows the end
    await path.record(km, case, K.NAZORG_AANGEBODEN, end, now=at(end))
    await path.record(bv, case, K.NAZORG_GEACCEPTEERD, end + timedelta(days=3), now=at(end + timedelta(days=3)))
    await path.record(km, case, K.NAZORG_BEEINDIGD, end + timedelta(days=90), now=at(end + timedelta(days=90)))
    assert await path.terms(case) == {}

    rows = await path.rows(case)
    assert len(rows) == 18 and all(not r.void and r.supersedes_id is None for r in rows)
    # Every kind but the alternative to an application ("geen aanvraag nodig").
    assert {r.kind for r in rows} == {k.value for k in K} - {K.GEEN_AANVRAAG_BIJSTAND.value}
    async with w.hub.db() as db:
        events = (await db.execute(select(AuditEvent).where(AuditEvent.action == "milestone.record"))).scalars()
        recorded_ids = [e.object_id for e in events if e.object_type == "case_milestone"]
        assert sorted(recorded_ids) == sorted(r.id for r in rows)
        assert (await verify(db)).ok
        assert path.service(db).note_of(melding) == "Verhuisd naar de Lange Hezelstraat"


async def test_other_organisations_and_roles(path: Path) -> None:
    w = path.world
    case = await w.open_case()
    for outsider in (w.bv_y, w.km_berkel):
        with pytest.raises(NotFound):
            await path.record(outsider, case, K.MELDING_WIJZIGING, local_today(), detail_date=local_today(), note="x")
    with pytest.raises(Forbidden):
        await path.record(w.bv_x, case, K.ADVIES, local_today(), choice="positief", detail_date=local_today())
    with pytest.raises(Forbidden):
        await path.record(w.km_arnhem, case, K.AANVRAAG_BIJSTAND, local_today())
    with pytest.raises(NotFound):  # the operator is party to no case
        await path.record(w.beheerder, case, K.MELDING_WIJZIGING, local_today())
    await path.apply_bijstand(w.kb_x, case, date(2025, 4, 1))  # the kantoorbeheerder may
    assert await path.rows(case) != []


async def test_dates_in_the_future_or_before_earlier_steps_are_refused(path: Path) -> None:
    w = path.world
    case = await w.open_case(beschikking_date=None, bewind_start_date=None)
    with pytest.raises(ValidationError) as caught:
        await path.record(w.bv_x, case, K.AANMELDING_VERZONDEN, local_today() + timedelta(days=1))
    assert "toekomst" in caught.value.errors["milestone_date"]
    with pytest.raises(ValidationError) as caught:
        await path.record(w.bv_x, case, K.AANMELDING_VERZONDEN, None)
    assert "Vul de datum verzonden in" in caught.value.errors["milestone_date"]
    await path.record(w.km_arnhem, case, K.VERWIJZING, date(2025, 4, 24), choice="bshv")
    with pytest.raises(ValidationError) as caught:
        await path.record(w.bv_x, case, K.CONTACT_NIEUWE_KLANT, date(2025, 4, 23))
    assert "vóór verwijzing nieuwe klant" in caught.value.errors["milestone_date"]
    with pytest.raises(ValidationError) as caught:
        await path.record(w.bv_x, case, K.AANVRAAG_BIJSTAND, date(2025, 5, 1))
    assert "Leg eerst vast: beschikking ontvangen" in caught.value.errors["kind"]
    with pytest.raises(ValidationError) as caught:
        await path.record(w.km_arnhem, case, K.VERWIJZING, date(2025, 4, 25), choice="few")
    assert "al vastgelegd" in caught.value.errors["kind"]
    with pytest.raises(ValidationError):
        await path.record(w.bv_x, case, "geen_stap", date(2025, 4, 25))  # type: ignore[arg-type]
    assert len(await path.rows(case)) == 1  # nothing else was written


async def test_corrections_and_withdrawals_keep_the_history(path: Path) -> None:
    w = path.world
    case = await w.open_case(beschikking_date=None, bewind_start_date=None)
    first = await path.record(w.bv_x, case, K.BESCHIKKING, date(2025, 3, 3), detail_date=date(2025, 3, 3))
    fixed = await path.correct(w.bv_x, case, first, date(2025, 3, 5), detail_date=date(2025, 3, 10))
    assert fixed.supersedes_id == first.id
    fresh = await path.case(case)
    assert (fresh.beschikking_date, fresh.bewind_start_date) == (date(2025, 3, 5), date(2025, 3, 10))
    with pytest.raises(ValidationError) as caught:  # the old record is no longer in force
        await path.correct(w.bv_x, case, first, date(2025, 3, 6), detail_date=date(2025, 3, 6))
    assert "al gecorrigeerd" in caught.value.errors["kind"]
    with pytest.raises(Forbidden):  # the gemeente does not correct the kantoor's beschikking
        await path.correct(w.km_arnhem, case, fixed, date(2025, 3, 6), detail_date=date(2025, 3, 6))
    aanvraag = await path.apply_bijstand(w.bv_x, case, date(2025, 4, 1))
    with pytest.raises(ValidationError) as caught:
        await path.withdraw(w.bv_x, case, fixed)
    assert "Trek eerst aanvraag bijzondere bijstand ingediend in" in caught.value.errors["kind"]
    await path.withdraw(w.bv_x, case, aanvraag)
    await path.withdraw(w.bv_x, case, fixed)
    fresh = await path.case(case)
    assert (fresh.status, fresh.beschikking_date) == (CaseStatus.AANGEMELD.value, None)
    assert await path.terms(case) == {}
    rows = await path.rows(case)
    assert [(r.kind, r.void) for r in rows] == [
        ("beschikking", False), ("beschikking", False), ("aanvraag_bijzondere_bijstand", False),
        ("aanvraag_bijzondere_bijstand", True), ("beschikking", True),
    ]  # fmt: skip
    # Ending and reopening: a wrongly recorded einde bewind can be withdrawn on the ended case.
    end = await path.record(w.bv_x, case, K.EINDE_BEWIND, date(2025, 6, 2), choice="overlijden")
    assert (await path.case(case)).status == CaseStatus.BEEINDIGD.value
    await path.withdraw(w.bv_x, case, end)
    assert (await path.case(case)).status == CaseStatus.AANGEMELD.value
    async with w.hub.db() as db:
        actions = (
            await db.execute(select(AuditEvent.action).where(AuditEvent.object_type == "case_milestone"))
        ).scalars()
        assert sorted(actions) == sorted(["milestone.record"] * 3 + ["milestone.correct"] + ["milestone.withdraw"] * 3)
        assert (await db.get(CaseMilestone, first.id)) is not None  # nothing is deleted
