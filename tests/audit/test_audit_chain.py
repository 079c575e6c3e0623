"""The audit log's hash chain on SQLite and PostgreSQL: appending, verifying, and finding where it was tampered with."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from hub import migrate
from hub.audit.models import AuditEvent, AuditHead
from hub.audit.services import GENESIS_HASH, chain_hash, record, verify
from hub.cli import main
from hub.db import create_engine, session_factory, transaction
from tests.support.hubclient import HubUnderTest

ACTIONS = ("case.open", "case.view", "document.upload", "case.view", "case.search_bsn")


async def append(hub: HubUnderTest, n: int = len(ACTIONS)) -> list[AuditEvent]:
    events = []
    for i in range(n):
        async with hub.db() as db:
            events.append(
                await record(
                    db,
                    user_id=f"user{i % 2}",
                    organisation_id="org1",
                    action=ACTIONS[i % len(ACTIONS)],
                    object_type="dossier",
                    object_id=f"case{i}" if i != 4 else "-",
                )
            )
    return events


async def lift_guard(db: AsyncSession) -> None:
    """Play an attacker who may change the schema too: remove the triggers that refuse changes to the log."""
    if db.bind.dialect.name == "postgresql":
        await db.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    else:
        await db.execute(text("DROP TRIGGER audit_event_no_update"))
        await db.execute(text("DROP TRIGGER audit_event_no_delete"))


async def test_the_database_refuses_changes_to_the_log(hub: HubUnderTest) -> None:
    await append(hub)
    for statement in (
        update(AuditEvent).where(AuditEvent.seq == 3).values(action="case.open"),
        delete(AuditEvent).where(AuditEvent.seq == 2),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with hub.db() as db:
                await db.execute(statement)
    async with hub.db() as db:
        assert (await verify(db)).ok and (await verify(db)).count == len(ACTIONS)


async def test_append_links_each_record_to_the_previous(hub: HubUnderTest) -> None:
    events = await append(hub)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    async with hub.db() as db:
        stored = list((await db.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())
        head = await db.get(AuditHead, 1)
    assert head is not None and (head.seq, head.hash) == (5, events[-1].hash)
    # What was stored hashes to what was computed before storing (the moment survives the round trip).
    for event in stored:
        assert event.at.tzinfo is not None
        assert (
            chain_hash(
                seq=event.seq,
                at=event.at,
                user_id=event.user_id,
                organisation_id=event.organisation_id,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                prev_hash=event.prev_hash,
            )
            == event.hash
        )


async def test_verify_an_empty_and_a_sound_chain(hub: HubUnderTest) -> None:
    async with hub.db() as db:
        assert (await verify(db)).ok
    await append(hub)
    async with hub.db() as db:
        result = await verify(db, batch_size=2)  # several batches
    assert result.ok and result.count == 5 and result.first_broken_seq is None


async def test_a_record_rolled_back_leaves_no_gap(hub: HubUnderTest) -> None:
    await append(hub, 2)
    with pytest.raises(RuntimeError):
        async with hub.db() as db:
            await record(db, user_id="u", organisation_id="o", action="case.view", object_type="dossier",
                         object_id="c")  # fmt: skip
            raise RuntimeError("the request failed")
    await append(hub, 1)
    async with hub.db() as db:
        result = await verify(db)
    assert result.ok and result.count == 3


@pytest.mark.parametrize("column", ["action", "object_id", "user_id", "at"])
async def test_changing_a_field_breaks_the_chain_at_that_record(hub: HubUnderTest, column: str) -> None:
    await append(hub)
    values = {
        "action": "case.open",
        "object_id": "another",
        "user_id": "someone-else",
        "at": datetime(2020, 1, 1, tzinfo=UTC),
    }
    async with hub.db() as db:
        await lift_guard(db)
        await db.execute(update(AuditEvent).where(AuditEvent.seq == 3).values({column: values[column]}))
    async with hub.db() as db:
        result = await verify(db, batch_size=2)
    assert not result.ok
    assert result.first_broken_seq == 3
    assert result.count == 2


async def test_recomputing_the_hash_of_a_changed_record_still_breaks_the_next_link(hub: HubUnderTest) -> None:
    events = await append(hub)
    forged = chain_hash(
        seq=3,
        at=events[2].at,
        user_id=events[2].user_id,
        organisation_id="org1",
        action="case.open",
        object_type="dossier",
        object_id=events[2].object_id,
        prev_hash=events[2].prev_hash,
    )
    async with hub.db() as db:
        await lift_guard(db)
        await db.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(action="case.open", hash=forged))
    async with hub.db() as db:
        result = await verify(db)
    assert not result.ok and result.first_broken_seq == 4


async def test_deleting_a_record_is_found(hub: HubUnderTest) -> None:
    await append(hub)
    async with hub.db() as db:
        await lift_guard(db)
        await db.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    async with hub.db() as db:
        result = await verify(db)
    assert not result.ok and result.first_broken_seq == 2 and result.count == 1


async def test_deleting_the_newest_records_is_found(hub: HubUnderTest) -> None:
    await append(hub)
    async with hub.db() as db:
        await lift_guard(db)
        await db.execute(delete(AuditEvent).where(AuditEvent.seq >= 4))
    async with hub.db() as db:
        result = await verify(db)
    assert not result.ok and result.first_broken_seq == 4 and result.count == 3


async def test_concurrent_writers_never_fork_the_chain(hub: HubUnderTest) -> None:
    async def one(i: int) -> None:
        async with hub.db() as db:
            await record(db, user_id=f"u{i}", organisation_id="o", action="case.view", object_type="dossier",
                         object_id=f"c{i}")  # fmt: skip
            await asyncio.sleep(0)  # let the others queue up behind the lock

    await asyncio.gather(*(one(i) for i in range(12)))
    async with hub.db() as db:
        result = await verify(db)
        seqs = list((await db.execute(select(AuditEvent.seq).order_by(AuditEvent.seq))).scalars())
    assert result.ok and result.count == 12
    assert seqs == list(range(1, 13))


def test_cli_audit_verify_exit_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"
    migrate.upgrade(url)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUB_DATABASE_URL", url)

    async def write(tamper: bool) -> None:
        engine = create_engine(url)
        try:
            async with transaction(session_factory(engine, audit_head_file=tmp_path / "audit-head.log")) as db:
                if tamper:
                    await lift_guard(db)
                    await db.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(action="case.open"))
                    return
                for i in range(3):
                    await record(db, user_id="u", organisation_id="o", action="case.view", object_type="dossier",
                                 object_id=f"c{i}")  # fmt: skip
        finally:
            await engine.dispose()

    asyncio.run(write(tamper=False))
    assert main(["audit", "verify"]) == 0
    assert "intact: 3 record(s)" in capsys.readouterr().out
    asyncio.run(write(tamper=True))
    assert main(["audit", "verify"]) == 2
    assert "BROKEN at record 2" in capsys.readouterr().err
