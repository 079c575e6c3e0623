"""Without SMTP settings (the demo) mails become .eml files in the data dir, listed and readable on /beheer/mail;
the worker runs inside the server's lifespan when HUB_WORKER=on, and as `hub worker`."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path

import pytest

from hub.cli import main
from hub.db import utcnow
from hub.notifications.sender import FileSender, SmtpSender
from hub.worker import worker_for
from tests.notifications.conftest import PERSONAL, World, at, build_world
from tests.support.hubclient import HubUnderTest, running_hub

MONDAY = at(2026, 5, 11, 10)


@pytest.fixture
async def demo_world(hub_sqlite: HubUnderTest) -> World:
    return await build_world(hub_sqlite)


async def test_file_sender_writes_eml_files_and_the_page_lists_them(demo_world: World) -> None:
    world = demo_world
    mail_dir = world.hub.settings.mail_dir
    worker = world.worker()
    assert isinstance(worker.sender, FileSender)
    await world.ask(MONDAY)
    assert await worker.drain(MONDAY) == 2
    files = sorted(mail_dir.iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" for f in files)  # no temporary files left behind
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)

    client = await world.hub.client_for(world.beheerder)
    page = await client.get("/beheer/mail")
    assert page.status_code == 200
    assert "geen mailserver ingesteld" in page.text
    for f in files:
        assert f'href="/beheer/mail/{f.name}"' in page.text
    shown = await client.get(f"/beheer/mail/{files[0].name}")
    assert shown.status_code == 200
    assert shown.headers["content-type"].startswith("text/plain")
    assert "Subject: Nieuw bericht voor Gemeente Nijmegen" in shown.text
    assert "Auto-Submitted: auto-generated" in shown.text
    assert "Er staat een nieuw bericht voor Gemeente Nijmegen klaar" in shown.text
    for value in PERSONAL:
        assert value not in shown.text
        assert value not in page.text

    # Only FileSender's own names, only inside the mail directory.
    outside = world.hub.settings.data_dir / "secret.txt"
    outside.write_text("geheim")
    link = mail_dir / "20260101T000000Z-0123456789abcdef0123456789abcdef.eml"
    link.symlink_to(outside)
    for bad in (
        "..%2Fhub.sqlite3",
        "%2E%2E%2Fsecret.txt",
        "hub.eml",
        "20260101T000000Z-0123456789ABCDEF0123456789ABCDEF.eml",
        "20260101T000000Z-ffffffffffffffffffffffffffffffff.eml",  # well-formed, does not exist
        link.name,  # a symlink out of the directory
    ):
        response = await client.get(f"/beheer/mail/{bad}")
        assert response.status_code == 404, bad
        assert "geheim" not in response.text

    other = await world.hub.client_for(world.klantmanager)
    assert (await other.get(f"/beheer/mail/{files[0].name}")).status_code == 403


async def test_the_default_test_hub_runs_no_worker(hub_sqlite: HubUnderTest) -> None:
    assert not hub_sqlite.settings.run_worker
    assert "hub-mail-worker" not in {t.get_name() for t in asyncio.all_tasks()}


async def test_the_worker_runs_inside_the_servers_lifespan(sqlite_url: str, tmp_path: Path) -> None:
    async with running_hub(tmp_path / "data", sqlite_url, HUB_WORKER="on") as hub:
        assert "hub-mail-worker" in {t.get_name() for t in asyncio.all_tasks()}
        world = await build_world(hub)
        await world.ask(at(2026, 5, 11, 10))  # the rows are due at once
        mail_dir = hub.settings.mail_dir
        deadline = time.monotonic() + 45  # generous: a loaded CI machine; it sends within a poll (2 s) when idle
        while len(list(mail_dir.glob("*.eml"))) < 2:
            assert time.monotonic() < deadline, "the in-process worker sent nothing"
            await asyncio.sleep(0.1)
    assert "hub-mail-worker" not in {t.get_name() for t in asyncio.all_tasks()}  # stopped with the lifespan
    assert {r.status for r in await _rows(sqlite_url)} == {"sent"}


async def _rows(url: str) -> list[object]:
    from sqlalchemy import select

    from hub.db import create_engine, session_factory, transaction
    from hub.notifications.models import OutboxMail

    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            return list((await db.execute(select(OutboxMail))).scalars())
    finally:
        await engine.dispose()


async def test_hub_worker_once(demo_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = demo_world.hub.settings
    await demo_world.ask(utcnow())  # now: the sweep that `--once` runs finds no term due today
    for key in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    assert await asyncio.to_thread(main, ["worker", "--once"]) == 0
    assert len(list(settings.mail_dir.glob("*.eml"))) == 2


async def test_smtp_settings_choose_the_smtp_sender(sqlite_url: str, tmp_path: Path) -> None:
    async with running_hub(tmp_path / "data", sqlite_url, HUB_SMTP_HOST="smtp.example.nl", HUB_SMTP_TLS="tls",
                           HUB_SMTP_PORT="465") as hub:  # fmt: skip
        sender = worker_for(hub.runtime).sender
        assert isinstance(sender, SmtpSender)
        assert (sender.host, sender.port, sender.tls) == ("smtp.example.nl", 465, "tls")
        # The page shows no .eml files when a mail server is set, and serves none.
        world = await build_world(hub)
        client = await hub.client_for(world.beheerder)
        page = await client.get("/beheer/mail")
        assert "smtp.example.nl:465 (tls)" in page.text and ".eml-bestanden" not in page.text
        assert (
            await client.get("/beheer/mail/20260101T000000Z-0123456789abcdef0123456789abcdef.eml")
        ).status_code == 404
