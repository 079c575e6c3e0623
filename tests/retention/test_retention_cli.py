"""`hub retention run [--dry-run]`: the dry run lists ids and counts and deletes nothing; the run deletes and says
how much; a progress line only on a terminal. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.audit.models import AuditEvent
from hub.cases.models import Case
from hub.cli import main
from hub.cli.retention import ProgressLine
from tests.cases.world import BSN_1, World
from tests.retention.scene import build_scene


@pytest.fixture
def cli_env(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = world.hub.settings
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_RETENTION_CASE_YEARS", "1")  # the scene's case ended in June 2025


async def test_dry_run_then_run(
    world: World, cli_env: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scene = await build_scene(world)
    case, document = await scene.full_case(BSN_1, "Johanna de Vries")

    assert await asyncio.to_thread(main, ["retention", "run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"case {case.id} ({case.reference}), ended 2025-06-02" in out
    assert "Cases to delete: 1" in out and "Johanna" not in out and BSN_1 not in out
    async with world.hub.db() as db:
        assert await db.get(Case, case.id) is not None
        assert "retention.run" not in set((await db.execute(select(AuditEvent.action))).scalars())
    assert scene.blob_path(document).exists()

    assert await asyncio.to_thread(main, ["retention", "run"]) == 0
    assert "Deleted 1 case(s)" in capsys.readouterr().out
    async with world.hub.db() as db:
        assert await db.get(Case, case.id) is None
        runs = (await db.execute(select(AuditEvent).where(AuditEvent.action == "retention.run"))).scalars().all()
        assert [r.object_id for r in runs] == ["cli"]
    assert not scene.blob_path(document).exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line_is_drawn_on_a_terminal_only() -> None:
    terminal, pipe = Terminal(), io.StringIO()
    for out in (terminal, pipe):
        line = ProgressLine(out)
        line(1, 2)
        line(2, 2)
    assert terminal.getvalue().endswith("\rdeleting 2/2 [" + "=" * 30 + "]\n")
    assert "deleting 1/2 [" + "=" * 15 in terminal.getvalue()
    assert pipe.getvalue() == ""


async def test_an_organisations_own_period_keeps_its_cases_longer(
    world: World, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = await build_scene(world)
    case, _ = await scene.full_case(BSN_1, "Johanna de Vries")  # ended June 2025; the default here is 1 year
    assert (
        await asyncio.to_thread(main, ["retention", "years", "--organisation", "Kantoor Xander", "--years", "3"]) == 0
    )
    assert "Kantoor Xander: ended cases are kept 3 year(s)" in capsys.readouterr().out
    assert (
        await asyncio.to_thread(main, ["retention", "years", "--organisation", "Kantoor Xander", "--years", "0"]) == 2
    )
    assert await asyncio.to_thread(main, ["retention", "run", "--dry-run"]) == 0
    assert "Cases to delete: 0" in capsys.readouterr().out  # the kantoor's 3 years outweigh the gemeente's 1

    assert await asyncio.to_thread(main, ["retention", "years", "--organisation", world.xander.id, "--default"]) == 0
    assert await asyncio.to_thread(main, ["retention", "run"]) == 0
    assert "Deleted 1 case(s)" in capsys.readouterr().out
    async with world.hub.db() as db:
        assert await db.get(Case, case.id) is None
        changes = (
            await db.execute(select(AuditEvent).where(AuditEvent.action == "organisation.retention_changed"))
        ).scalars()
        assert [(e.object_id, e.user_id) for e in changes] == [(world.xander.id, None)] * 2
