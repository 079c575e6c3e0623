"""Claims are short leases renewed while the worker lives (hub.notifications.lease): a `hub worker` process that is
SIGKILLed while holding claims holds its mails up for one lease only; a live worker slower than the lease keeps
its claims, and nothing goes twice. The lease is shortened to seconds here (HUB_OUTBOX_LEASE_SECONDS)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.upload_bench import PYTHON, ROOT, _environ
from hub.notifications.models import MailStatus, OutboxMail
from hub.notifications.worker import OutboxWorker, make_sender
from tests.notifications.conftest import World, at
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

MONDAY = at(2026, 5, 11, 10)
LEASE_SECONDS = 2


class SlowSender:
    """The real SMTP sender, slower than the whole lease for every mail."""

    def __init__(self, inner: object, delay: float) -> None:
        self.inner = inner
        self.delay = delay

    async def send(self, message: EmailMessage) -> None:
        await asyncio.sleep(self.delay)
        await self.inner.send(message)  # type: ignore[attr-defined]


def worker(world: World, name: str, sender: object | None = None) -> OutboxWorker:
    settings = world.hub.settings
    return OutboxWorker(
        world.hub.runtime.sessions,
        sender or make_sender(settings),  # type: ignore[arg-type]
        base_url=settings.base_url,
        mail_from=settings.mail_from,
        name=name,
        lease=timedelta(seconds=LEASE_SECONDS),
    )


def spawn_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([PYTHON, "-m", "hub", "worker"], env=_environ(env), cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip


async def held(world: World) -> list[OutboxMail]:
    async with world.hub.db() as db:
        return list((await db.execute(select(OutboxMail))).scalars())


async def test_a_killed_worker_process_holds_its_mails_up_for_one_lease_only(
    world: World, smtp: SmtpServer, tmp_path: Path
) -> None:
    await world.ask(MONDAY)
    # An SMTP server that accepts the connection and never greets: the worker claims, then hangs before sending.
    silent = socket.create_server(("127.0.0.1", 0))
    settings = world.hub.settings
    keyring = json.dumps(json.loads(settings.keyring_path.read_text()))
    env = {**smtp.hub_settings(HUB_SMTP_PORT=str(silent.getsockname()[1])), "HUB_DATABASE_URL": settings.database_url,
           "HUB_KEYRING": keyring, "HUB_DATA_DIR": str(tmp_path / "worker"),
           "HUB_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS)}  # fmt: skip
    (tmp_path / "worker").mkdir()
    log = tmp_path / "worker.log"
    process = spawn_worker(env, log)
    try:
        deadline = time.monotonic() + 60
        mark = f":{process.pid}:"
        while not [r for r in await held(world) if r.status == "sending" and mark in (r.claimed_by or "")]:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            await asyncio.sleep(0.2)
        await asyncio.sleep(LEASE_SECONDS * 1.5)  # alive past its first lease: its heartbeat renewed the claims
        assert await worker(world, "too-early").claim() == []
        assert process.poll() is None, log.read_text()[-2000:]
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        silent.close()
    killed_at = time.monotonic()

    other = worker(world, "other")
    while await other.run_once() == 0:
        assert time.monotonic() - killed_at < LEASE_SECONDS + 3, "the dead worker's claims outlived their lease"
        await asyncio.sleep(0.2)
    await other.drain()
    rows = await held(world)
    assert {(r.status, r.claimed_by) for r in rows} == {(MailStatus.SENT.value, "other")}
    assert sorted(Counter(str(m.message["Message-ID"]) for m in smtp.messages).values()) == [1] * len(rows)


async def test_a_live_worker_slower_than_its_lease_keeps_its_claims(world: World, smtp: SmtpServer) -> None:
    await world.ask(MONDAY)
    slow = worker(world, "slow", SlowSender(make_sender(world.hub.settings), delay=LEASE_SECONDS * 1.5))
    rival = worker(world, "rival")
    sending = asyncio.create_task(slow.run_once())  # two mails, each taking longer than the lease
    for _ in range(200):  # the slow worker claims both first
        if {r.claimed_by for r in await held(world)} == {"slow"}:
            break
        await asyncio.sleep(0.05)
    stolen = 0
    while not sending.done():
        stolen += await rival.run_once()
        await asyncio.sleep(0.1)
    assert await sending == 2 and stolen == 0
    rows = await held(world)
    assert {(r.status, r.claimed_by, r.attempts) for r in rows} == {(MailStatus.SENT.value, "slow", 1)}
    assert len(smtp.messages) == 2
