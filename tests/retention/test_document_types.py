"""Retention per document type: an old CAK-nota on a running case goes after its period (from its date, at least a
year after its upload), while documents that follow their case, a milestone's evidence, an attachment and a document
of a case on legal hold stay; an organisation's own rule (`hub retention document-years`) counts, and a document
keeps the longer rule of its two parties. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from hub.audit.models import AuditEvent
from hub.audit.services import verify
from hub.calendars.services import CalendarSource
from hub.cases.milestones import K
from hub.cli import main
from hub.cli.retention import describe
from hub.db import utcnow
from hub.documents.models import Document
from hub.messaging.threads import ThreadService
from hub.retention.components import policy_of
from hub.retention.due import DueItems
from hub.retention.legal_hold import place_hold
from hub.retention.run import plan
from tests.cases.world import BSN_1, BSN_2, World
from tests.retention.scene import build_scene

OLD = date(2018, 3, 1)  # far more than 7 years before the runs below


def years_later(years: float) -> datetime:
    """A moment that many years after now: the documents below are uploaded now."""
    return utcnow() + timedelta(days=round(365.25 * years))


async def test_an_old_nota_on_a_running_case_goes_and_what_must_stay_stays(world: World) -> None:
    scene = await build_scene(world)
    w, path = world, scene.path
    case = await w.open_case(client_name="Johanna de Vries", bsn=BSN_1)
    old_cak = await path.document(w.bv_x, case, "cak_nota", OLD)
    new_cak = await path.document(w.bv_x, case, "cak_nota", utcnow().date())
    old_beschikking = await path.document(w.bv_x, case, "benoemingsbeschikking", OLD)
    attached_cak = await path.document(w.bv_x, case, "cak_nota", OLD)
    evidence_nota = await path.document(w.bv_x, case, "nota_periodieke_kosten", OLD)
    await path.record(
        w.bv_x, case, K.AANVRAAG_BIJSTAND, utcnow().date(),
        checklist={"benoemingsbeschikking": old_beschikking.id, "nota_periodieke_kosten": evidence_nota.id},
    )  # fmt: skip
    async with w.hub.db() as db:
        thread = await ThreadService(db, scene.keyring, calendars=CalendarSource()).start_thread(
            w.bv_x, subject="CAK", body="Klopt deze nota?", case=case.id
        )
    async with w.hub.db() as db:
        await ThreadService(db, scene.keyring, calendars=CalendarSource()).post_message(
            w.km_arnhem, thread.id, "Zie de nota.", attachment_ids=[attached_cak.id]
        )
    held = await w.open_case(client_name="Pieter Bakker", bsn=BSN_2)
    held_cak = await path.document(w.bv_x, held, "cak_nota", OLD)
    async with w.hub.db() as db:
        await place_hold(db, scene.keyring, w.km_arnhem, held.id, "bezwaarprocedure loopt")

    # Just uploaded: an old nota stays its first year in the hub.
    assert (await scene.run(years_later(0.5))).expired_documents == 0

    result = await scene.run(years_later(1.5))

    assert (result.cases, result.documents, result.expired_documents) == (0, 0, 1)
    assert await scene.rows_naming(old_cak.id) == {}
    assert not scene.blob_path(old_cak).exists()
    async with w.hub.db() as db:
        for kept in (new_cak, old_beschikking, attached_cak, evidence_nota, held_cak):
            assert await db.get(Document, kept.id) is not None, kept.doc_type
            assert scene.blob_path(kept).exists()
        events = (await db.execute(select(AuditEvent).order_by(col(AuditEvent.seq)))).scalars().all()
        deleted = {(e.action, e.organisation_id, e.user_id) for e in events if e.object_id == old_cak.id}
        assert {("document.delete", w.arnhem.id, None), ("document.delete", w.xander.id, None)} <= deleted
        assert (await verify(db)).ok
    # The nota of today goes once its own 7 years passed; the rest still stays.
    assert (await scene.run(years_later(7.5))).expired_documents == 1
    async with w.hub.db() as db:
        assert await db.get(Document, new_cak.id) is None
        assert await db.get(Document, attached_cak.id) is not None


@pytest.fixture
def cli_env(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_DATA_DIR", str(world.hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", world.hub.settings.database_url)


async def test_an_organisations_own_rule_per_type_and_the_longer_rule_of_both_parties(
    world: World, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = await build_scene(world)
    w = world
    case = await w.open_case(client_name="Johanna de Vries", bsn=BSN_1)
    cak = await scene.path.document(w.bv_x, case, "cak_nota", OLD)
    beschikking = await scene.path.document(w.bv_x, case, "benoemingsbeschikking", OLD)
    rt = w.hub.runtime

    async def due() -> list[str]:
        now = years_later(1.5)
        return (await plan(rt.sessions, policy_of(rt), now, now.date())).expired_document_ids

    async def hub(*args: str) -> int:
        return await asyncio.to_thread(main, ["retention", "document-years", *args])

    assert await due() == [cak.id]
    assert await hub("--organisation", w.xander.id, "--type", "cak_nota", "--follow-case") == 0
    assert "documents of type cak_nota are kept as long as their case" in capsys.readouterr().out
    assert await due() == []  # the kantoor keeps it with the case: the longer rule wins
    assert await hub("--organisation", w.xander.id, "--type", "cak_nota", "--default") == 0
    assert "kept 7 year(s) after their date (the default)" in capsys.readouterr().out
    assert await due() == [cak.id]

    assert await hub("--organisation", w.arnhem.id, "--type", "benoemingsbeschikking", "--years", "5") == 0
    assert beschikking.id not in await due()  # the kantoor still follows the case
    assert await hub("--organisation", w.xander.id, "--type", "benoemingsbeschikking", "--years", "3") == 0
    assert await due() == sorted([cak.id, beschikking.id])  # same date: by id

    # Bad input: nothing changed.
    assert await hub("--organisation", w.xander.id, "--type", "nota", "--years", "3") == 2
    assert await hub("--organisation", w.xander.id, "--type", "cak_nota", "--years", "0") == 2
    assert beschikking.id in await due()
    async with w.hub.db() as db:
        changes = (
            await db.execute(select(AuditEvent).where(AuditEvent.action == "organisation.retention_changed"))
        ).scalars()
        assert [(e.organisation_id, e.user_id) for e in changes] == [
            (w.xander.id, None), (w.xander.id, None), (w.arnhem.id, None), (w.xander.id, None)
        ]  # fmt: skip


def test_the_dry_run_lists_documents_past_their_types_period() -> None:
    lines = describe(DueItems(expired_document_ids=["d1", "d2"]))
    at = lines.index("Documents past their type's period to delete: 2")
    assert lines[at + 1 : at + 3] == ["  document d1", "  document d2"]
