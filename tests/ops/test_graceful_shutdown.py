"""SIGTERM to `hub serve`: it stops taking new connections, lets a running upload finish within
HUB_SHUTDOWN_GRACE_SECONDS, and exits; an upload still running past the grace is cut off and leaves no document row,
no blob and no temporary file. A real `hub serve` process on a SQLite file, a real slow client."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from hub.accounts.roles import OrgKind, Role
from hub.db import create_engine
from hub.documents.models import Document
from tests.documents.conftest import BOUNDARY, multipart_parts, pdf_bytes, upload_fields, upload_url
from tests.messaging.world import insert_case
from tests.ops.test_migrate_once import hub_env
from tests.support.hubclient import running_hub
from tests.support.postgres import free_port
from tests.support.serving import wait_until_serving


@dataclass
class Served:
    process: asyncio.subprocess.Process
    base_url: str
    cookie: tuple[str, str]
    csrf_token: str
    case_id: str
    data_dir: Path
    database_url: str

    async def documents(self) -> int:
        engine = create_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                return int((await conn.execute(select(func.count()).select_from(Document))).scalar_one())
        finally:
            await engine.dispose()

    def files_in_store(self) -> list[Path]:
        return sorted(p for p in (self.data_dir / "blobs").rglob("*") if p.is_file())


async def serve(tmp_path: Path, sqlite_url: str, grace: int) -> AsyncIterator[Served]:
    data_dir = tmp_path / "data"
    async with running_hub(data_dir, sqlite_url) as hub:  # the world and a session, made before the server starts
        kantoor = await hub.org(OrgKind.KANTOOR, "Bewindvoering De Brug")
        convenant = await hub.convenant(await hub.org(OrgKind.GEMEENTE, "Gemeente Nijmegen"), kantoor)
        bewindvoerder = await hub.user(kantoor, Role.BEWINDVOERDER)
        case = await insert_case(hub, convenant, bewindvoerder, "BW-1")
        client = await hub.client_for(bewindvoerder)
        cookie = (hub.app.state.site.cookies.session_name, client.cookies[hub.app.state.site.cookies.session_name])
        csrf, case_id = client.csrf_token, case.id
    port = free_port()
    env = hub_env(
        data_dir,
        sqlite_url,
        HUB_PORT=str(port),
        HUB_CLAMD="off",
        HUB_WORKER="off",
        HUB_SHUTDOWN_GRACE_SECONDS=str(grace),
        HUB_LOG_FORMAT="json",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "serve", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url) as probe:
            await wait_until_serving(probe)
        yield Served(process, base_url, cookie, csrf, case_id, data_dir, sqlite_url)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def slow_upload(served: Served, started: asyncio.Event, pieces: int, pause: float) -> httpx.Request:
    head, body, tail = multipart_parts(
        upload_fields(served.csrf_token), ("file", "beschikking.pdf", pdf_bytes(400_000))
    )
    size = len(body) // pieces + 1

    async def stream() -> AsyncIterator[bytes]:
        yield head
        for start in range(0, len(body), size):
            yield body[start : start + size]
            started.set()
            await asyncio.sleep(pause)
        yield tail

    return httpx.Request(
        "POST",
        served.base_url + upload_url(served.case_id),
        content=stream(),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
        cookies=dict([served.cookie]),
    )


async def stopped_cleanly(served: Served) -> str:
    """Waits for the process; asserts it ended by the signal after its shutdown ran (uvicorn raises the SIGTERM it
    caught again once it is done, so the exit status is that signal's) and wrote only JSON lines; the messages at
    warning and above."""
    status = await asyncio.wait_for(served.process.wait(), 30)
    assert served.process.stderr is not None
    stderr = (await served.process.stderr.read()).decode()
    assert status in (0, -signal.SIGTERM), stderr[-3000:]
    lines = [json.loads(line) for line in stderr.splitlines()]  # HUB_LOG_FORMAT=json: every line, uvicorn's too
    assert any(e["message"] == "Application shutdown complete." for e in lines), stderr[-3000:]
    return "\n".join(str(e["message"]) for e in lines if e["level"] in ("warning", "error"))


@pytest.fixture
async def patient_server(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Served]:
    async for served in serve(tmp_path, sqlite_url, grace=20):
        yield served


@pytest.fixture
async def hasty_server(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Served]:
    async for served in serve(tmp_path, sqlite_url, grace=1):
        yield served


async def test_sigterm_lets_a_running_upload_finish_and_takes_no_new_request(patient_server: Served) -> None:
    served = patient_server
    started = asyncio.Event()
    async with httpx.AsyncClient() as client:
        upload = asyncio.create_task(client.send(slow_upload(served, started, pieces=20, pause=0.1)))
        await asyncio.wait_for(started.wait(), 10)
        served.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        with pytest.raises(httpx.TransportError):  # the listener is closed: a new request finds no one
            await client.get(served.base_url + "/healthz")
        response = await asyncio.wait_for(upload, 30)
    assert response.status_code == 303, response.text
    assert "graceful shutdown exceeded" not in await stopped_cleanly(served)
    assert await served.documents() == 1
    assert len(served.files_in_store()) == 1 and served.files_in_store()[0].parent.name != "tmp"


async def test_an_upload_past_the_grace_is_cut_off_and_leaves_nothing(hasty_server: Served) -> None:
    served = hasty_server
    started = asyncio.Event()
    async with httpx.AsyncClient() as client:
        upload = asyncio.create_task(client.send(slow_upload(served, started, pieces=40, pause=0.1)))
        await asyncio.wait_for(started.wait(), 10)
        served.process.send_signal(signal.SIGTERM)
        try:
            response: httpx.Response | None = await asyncio.wait_for(upload, 30)
        except httpx.TransportError:
            response = None  # the connection was cut: the client knows the upload did not arrive
    assert response is None or response.status_code >= 500
    assert "timeout graceful shutdown exceeded" in await stopped_cleanly(served)
    assert await served.documents() == 0
    assert served.files_in_store() == []
    assert os.listdir(served.data_dir / "blobs" / "tmp") == []
