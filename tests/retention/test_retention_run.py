"""Retention deletes an ended case with everything on it once its period passed, shreds its keys, keeps a case on
legal hold and a running case, and records the deletion (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from crypto import CryptoError, decrypt_bytes
from hub.audit.models import AuditEvent
from hub.audit.services import verify
from hub.cases.models import Case
from hub.documents.models import Document
from hub.retention.legal_hold import lift_hold, place_hold
from tests.cases.world import BSN_1, BSN_2, BSN_3, World
from tests.retention.scene import LONG_AFTER, build_scene


async def test_a_case_past_its_period_is_gone_with_its_keys_and_a_held_case_survives(
    world: World, tmp_path: Path
) -> None:
    scene = await build_scene(world)
    gone, gone_doc = await scene.full_case(BSN_1, "Johanna de Vries")
    held, held_doc = await scene.full_case(BSN_2, "Pieter Bakker")
    running, running_doc = await scene.full_case(BSN_3, "Klaas Jansen", ended=False)
    async with world.hub.db() as db:
        await place_hold(db, scene.keyring, world.km_arnhem, held.id, "bezwaarprocedure loopt")
    backup = scene.copy_blob(gone_doc, tmp_path)
    # The backup decrypts as long as the row holds the wrapped key: the check below can fail.
    key = scene.keyring.unwrap(gone_doc.wrapped_key, associated_data=gone_doc.id.encode())
    assert decrypt_bytes(key, gone_doc.id, backup.read_bytes()).startswith(b"%PDF")
    before = await scene.rows_naming(gone.id)
    assert {"dossier", "case_milestone", "case_correction", "case_name_token", "document", "message_thread"} <= set(
        before
    )

    result = await scene.run()

    assert (result.cases, result.held) == (1, 1)
    assert await scene.rows_naming(gone.id) == {}
    assert await scene.rows_naming(gone_doc.id) == {}
    assert not scene.blob_path(gone_doc).exists()
    # No wrapped key for the document is left anywhere: nothing in the database unwraps for it, so the backup copy
    # can no longer be decrypted with the keyring.
    for value in await scene.binary_values():
        with pytest.raises(CryptoError):
            scene.keyring.unwrap(value, associated_data=gone_doc.id.encode())
    # The case on legal hold and the running case are untouched, blobs included.
    for case, document in ((held, held_doc), (running, running_doc)):
        assert "message_thread" in await scene.rows_naming(case.id)
        assert scene.blob_path(document).exists()
    async with world.hub.db() as db:
        assert await db.get(Case, gone.id) is None
        events = (await db.execute(select(AuditEvent).order_by(col(AuditEvent.seq)))).scalars().all()
        deleted = [(e.action, e.organisation_id, e.user_id) for e in events if e.object_id == gone.id]
        assert ("case.delete", world.arnhem.id, None) in deleted and ("case.delete", world.xander.id, None) in deleted
        assert ("case.open", world.xander.id, world.bv_x.id) in deleted  # the earlier records stay
        runs = [e for e in events if e.action == "retention.run"]
        assert [(e.object_type, e.object_id) for e in runs] == [("retention", "worker")]
        assert (await verify(db)).ok
    # A second run finds nothing more.
    again = await scene.run()
    assert (again.cases, again.documents) == (0, 0)


async def test_a_case_within_its_period_stays_and_lifting_the_hold_lets_it_go(world: World) -> None:
    scene = await build_scene(world)
    case, _ = await scene.full_case(BSN_1, "Johanna de Vries")
    async with world.hub.db() as db:
        await place_hold(db, scene.keyring, world.bv_x, case.id, "klacht bij de kantonrechter")
    early = await scene.run(LONG_AFTER - timedelta(days=365 * 3))  # under 7 years after the end
    assert early.cases == 0 and early.held == 0
    assert (await scene.run()).held == 1
    async with world.hub.db() as db:
        await lift_hold(db, world.km_arnhem, case.id)
    assert (await scene.run()).cases == 1


async def test_a_withdrawn_document_goes_after_its_period_and_old_settled_outbox_rows_go(world: World) -> None:
    from hub.documents.withdrawal import DocumentWithdrawal
    from hub.notifications.models import MailStatus, OutboxMail

    scene = await build_scene(world)
    case, document = await scene.full_case(BSN_1, "Johanna de Vries", ended=False)
    kept = await scene.path.document(world.bv_x, case, "overig", document.document_date or LONG_AFTER.date())
    async with world.hub.db() as db:
        await DocumentWithdrawal(db, scene.keyring).withdraw(world.bv_x2, document.id, "verkeerd dossier")
        rows = list((await db.execute(select(OutboxMail).order_by(col(OutboxMail.id)))).scalars())
        assert len(rows) > 1  # the thread's notices
        # Only settled mails go: the first was sent; the others still wait for the worker and must survive.
        rows[0].status = MailStatus.SENT.value
        db.add(rows[0])
        await db.commit()
        waiting = {r.id for r in rows[1:]}
    result = await scene.run()
    assert (result.cases, result.documents, result.outbox_rows) == (0, 1, 1)
    async with world.hub.db() as db:
        assert {r.id for r in (await db.execute(select(OutboxMail))).scalars()} == waiting
        assert await db.get(Document, document.id) is None
        assert await db.get(Document, kept.id) is not None
        assert await db.get(Case, case.id) is not None
    assert not scene.blob_path(document).exists() and scene.blob_path(kept).exists()


async def test_the_worker_runs_retention_once_a_day(world: World) -> None:
    from hub.worker import worker_for

    scene = await build_scene(world)
    case, _ = await scene.full_case(BSN_1, "Johanna de Vries")
    worker = worker_for(world.hub.runtime)
    await worker.sweep(LONG_AFTER - timedelta(days=365 * 3))  # within the period: kept, and today's run is done
    await worker.sweep(LONG_AFTER)  # past the period: deleted (a day later)
    await worker.sweep(LONG_AFTER + timedelta(hours=2))  # the same day: no second run
    async with world.hub.db() as db:
        assert await db.get(Case, case.id) is None
        runs = (await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "retention.run"))).scalars()
        assert [r.object_id for r in runs] == ["worker", "worker"]


async def test_nazorg_after_the_end_moves_the_day_the_period_starts(world: World) -> None:
    from datetime import date

    from hub.cases.milestones import K

    scene = await build_scene(world)
    case, _ = await scene.full_case(BSN_1, "Johanna de Vries")
    await scene.path.record(world.bv_x, case, K.NAZORG_AANGEBODEN, date(2026, 6, 1))
    assert (await scene.run(LONG_AFTER)).cases == 0  # 7 years after einde bewind, not after the nazorg
    assert (await scene.run(LONG_AFTER + timedelta(days=200))).cases == 1
