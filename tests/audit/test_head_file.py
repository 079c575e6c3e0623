"""The chain's head outside the database (hub.audit.head): every committed record's hash in an append-only file and
the log, and `hub audit verify` comparing it, so that tampering, including removing the newest records, is found and
named. On SQLite and PostgreSQL, with the attacker of the threat model: database access, the triggers dropped."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.audit import head
from hub.audit.head import anchor
from hub.audit.models import AuditEvent, AuditHead
from hub.audit.services import event_hash, record, verify
from hub.cli import main
from hub.db import session_factory, transaction
from tests.audit.test_audit_chain import lift_guard
from tests.support.hubclient import HubUnderTest


def head_path(hub: HubUnderTest) -> Path:
    return hub.settings.audit_head_file


def head_lines(hub: HubUnderTest) -> list[tuple[int, str]]:
    return [(int(s), h) for s, h in (line.split() for line in head_path(hub).read_text().splitlines())]


async def append(hub: HubUnderTest, n: int) -> list[AuditEvent]:
    """``n`` records, each in its own transaction on the hub's sessions (as a page view writes one)."""
    events = []
    for i in range(n):
        async with hub.db() as db:
            event = await record(db, user_id=f"u{i}", organisation_id="o", action="case.view", object_type="dossier",
                                 object_id=f"c{i}")  # fmt: skip
            events.append(event)
    return events


async def check(hub: HubUnderTest) -> tuple[bool, int | None, str]:
    async with hub.db() as db:
        result = await verify(db, head_file=head_path(hub))
    return result.ok, result.first_broken_seq, result.reason


async def stored(db: AsyncSession) -> list[AuditEvent]:
    return list((await db.execute(select(AuditEvent).order_by(col(AuditEvent.seq)))).scalars())


async def test_every_committed_record_is_in_the_file_and_the_log(
    hub: HubUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hub.audit")
    events = await append(hub, 3)
    with pytest.raises(RuntimeError):  # a transaction that fails leaves no line
        async with hub.db() as db:
            await record(db, user_id="u", organisation_id="o", action="case.view", object_type="dossier",
                         object_id="x")  # fmt: skip
            raise RuntimeError("the request failed")
    assert head_lines(hub) == [(e.seq, e.hash) for e in events]
    assert head_path(hub).stat().st_mode & 0o777 == 0o600
    logged = [r.getMessage() for r in caplog.records if r.name == "hub.audit"]
    assert logged == [f"audit head seq={e.seq} hash={e.hash}" for e in events]
    assert await check(hub) == (True, None, "")


async def test_a_savepoint_rolled_back_leaves_no_line(hub: HubUnderTest) -> None:
    await append(hub, 1)
    async with hub.db() as db:
        with pytest.raises(RuntimeError):
            async with db.begin_nested():
                await record(db, user_id="u", organisation_id="o", action="case.view", object_type="dossier",
                             object_id="gone")  # fmt: skip
                raise RuntimeError("inner work failed")
        kept = await record(db, user_id="u", organisation_id="o", action="case.view", object_type="dossier",
                            object_id="kept")  # fmt: skip
    assert kept.seq == 2
    assert [seq for seq, _ in head_lines(hub)] == [1, 2]
    assert head_lines(hub)[1] == (2, kept.hash)
    assert await check(hub) == (True, None, "")


async def test_concurrent_writers_each_leave_their_line(hub: HubUnderTest) -> None:
    async def one(i: int) -> None:
        async with hub.db() as db:
            await record(db, user_id=f"u{i}", organisation_id="o", action="case.view", object_type="dossier",
                         object_id=f"c{i}")  # fmt: skip
            await asyncio.sleep(0)

    await asyncio.gather(*(one(i) for i in range(10)))
    async with hub.db() as db:
        events = await stored(db)
    assert sorted(head_lines(hub)) == [(e.seq, e.hash) for e in events]
    assert await check(hub) == (True, None, "")


async def test_altering_a_record_in_the_middle_is_named(hub: HubUnderTest) -> None:
    await append(hub, 5)
    async with hub.db() as db:
        await lift_guard(db)
        await db.execute(update(AuditEvent).where(col(AuditEvent.seq) == 3).values(object_id="another"))
    assert await check(hub) == (False, 3, "record changed")


async def test_deleting_a_record_in_the_middle_is_named(hub: HubUnderTest) -> None:
    await append(hub, 5)
    async with hub.db() as db:
        await lift_guard(db)
        await db.execute(delete(AuditEvent).where(col(AuditEvent.seq) == 2))
    assert await check(hub) == (False, 2, "record missing")


async def test_reordering_two_records_is_named(hub: HubUnderTest) -> None:
    await append(hub, 5)
    async with hub.db() as db:
        await lift_guard(db)
        # Swap the places of records 2 and 3 (their sequence numbers), through a free number.
        for old, new in ((2, 99), (3, 2), (99, 3)):
            await db.execute(update(AuditEvent).where(col(AuditEvent.seq) == old).values(seq=new))
    ok, seq, reason = await check(hub)
    assert (ok, seq) == (False, 2)
    assert reason == "link to the previous record broken"


@pytest.mark.parametrize("removed", [1, 3])
async def test_truncating_the_newest_records_is_named(hub: HubUnderTest, removed: int) -> None:
    """The attacker removes the newest records and sets the head row back, so the chain in the database alone is
    whole again; the head file still holds what was removed."""
    events = await append(hub, 6)
    keep = events[-removed - 1]
    async with hub.db() as db:
        await lift_guard(db)
        await db.execute(delete(AuditEvent).where(col(AuditEvent.seq) > keep.seq))
        await db.execute(update(AuditHead).values(seq=keep.seq, hash=keep.hash))
    async with hub.db() as db:
        assert (await verify(db)).ok  # the database on its own cannot tell
    expected = {
        1: "record 6 missing at the end; the head file holds it",
        3: "records 4 to 6 missing at the end; the head file holds them",
    }[removed]
    assert await check(hub) == (False, keep.seq + 1, expected)


async def test_rewriting_the_chain_from_a_record_onwards_is_named(hub: HubUnderTest) -> None:
    """The attacker changes record 3 and recomputes every hash after it and the head: a chain that verifies."""
    await append(hub, 5)
    async with hub.db() as db:
        await lift_guard(db)
        events = await stored(db)
        prev = events[1].hash
        for event in events[2:]:
            if event.seq == 3:
                event.object_id = "forged"
            event.prev_hash = prev
            event.hash = event_hash(event)
            prev = event.hash
            db.add(event)
        await db.execute(update(AuditHead).values(seq=5, hash=prev))
    async with hub.db() as db:
        assert (await verify(db)).ok
    assert await check(hub) == (False, 3, "record differs from the hash the head file holds for it")


async def test_the_database_ahead_of_the_file_passes(hub: HubUnderTest) -> None:
    """Records committed whose lines were never written (a crash between the commit and the file): accepted while
    their chain is intact; changing one of them is still found by the chain."""
    await append(hub, 2)
    plain = session_factory(hub.runtime.engine)  # sessions that write no head file
    for i in range(2):
        async with transaction(plain) as db:
            await record(db, user_id="u", organisation_id="o", action="case.view", object_type="dossier",
                         object_id=f"late{i}")  # fmt: skip
    async with hub.db() as db:
        result = await verify(db, head_file=head_path(hub))
    assert result.ok and result.count == 4 and result.head_file_newest == 2
    async with hub.db() as db:
        await lift_guard(db)
        await db.execute(update(AuditEvent).where(col(AuditEvent.seq) == 4).values(object_id="x"))
    assert await check(hub) == (False, 4, "record changed")


async def test_a_missing_or_damaged_file_fails(hub: HubUnderTest) -> None:
    await append(hub, 2)
    head_path(hub).unlink()
    ok, seq, reason = await check(hub)
    assert (ok, seq) == (False, 3) and "is missing" in reason
    head_path(hub).write_text("1 not-a-hash\n")
    ok, seq, reason = await check(hub)
    assert (ok, seq) == (False, 3) and "line 1" in reason


async def test_a_missing_file_is_started_at_the_current_head(
    hub: HubUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    """A hub upgraded to the head file has records but no file: starting it writes the current head."""
    events = await append(hub, 3)
    head_path(hub).unlink()
    with caplog.at_level(logging.WARNING, logger="hub.audit"):
        async with hub.db() as db:
            await anchor(db, head_path(hub))
    assert head_lines(hub) == [(3, events[-1].hash)]
    assert "was missing: started at record 3" in caplog.text
    assert await check(hub) == (True, None, "")


async def test_cli_verify_names_the_place(
    hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    events = await append(hub, 4)
    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", hub.settings.database_url)
    assert await asyncio.to_thread(main, ["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "intact: 4 record(s)" in out and f"Head file {head_path(hub)}: agrees, up to record 4." in out
    async with hub.db() as db:
        await lift_guard(db)
        await db.execute(delete(AuditEvent).where(col(AuditEvent.seq) == 4))
        await db.execute(update(AuditHead).values(seq=3, hash=events[2].hash))
    assert await asyncio.to_thread(main, ["audit", "verify"]) == 2
    assert "BROKEN at record 4 (record 4 missing at the end; the head file holds it)" in capsys.readouterr().err


def test_lines_are_synced_in_the_background(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The append returns at once; a background thread fsyncs the file (many commits, one fsync)."""
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(head.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    file = head.head_file(tmp_path / "audit-head.log")
    file.append([(1, "a" * 64), (2, "b" * 64)])
    deadline = time.monotonic() + 5
    while not synced and time.monotonic() < deadline:
        time.sleep(0.01)
    assert synced, "the head file was never synced"
    assert [e.seq for e in file.entries()] == [1, 2]
