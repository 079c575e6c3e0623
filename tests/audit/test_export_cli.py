"""`hub audit export --since [--until] [--output]`: JSON lines for a SIEM, streamed in batches, itself audited.
On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from hub.audit import actions
from hub.audit.export import batches, parse_moment
from hub.audit.models import AuditEvent
from hub.audit.services import chain_hash, record
from hub.cli import main
from hub.terms import AMSTERDAM
from tests.support.hubclient import HubUnderTest

Cli = Callable[..., Awaitable[int]]

MOMENTS = [
    datetime(2026, 2, 28, 23, 59, tzinfo=AMSTERDAM),
    datetime(2026, 3, 1, 9, 0, tzinfo=AMSTERDAM),
    datetime(2026, 3, 31, 23, 30, tzinfo=AMSTERDAM),
    datetime(2026, 4, 1, 0, 30, tzinfo=AMSTERDAM),
]


async def seed(hub: HubUnderTest) -> list[AuditEvent]:
    events = []
    for i, moment in enumerate(MOMENTS):
        async with hub.db() as db:
            event = await record(db, user_id=f"u{i}", organisation_id="o", action="case.view",
                                 object_type="dossier", object_id=f"c{i}", at=moment)  # fmt: skip
            events.append(event)
    return events


@pytest.fixture
def cli(hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", hub.settings.database_url)

    async def run(*args: str) -> int:
        return await asyncio.to_thread(main, ["audit", "export", *args])

    return run


async def test_a_period_as_json_lines(hub: HubUnderTest, cli: Cli, tmp_path: Path) -> None:
    events = await seed(hub)
    out = tmp_path / "march.jsonl"
    assert await cli("--since", "2026-03-01", "--until", "2026-03-31", "--output", str(out)) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [events[1].seq, events[2].seq]  # all of 31 March, nothing of April
    first = lines[0]
    assert list(first) == ["seq", "at", "user_id", "organisation_id", "action", "object_type", "object_id",
                           "client_address", "user_agent", "prev_hash", "hash"]  # fmt: skip
    assert first["at"] == "2026-03-01T08:00:00.000000+00:00"
    for line in lines:  # a receiver can recompute each hash and follow the links
        assert line["hash"] == chain_hash(
            seq=line["seq"], at=datetime.fromisoformat(line["at"]), user_id=line["user_id"],
            organisation_id=line["organisation_id"], action=line["action"], object_type=line["object_type"],
            object_id=line["object_id"], prev_hash=line["prev_hash"],
        )  # fmt: skip
    assert lines[1]["prev_hash"] == lines[0]["hash"]
    # The export itself is in the log, by the command line, without a user.
    async with hub.db() as db:
        exports = list((await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "audit.export"))).scalars())
    assert [(e.user_id, e.object_type, e.object_id) for e in exports] == [(None, actions.AUDIT_LOG_OBJECT, "cli")]


async def test_since_a_moment_to_standard_output(
    hub: HubUnderTest, cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    events = await seed(hub)
    assert await cli("--since", "2026-03-31T23:00") == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # The two records from that moment on, and the record of this export (now).
    assert [line["seq"] for line in lines[:2]] == [events[2].seq, events[3].seq]
    assert [line["action"] for line in lines[2:]] == ["audit.export"]


async def test_wrong_input_is_refused(hub: HubUnderTest, cli: Cli, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    await seed(hub)
    assert await cli("--since", "1-3-2026") == 2
    assert "is not a date (2026-03-01)" in capsys.readouterr().err
    assert await cli("--since", "2026-03-02", "--until", "2026-03-01") == 2
    assert "--until lies before --since" in capsys.readouterr().err
    existing = tmp_path / "earlier.jsonl"
    existing.write_text("kept\n")
    assert await cli("--since", "2026-03-01", "--output", str(existing)) == 2
    assert "exists already" in capsys.readouterr().err and existing.read_text() == "kept\n"


async def test_records_are_read_in_batches(hub: HubUnderTest) -> None:
    events = await seed(hub)
    seen = [[e.seq for e in batch] async for batch in batches(hub.runtime.sessions, batch_size=3)]
    assert seen == [[e.seq for e in events[:3]], [events[3].seq]]
    newest = [[e.seq for e in batch] async for batch in batches(hub.runtime.sessions, newest_first=True, batch_size=3)]
    assert newest == [[4, 3, 2], [1]]


def test_moments_are_dutch_time_and_dates_whole_days() -> None:
    assert parse_moment("2026-07-01").isoformat() == "2026-06-30T22:00:00+00:00"
    assert parse_moment("2026-07-01", end=True).isoformat() == "2026-07-01T22:00:00+00:00"
    assert parse_moment("2026-01-15T09:30").isoformat() == "2026-01-15T08:30:00+00:00"
    assert parse_moment("2026-01-15T09:30+00:00").isoformat() == "2026-01-15T09:30:00+00:00"
