"""Issue 12 probed as its scenario tests would, on SQLite and PostgreSQL: the ended case read-only through every
POST (but nazorg and the stop of the bijstand), another organisation 404 / no CSRF 403 / the wrong role refused on
every new page and form, withdrawn documents, the BSN rules, and the walk through every milestone with its terms
checked against hub.terms and each reminder mailed once."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from hub.accounts.models import User
from hub.audit.models import AuditEvent
from hub.calendars.services import CalendarSource
from hub.cases.milestones import K
from hub.cases.models import CASE_ENDED, CaseCorrection, CaseStatus, CaseTermNotice
from hub.cases.records import local_today
from hub.cases.services import CaseService
from hub.cases.term_sweep import sweep_case_terms
from hub.documents.errors import UploadRefused
from hub.documents.models import Document
from hub.errors import ValidationError
from hub.messaging.threads import ThreadService
from hub.notifications.models import MailKind
from hub.notifications.term_outbox import OutboxTermNotifier
from hub.terms import (
    AMSTERDAM,
    aanmelding_schuldhulp_due,
    aanvraag_bijzondere_bijstand_due,
    add_months,
    afspraak_nieuwe_klant_due,
    contact_nieuwe_klant_due,
    default_calendar,
    uitstroomverslag_window,
)
from tests.cases.path import Path, at, build_path
from tests.cases.world import BSN_1, BSN_2, BSN_3, World
from tests.documents.conftest import post_upload, upload_fields

PDF = b"%PDF-1.7\n" + b"x" * 2000 + b"\n%%EOF\n"


async def _ended_case(path: Path) -> tuple[object, Document]:
    w = path.world
    case = await w.open_case()
    doc = await path.document(w.bv_x, case, "benoemingsbeschikking", date(2025, 3, 4))
    await path.apply_bijstand(w.bv_x, case, date(2025, 4, 1))
    await path.record(path.consulent, case, K.BESLUIT_BIJSTAND, date(2025, 4, 20), choice="toegekend")
    await path.record(w.bv_x, case, K.EINDE_BEWIND, date(2025, 6, 2), choice="overlijden")
    assert (await path.case(case)).status == CaseStatus.BEEINDIGD.value
    return case, doc


async def test_an_ended_case_refuses_every_post_but_nazorg_and_the_bijstand_stop(world: World) -> None:
    path = await build_path(world)
    case, doc = await _ended_case(path)
    case_id = case.id  # type: ignore[attr-defined]
    kantoor = await world.hub.client_for(world.bv_x)
    gemeente = await world.hub.client_for(world.km_arnhem)
    consulent = await world.hub.client_for(path.consulent)
    before = len(await path.rows(case))  # type: ignore[arg-type]
    day = (local_today() - timedelta(days=1)).isoformat()

    upload = await post_upload(
        kantoor, case_id, "na-het-einde.pdf", PDF, fields=upload_fields(kantoor.csrf_token, "overig", day)
    )
    assert upload.status_code == 409 and CASE_ENDED in upload.text
    async with world.hub.db() as db:
        from sqlalchemy import func, select

        count = (await db.execute(select(func.count()).select_from(Document))).scalar_one()
    assert count == 3  # the three of the walk, nothing new

    assign = await kantoor.post_form(f"/dossiers/{case_id}/toewijzen", {"person_id": world.bv_x2.id})
    assert assign.status_code == 400 and CASE_ENDED in assign.text
    assert (await path.case(case)).bewindvoerder_id != world.bv_x2.id  # type: ignore[arg-type]

    form = await kantoor.get(f"/documenten/{doc.id}/intrekken")
    assert form.status_code == 409 and CASE_ENDED in form.text and 'name="reason"' not in form.text
    withdraw = await kantoor.post_form(f"/documenten/{doc.id}/intrekken", {"reason": "Verkeerd dossier"})
    assert withdraw.status_code == 400 and CASE_ENDED in withdraw.text
    correct = await gemeente.post_form(f"/dossiers/{case_id}/corrigeren", {"client_name": "Jo de Vries"})
    assert correct.status_code in (400, 403), correct.status_code
    melding = await kantoor.post_form(
        f"/dossiers/{case_id}/verloop",
        {"kind": "melding_wijziging", "milestone_date": day, "detail_date": day, "note": "Verhuisd"},
    )
    assert melding.status_code == 400
    rows = await path.rows(case)  # type: ignore[arg-type]
    aanvraag = next(r for r in rows if r.kind == K.AANVRAAG_BIJSTAND.value)
    pulled = await kantoor.post_form(f"/dossiers/{case_id}/verloop/{aanvraag.id}/intrekken", {})
    assert pulled.status_code == 400
    assert len(await path.rows(case)) == before  # type: ignore[arg-type]

    # What may follow the end: the nazorg and the stop of the bijstand.
    offered = await kantoor.post_form(f"/dossiers/{case_id}/verloop", {"kind": "nazorg_aangeboden",
                                                                       "milestone_date": day})  # fmt: skip
    assert offered.status_code == 303, offered.text
    stop = await consulent.post_form(
        f"/dossiers/{case_id}/verloop", {"kind": K.EINDE_BIJSTAND.value, "milestone_date": day}
    )
    assert stop.status_code == 303, stop.text
    assert len(await path.rows(case)) == before + 2  # type: ignore[arg-type]
    # Both parties still see it, without the forms that would change it.
    for client in (kantoor, gemeente):
        page = await client.get(f"/dossiers/{case_id}")
        assert page.status_code == 200
        assert f"/dossiers/{case_id}/toewijzen" not in page.text and f"/dossiers/{case_id}/documenten" not in page.text
        assert f"/documenten/{doc.id}/intrekken" not in page.text
        assert f"/dossiers/{case_id}/corrigeren" not in page.text
        assert 'id="m-melding_wijziging-milestone_date"' not in page.text
    # A thread about the ended case goes on (nazorg, the final accounts), but no file joins the case through it.
    async with world.hub.db() as db:
        thread = await ThreadService(db, world.hub.runtime.keyring).start_thread(
            world.km_arnhem, subject="Eindafrekening", body="Kunt u de eindafrekening sturen?", case=case
        )
    shown = await kantoor.get(f"/berichten/{thread.id}")
    assert shown.status_code == 200 and 'name="body"' in shown.text and 'type="file"' not in shown.text


async def test_every_new_page_and_form_refuses_outsiders_forged_posts_and_the_wrong_role(world: World) -> None:
    path = await build_path(world)
    w = world
    case = await w.open_case(beschikking_date=None, bewind_start_date=None)
    milestone = await path.record(w.bv_x, case, K.AANMELDING_VERZONDEN, date(2025, 2, 3))
    doc = await path.document(w.bv_x, case, "overig", date(2025, 2, 3))
    day = (local_today() - timedelta(days=1)).isoformat()
    pages = [f"/dossiers/{case.id}", f"/dossiers/{case.id}/corrigeren", f"/documenten/{doc.id}/intrekken"]
    posts = {
        f"/dossiers/{case.id}/verloop": {"kind": "melding_wijziging", "milestone_date": day, "detail_date": day,
                                         "note": "Verhuisd"},
        f"/dossiers/{case.id}/verloop/{milestone.id}/intrekken": {},
        f"/dossiers/{case.id}/corrigeren": {"client_name": "Iemand Anders", "reason": "Typfout"},
        f"/documenten/{doc.id}/intrekken": {"reason": "Verkeerd document"},
        f"/dossiers/{case.id}/toewijzen": {"person_id": ""},
    }  # fmt: skip

    async def unchanged() -> None:
        fresh = await path.case(case)
        assert [r.id for r in await path.rows(case)] == [milestone.id]
        assert fresh.updated_at == case.updated_at or fresh.client_name == case.client_name
        async with w.hub.db() as db:
            assert (await db.get(Document, doc.id)).withdrawn_at is None  # type: ignore[union-attr]

    # Another kantoor under the same gemeente, another gemeente: 404 on every page and form, nothing changed.
    for outsider in (w.bv_y, w.km_berkel):
        client = await w.hub.client_for(outsider)
        for url in pages:
            assert (await client.get(url)).status_code == 404, (outsider.name, url)
        for url, data in posts.items():
            assert (await client.post_form(url, data)).status_code == 404, (outsider.name, url)
        await unchanged()
    # The other party of the case may not withdraw the kantoor's document: as if it did not exist.
    gemeente = await w.hub.client_for(w.km_arnhem)
    assert (await gemeente.get(f"/documenten/{doc.id}/intrekken")).status_code == 404
    assert (await gemeente.post_form(f"/documenten/{doc.id}/intrekken", {"reason": "x"})).status_code == 404

    # A forged POST (no CSRF token) by the kantoor itself: refused, nothing changed.
    kantoor = await w.hub.client_for(w.bv_x)
    for url, data in {**posts, "/dossiers/zoeken-op-naam": {"naam": "Johanna"}}.items():
        assert (await kantoor.post_form(url, data, csrf=False)).status_code == 403, url
        assert (await kantoor.post_form(url, {**data, "csrf_token": "x" * 43}, csrf=False)).status_code == 403, url
    await unchanged()

    # The wrong role: the gemeente's step by the kantoor, the kantoor's step by the gemeente, the lists by others.
    advies = {"kind": "advies", "milestone_date": day, "choice": "positief"}
    assert (await kantoor.post_form(f"/dossiers/{case.id}/verloop", advies)).status_code == 403
    assert (await gemeente.post_form(f"/dossiers/{case.id}/verloop/{milestone.id}/intrekken", {})).status_code == 403
    await unchanged()
    for user in (w.bv_x, w.km_arnhem, path.contractmanager, w.beheerder):
        client = await w.hub.client_for(user)
        assert (await client.get("/bijzondere-bijstand")).status_code == 403, user.name
    for user in (w.bv_x, w.km_arnhem, path.consulent, w.beheerder):
        client = await w.hub.client_for(user)
        assert (await client.get("/aanmelding-schuldhulp")).status_code == 403, user.name
    operator = await w.hub.client_for(w.beheerder)
    assert (await operator.post_form("/dossiers/zoeken-op-naam", {"naam": "Johanna"})).status_code == 403
    for url in pages:
        assert (await operator.get(url)).status_code in (403, 404), url
    for url, data in posts.items():
        assert (await operator.post_form(url, data)).status_code in (403, 404), url
    await unchanged()


async def test_an_ended_case_does_not_block_and_is_not_reopened_over_its_successor(world: World) -> None:
    path = await build_path(world)
    w = world
    first = await w.open_case()
    end = await path.record(w.bv_x, first, K.EINDE_BEWIND, date(2025, 6, 2), choice="verhuizing")
    second = await w.open_case(client_name="Johanna de Vries")  # the same BSN on the same convenant
    assert second.convenant_id == first.convenant_id and second.bsn_index == first.bsn_index
    # Withdrawing the first case's einde bewind would make two running cases for one client on one convenant.
    with pytest.raises(ValidationError) as caught:
        await path.withdraw(w.bv_x, first, end)
    assert second.reference in caught.value.errors["kind"]
    assert (await path.case(first)).status == CaseStatus.BEEINDIGD.value
    kantoor = await w.hub.client_for(w.bv_x)
    refused = await kantoor.post_form(f"/dossiers/{first.id}/verloop/{end.id}/intrekken", {})
    assert refused.status_code == 400 and second.reference in refused.text
    assert [r.void for r in await path.rows(first)] == [False, False]


# -- one case through every milestone, with its terms and reminders -------------------------------------------------

CAL = default_calendar()
REFERRAL = date(2022, 4, 22)  # a Friday: the 2 werkdagen run over the weekend
BESCHIKKING = date(2022, 5, 20)


async def sweep_twice(path: Path, day: date) -> tuple[list[tuple[str, str]], Counter[tuple[str, str]]]:
    """Two sweeps at once at 08:00 on ``day``, then a third: what was told, and the mails they queued."""
    before = {m.id for m in await path.outbox()}

    async def one() -> list[tuple[str, str]]:
        async with path.world.hub.db() as db:
            told = await sweep_case_terms(db, at(day, 8), CalendarSource(), OutboxTermNotifier(db), warn_months=(2, 1))
        return [(r.step, r.mark) for r in told]

    first, second = await asyncio.gather(one(), one())
    third = await one()
    assert third == []
    new = [m for m in await path.outbox() if m.id not in before]
    return sorted(first + second), Counter((m.kind, m.recipient_user_id or "") for m in new)


async def test_one_case_through_every_milestone_with_its_terms_and_reminders(world: World) -> None:
    path = await build_path(world)
    w = world
    bv, km, cons = w.bv_x, w.km_arnhem, path.consulent
    vandaag = MailKind.DOSSIERTERMIJN_VANDAAG.value
    verlopen = MailKind.DOSSIERTERMIJN_VERLOPEN.value
    nadert = MailKind.DOSSIERTERMIJN_NADERT.value

    def to(kind: str, *users: User) -> Counter[tuple[str, str]]:
        return Counter({(kind, u.id): 1 for u in users})

    kantoor = to(vandaag, bv, w.bv_x2)  # nobody assigned: the kantoor's bewindvoerders

    async def status() -> str:
        return (await path.case(case)).status

    async def due(step: str) -> datetime:
        return (await path.terms(case))[step].due_at

    # Aanmelding before the beschikking (§2.1), after a referral by the FEW (§2.1b).
    case = await w.open_case(beschikking_date=None, bewind_start_date=None)
    assert await status() == CaseStatus.AANGEMELD.value and await path.terms(case) == {}
    await path.record(km, case, K.VERWIJZING, REFERRAL, choice="few", now=at(REFERRAL))
    contact_due = contact_nieuwe_klant_due(at(REFERRAL, 12), calendar=CAL)
    afspraak_due = afspraak_nieuwe_klant_due(at(REFERRAL, 12), calendar=CAL)
    assert (await due("contact_nieuwe_klant"), await due("afspraak_nieuwe_klant")) == (contact_due, afspraak_due)
    assert contact_due.astimezone(AMSTERDAM).date() == date(2022, 4, 26)  # Tuesday (27 April: Koningsdag, Wednesday)
    assert await sweep_twice(path, contact_due.date() - timedelta(days=1)) == ([], Counter())
    assert await sweep_twice(path, contact_due.date()) == ([("contact_nieuwe_klant", "vandaag")], kantoor)
    late = contact_due.date() + timedelta(days=1)
    assert await sweep_twice(path, late) == ([("contact_nieuwe_klant", "verlopen")],
                                             to(verlopen, bv, w.bv_x2))  # fmt: skip
    await path.record(bv, case, K.CONTACT_NIEUWE_KLANT, late, now=at(late, 9))
    assert "contact_nieuwe_klant" not in await path.terms(case)
    assert await sweep_twice(path, afspraak_due.date()) == ([("afspraak_nieuwe_klant", "vandaag")], kantoor)
    await path.record(bv, case, K.AFSPRAAK_NIEUWE_KLANT, afspraak_due.date(), now=at(afspraak_due.date(), 11))
    assert await sweep_twice(path, afspraak_due.date() + timedelta(days=1)) == ([], Counter())
    await path.record(bv, case, K.AANMELDING_VERZONDEN, date(2022, 5, 3), now=at(date(2022, 5, 3)))
    await path.record(km, case, K.ADVIES, date(2022, 5, 6), choice="positief", detail_date=date(2022, 5, 6),
                      now=at(date(2022, 5, 6)))  # fmt: skip
    assert await status() == CaseStatus.AANGEMELD.value and await path.terms(case) == {}

    # The beschikking: actief; the 3 months of §2.2 and the 12 of §2.3 run.
    proof = await path.document(bv, case, "benoemingsbeschikking", BESCHIKKING)
    await path.record(bv, case, K.BESCHIKKING, BESCHIKKING, detail_date=BESCHIKKING, evidence_document_id=proof.id,
                      now=at(BESCHIKKING + timedelta(days=2)))  # fmt: skip
    assert await status() == CaseStatus.ACTIEF.value
    bijstand_due = aanvraag_bijzondere_bijstand_due(BESCHIKKING, calendar=CAL)
    schuldhulp = aanmelding_schuldhulp_due(BESCHIKKING, calendar=CAL)
    assert (await due("aanvraag_bijzondere_bijstand"), await due("aanmelding_schuldhulp")) == (bijstand_due, schuldhulp)
    bijstand_day = bijstand_due.astimezone(AMSTERDAM).date()
    assert await sweep_twice(path, bijstand_day) == ([("aanvraag_bijzondere_bijstand", "vandaag")], kantoor)
    await path.apply_bijstand(bv, case, bijstand_day, now=at(bijstand_day, 15))
    assert "aanvraag_bijzondere_bijstand" not in await path.terms(case)
    assert await sweep_twice(path, bijstand_day + timedelta(days=1)) == ([], Counter())
    await path.record(cons, case, K.BESLUIT_BIJSTAND, bijstand_day + timedelta(days=20), choice="toegekend",
                      now=at(bijstand_day + timedelta(days=20)))  # fmt: skip
    assert await status() == CaseStatus.ACTIEF.value

    # §2.3: warned 2 and 1 months ahead (kantoor and contractmanager), each once; the aanmelding in time.
    twelve = schuldhulp.astimezone(AMSTERDAM).date()
    warned = to(nadert, bv, w.bv_x2, path.contractmanager)
    assert await sweep_twice(path, add_months(twelve, -2)) == ([("aanmelding_schuldhulp", "nadert-2")], warned)
    assert await sweep_twice(path, add_months(twelve, -2) + timedelta(days=7)) == ([], Counter())
    assert await sweep_twice(path, add_months(twelve, -1)) == ([("aanmelding_schuldhulp", "nadert-1")], warned)
    aanmelding = add_months(twelve, -1) + timedelta(days=3)
    await path.record(bv, case, K.AANMELDING_SCHULDHULP, aanmelding, now=at(aanmelding))
    assert "aanmelding_schuldhulp" not in await path.terms(case)
    assert await sweep_twice(path, twelve) == ([], Counter())

    # The schuldregeling (BSHV): in schuldregeling; the uitstroomverslag due in the first quarter of year 3.
    start = aanmelding + timedelta(days=30)
    await path.record(km, case, K.START_SCHULDREGELING, start, choice="wsnp", now=at(start))
    assert await status() == CaseStatus.IN_SCHULDREGELING.value
    opens, verslag_due = uitstroomverslag_window(start, calendar=CAL)
    assert await due("uitstroomverslag") == verslag_due
    verslag_day = verslag_due.astimezone(AMSTERDAM).date()
    assert await sweep_twice(path, opens) == ([], Counter())
    assert await sweep_twice(path, verslag_day) == ([("uitstroomverslag", "vandaag")], kantoor)
    # Missing after its term: the kantoor and BSHV (the gemeente's klantmanager) are told, once.
    missing = verslag_day + timedelta(days=1)
    assert await sweep_twice(path, missing) == ([("uitstroomverslag", "verlopen")], to(verlopen, bv, w.bv_x2, km))
    report = await path.document(bv, case, "uitstroomverslag", missing)
    await path.record(bv, case, K.UITSTROOMVERSLAG, missing + timedelta(days=1), choice="zelfstandig",
                      evidence_document_id=report.id, now=at(missing + timedelta(days=1)))  # fmt: skip
    assert await status() == CaseStatus.UITSTROOM.value and await path.terms(case) == {}

    # Einde bewind: beëindigd; then only nazorg and the stop of the bijstand.
    end = missing + timedelta(days=40)
    await path.record(bv, case, K.EINDE_BEWIND, end, choice="schulden_opgelost", now=at(end))
    assert await status() == CaseStatus.BEEINDIGD.value
    await path.record(cons, case, K.EINDE_BIJSTAND, end + timedelta(days=1), now=at(end + timedelta(days=1)))
    await path.record(bv, case, K.NAZORG_AANGEBODEN, end + timedelta(days=2), now=at(end + timedelta(days=2)))
    await path.record(bv, case, K.NAZORG_GEACCEPTEERD, end + timedelta(days=5), now=at(end + timedelta(days=5)))
    await path.record(km, case, K.NAZORG_BEEINDIGD, end + timedelta(days=90), now=at(end + timedelta(days=90)))
    assert await status() == CaseStatus.BEEINDIGD.value and await path.terms(case) == {}
    assert await sweep_twice(path, end + timedelta(days=100)) == ([], Counter())

    # The timeline on the page: every step done, the late contact marked so; the start page owes nothing.
    page = (await (await w.hub.client_for(bv)).get(f"/dossiers/{case.id}")).text
    assert "Beëindigd" in page and "Te laat" not in page.split('id="path-title"')[1].split("</section>")[0]
    async with w.hub.db() as db:
        notices = (await db.execute(select(func.count()).select_from(CaseTermNotice))).scalar_one()
    assert notices == 8  # contact ×2, afspraak, bijstand, schuldhulp ×2, uitstroomverslag ×2: one each


async def test_crafted_posts_for_evidence_dates_search_and_bsn(world: World, caplog: pytest.LogCaptureFixture) -> None:
    path = await build_path(world)
    w = world
    case = await w.open_case()
    kantoor = await w.hub.client_for(w.bv_x)
    day = (local_today() - timedelta(days=1)).isoformat()
    # §2.2 via a crafted POST: evidence of another case of the kantoor, of another kantoor's case, an unknown id.
    checklist = await path.checklist(w.bv_x, case, date(2025, 3, 10))
    own_other = await w.open_case(bsn=BSN_2, client_name="Pieter Bakker")
    theirs = await w.open_case(w.bv_y, convenant_id=w.arnhem_ypsilon.id)
    foreign = [
        (await path.document(w.bv_x, own_other, "nota_periodieke_kosten", date(2025, 3, 10))).id,
        (await path.document(w.bv_y, theirs, "nota_periodieke_kosten", date(2025, 3, 10))).id,
        "0" * 32,
    ]
    base = {"kind": K.AANVRAAG_BIJSTAND.value, "milestone_date": day,
            "evidence_benoemingsbeschikking": checklist["benoemingsbeschikking"]}  # fmt: skip
    texts = []
    for document_id in foreign:
        refused = await kantoor.post_form(
            f"/dossiers/{case.id}/verloop", {**base, "evidence_nota_periodieke_kosten": document_id}
        )
        assert refused.status_code == 400
        texts.append(refused.text.split('<div class="error-summary"')[1].split("</div>")[0])
    assert texts[0] == texts[1] == texts[2]  # another kantoor's document is not told apart from none
    assert "Kies een document van dit dossier dat niet is ingetrokken." in texts[1]
    # Without the nota at all; with the CAK-nota asked for (beschermd wonen) but not given.
    assert (await kantoor.post_form(f"/dossiers/{case.id}/verloop", base)).status_code == 400
    cak = {**base, "evidence_nota_periodieke_kosten": checklist["nota_periodieke_kosten"], "beschermd_wonen": "ja"}
    missing = await kantoor.post_form(f"/dossiers/{case.id}/verloop", cak)
    assert missing.status_code == 400 and "de cak-nota ontbreekt" in missing.text
    assert [r.kind for r in await path.rows(case)] == ["beschikking"]

    # A document dated in the future: refused by the page and the service, nothing kept.
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    fields = upload_fields(kantoor.csrf_token, "overig", tomorrow)
    future = await post_upload(kantoor, case.id, "brief.pdf", PDF, fields=fields)
    assert future.status_code == 400 and "kan niet in de toekomst liggen" in future.text
    with pytest.raises(UploadRefused):
        await path.document(w.bv_x, case, "overig", local_today() + timedelta(days=1))
    today_ok = await path.document(w.bv_x, case, "overig", local_today())
    async with w.hub.db() as db:
        dates = (await db.execute(select(Document.document_date).where(Document.case_id == case.id))).scalars()
        assert max(dates) == today_ok.document_date == local_today()

    # The name search: POST only, the name in no URL, audit record or log line.
    caplog.set_level(logging.DEBUG)
    # (GET falls through to /dossiers/{case_id}, which knows no case "zoeken-op-naam": 404, nothing searched.)
    assert (await kantoor.get("/dossiers/zoeken-op-naam?naam=Johanna")).status_code in (404, 405)
    found = await kantoor.post_form("/dossiers/zoeken-op-naam", {"naam": "DE VRIES"})
    assert found.status_code == 200 and f'href="/dossiers/{case.id}"' in found.text
    assert theirs.id not in found.text and "vries" not in str(found.url).lower()
    async with w.hub.db() as db:
        audit_rows = (await db.execute(select(AuditEvent))).scalars().all()
    dumped = " ".join(str(r.model_dump()) for r in audit_rows).lower()
    assert "vries" not in dumped and "johanna" not in dumped and BSN_1 not in dumped
    logged = " ".join(f"{r.getMessage()} {r.args}" for r in caplog.records).lower()
    assert "vries" not in logged and BSN_1 not in logged

    # A BSN corrected to another running case's BSN on the convenant: refused; to an ended case's: allowed.
    gemeente = await w.hub.client_for(w.km_arnhem)  # (the gemeente's form: the identity only)
    taken = await gemeente.post_form(f"/dossiers/{own_other.id}/corrigeren", {
        "client_name": "Pieter Bakker", "bsn": BSN_1, "birth_date": "1968-05-17", "reason": "BRP"})  # fmt: skip
    assert taken.status_code == 400 and case.reference in taken.text
    assert (await path.case(own_other)).bsn_index != case.bsn_index
    await path.record(w.bv_x, case, K.EINDE_BEWIND, date(2025, 6, 2), choice="overlijden")
    # Now only Kantoor Ypsilon's case under the other convenant remains: the gemeente, party to both, confirms.
    correction = {"client_name": "Pieter Bakker", "bsn": BSN_1, "birth_date": "1968-05-17", "reason": "BRP"}
    warned = await gemeente.post_form(f"/dossiers/{own_other.id}/corrigeren", correction)
    assert warned.status_code == 400 and "onder een ander convenant" in warned.text and theirs.reference in warned.text
    freed = await gemeente.post_form(f"/dossiers/{own_other.id}/corrigeren", {**correction, "confirm_duplicate": "ja"})
    assert freed.status_code == 303, freed.text
    assert (await path.case(own_other)).bsn_index == case.bsn_index


async def test_one_step_recorded_twice_at_once_is_kept_once(world: World) -> None:
    path = await build_path(world)
    w = world
    case = await w.open_case()
    day = date(2025, 9, 1)
    outcomes = await asyncio.gather(
        path.record(w.bv_x, case, K.AANMELDING_SCHULDHULP, day),
        path.record(w.bv_x2, case, K.AANMELDING_SCHULDHULP, day),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 1 and "al vastgelegd" in refused[0].errors["kind"], outcomes
    assert [r.kind for r in await path.rows(case)] == ["beschikking", "aanmelding_schuldhulp"]
    # The start page of another kantoor and another gemeente shows nothing of this case.
    for outsider in (w.bv_y, w.km_berkel):
        page = (await (await w.hub.client_for(outsider)).get("/")).text
        assert case.reference not in page and case.id not in page


async def test_a_schuldenbewind_step_recorded_already_or_too_early_says_so(world: World) -> None:
    path = await build_path(world)
    case = await world.open_case()  # schuldenbewind
    with pytest.raises(ValidationError) as caught:
        await path.record(world.km_arnhem, case, K.START_SCHULDREGELING, date(2025, 9, 1), choice="minnelijk")
    assert caught.value.errors["kind"] == "Leg eerst vast: aanmelding schuldhulpverlening."
    await path.record(world.bv_x, case, K.AANMELDING_SCHULDHULP, date(2025, 9, 1))
    with pytest.raises(ValidationError) as caught:
        await path.record(world.bv_x, case, K.AANMELDING_SCHULDHULP, date(2025, 9, 2))
    assert "al vastgelegd" in caught.value.errors["kind"]
    toestand = await world.open_case(bsn=BSN_2, bewind_kind="toestandenbewind")
    with pytest.raises(ValidationError) as caught:
        await path.record(world.bv_x, toestand, K.AANMELDING_SCHULDHULP, date(2025, 9, 1))
    assert caught.value.errors["kind"] == "Deze stap hoort alleen bij schuldenbewind."


async def test_a_bsn_correction_says_nothing_of_another_kantoors_case(world: World) -> None:
    w = world
    theirs = await w.open_case(w.bv_y, convenant_id=w.arnhem_ypsilon.id, bsn=BSN_3, client_name="Yvonne Ypma")
    mine = await w.open_case(bsn=BSN_2, client_name="Pieter Bakker")
    kantoor = await w.hub.client_for(w.bv_x)
    form = (await kantoor.get(f"/dossiers/{mine.id}/corrigeren")).text
    assert 'name="rechtbank"' in form  # the kantoor's form: identity and bewind data
    fields = {"client_name": "Pieter Bakker", "bsn": BSN_3, "birth_date": "1968-05-17", "bewind_kind": "beide",
              "beschikking_date": "2025-03-04", "bewind_start_date": "2025-03-04",
              "rechtbank": "Rechtbank Gelderland", "reason": "BRP"}  # fmt: skip
    done = await kantoor.post_form(f"/dossiers/{mine.id}/corrigeren", fields)
    assert done.status_code == 303, done.text.split('<div class="error-summary"')[-1][:600]
    page = (await kantoor.get(done.headers["location"])).text
    for trace in (theirs.reference, theirs.id, "Ypsilon", "ander convenant"):
        assert trace not in page
    # The history: who, what; old and new values encrypted at rest, shown to the parties only.
    async with w.hub.db() as db:
        rows = (await db.execute(select(CaseCorrection).where(CaseCorrection.case_id == mine.id))).scalars().all()
    assert {r.field_name for r in rows} >= {"bsn", "bewind_kind"}
    assert all(BSN_2.encode() not in r.old_value and BSN_3.encode() not in r.new_value for r in rows)
    history = page.split('id="corrections-title"')[1].split("</section>")[0]
    assert "Bas Bewindvoerder (Kantoor Xander)" in history and BSN_2 in history and BSN_3 in history
    outsider = await w.hub.client_for(w.bv_y)
    assert (await outsider.get(f"/dossiers/{mine.id}")).status_code == 404


async def test_an_einde_bewind_withdrawal_that_raced_a_new_case_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if the newer case was opened between the check and the write: the unique index refuses, the user is told,
    nothing is kept."""
    path = await build_path(world)
    first = await world.open_case()
    end = await path.record(world.bv_x, first, K.EINDE_BEWIND, date(2025, 6, 2), choice="overlijden")
    await world.open_case()

    async def blind(*args: object, **kwargs: object) -> None:
        return None

    monkeypatch.setattr("hub.cases.milestone_service.find_duplicate", blind)
    with pytest.raises(ValidationError) as caught:
        await path.withdraw(world.bv_x, first, end)
    assert "Er is zojuist een nieuw dossier voor deze cliënt" in caught.value.errors["kind"]
    assert (await path.case(first)).status == CaseStatus.BEEINDIGD.value
    assert [r.void for r in await path.rows(first)] == [False, False]


async def test_a_case_opened_through_the_form_before_the_court_decides(world: World) -> None:
    kantoor = await world.hub.client_for(world.bv_x)
    form = {"convenant_id": world.arnhem_xander.id, "client_name": "Hendrika Mulder-Smit", "bsn": BSN_2,
            "birth_date": "1959-11-02", "beschikking_date": "", "bewind_start_date": "", "bewind_kind": "beide",
            "rechtbank": "Rechtbank Gelderland", "bewindvoerder_id": world.bv_x.id}  # fmt: skip
    future = (local_today() + timedelta(days=3)).isoformat()
    refused = await kantoor.post_form("/dossiers/nieuw", {**form, "beschikking_date": future})
    assert refused.status_code == 400
    opened = await kantoor.post_form("/dossiers/nieuw", form)
    assert opened.status_code == 303, opened.text.split('<div class="error-summary"')[-1][:500]
    page = (await kantoor.get(opened.headers["location"])).text
    assert "Aangemeld" in page and "Nog niet: de rechtbank heeft nog niet beslist" in page
    # The gemeente's list shows it as aangemeld; the kantoor's start page owes no term yet.
    gemeente = await world.hub.client_for(world.km_arnhem)
    listing = (await gemeente.get("/dossiers")).text
    assert "Aangemeld" in listing


async def test_a_corrected_bewind_kind_moves_the_terms(world: World) -> None:
    """Corrected to toestandenbewind: no schuldhulp term runs any more, nothing is mailed about it."""
    path = await build_path(world)
    case = await world.open_case(beschikking_date=BESCHIKKING, bewind_start_date=BESCHIKKING)
    await sweep_twice(path, BESCHIKKING)  # the terms computed
    assert set(await path.terms(case)) == {"aanvraag_bijzondere_bijstand", "aanmelding_schuldhulp"}
    async with world.hub.db() as db:
        await CaseService(db, world.hub.runtime.keyring).correct_case(
            world.bv_x, case.id, {"bewind_kind": "toestandenbewind"}, reason="Beschikking nagelezen"
        )
    twelve = aanmelding_schuldhulp_due(BESCHIKKING, calendar=CAL).astimezone(AMSTERDAM).date()
    assert await sweep_twice(path, add_months(twelve, -2)) == ([], Counter())
    assert set(await path.terms(case)) == {"aanvraag_bijzondere_bijstand"}
