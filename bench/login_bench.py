"""Logins and the rest of the hub: does a burst of logins (argon2id, ~200 ms of CPU each) stall other requests?

A hub is set up as an operator does (`hub init`, users with production password hashes) and started as `hub serve`
(uvicorn, a process of its own). Measured: the p50 latency of a static file and of the login page, first idle, then
while 10 clients log in over and over (the password step, each with its own account). Goal (issue 9): during the
logins, p50 within 2x of idle. Argon2 runs in worker threads, at most a few at once, never on the event loop.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.upload_bench import PYTHON, ROOT, _environ, _hub_env, _start, free_port

CONCURRENT_LOGINS = 10
SAMPLES = 60  # requests per measurement, one after the other
GOAL_RATIO = 2.0
TARGETS = (("static file", "/static/hub.css"), ("login page", "/inloggen"))

notes: list[str] = []


async def _seed(data_dir: Path, password: str) -> list[str]:
    """A kantoor with CONCURRENT_LOGINS bewindvoerders; returns their addresses."""
    from hub.accounts.roles import OrgKind, Role
    from hub.accounts.services import OrganisationService, UserService
    from hub.config import Settings
    from hub.db import create_engine, session_factory, transaction

    settings = Settings.for_data_dir(data_dir)
    engine = create_engine(settings.database_url)
    emails = [f"login{i}@bewind.bench.nl" for i in range(CONCURRENT_LOGINS)]
    try:
        async with transaction(session_factory(engine)) as db:
            kantoor = await OrganisationService(db).create(
                OrgKind.KANTOOR, "Bewind Login Bench", contact_email="vast@login.bench.nl"
            )
            for email in emails:
                await UserService(db).create(
                    kantoor,
                    name="L. Bench",
                    email=email,
                    roles={Role.BEWINDVOERDER},
                    password=password,
                    must_change_password=False,
                )
    finally:
        await engine.dispose()
    return emails


async def _p50(url: str, path: str) -> float:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await client.get(path)  # a warm connection
        times = []
        for _ in range(SAMPLES):
            started = time.perf_counter()
            response = await client.get(path)
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            await asyncio.sleep(0.01)
    return statistics.median(times) * 1000


async def _login_forever(url: str, email: str, password: str, stop: asyncio.Event, done: list[float]) -> None:
    import httpx

    from bench.upload_bench import _csrf

    while not stop.is_set():
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            started = time.perf_counter()
            page = await client.get("/inloggen")
            response = await client.post(
                "/inloggen", data={"email": email, "password": password, "csrf_token": _csrf(page.text)}
            )
            if response.status_code != 303:
                raise RuntimeError(f"login answered {response.status_code}")
            done.append(time.perf_counter() - started)


async def _measure(url: str, emails: list[str], password: str) -> list[dict[str, Any]]:
    idle = {name: await _p50(url, path) for name, path in TARGETS}
    stop = asyncio.Event()
    done: list[float] = []
    logins = [asyncio.create_task(_login_forever(url, e, password, stop, done)) for e in emails]
    await asyncio.sleep(1.0)  # every login client is busy
    started, before = time.perf_counter(), len(done)
    busy = {name: await _p50(url, path) for name, path in TARGETS}
    rate = (len(done) - before) / (time.perf_counter() - started)
    stop.set()
    await asyncio.gather(*logins)
    notes.append(
        f"during the measurement {rate:.1f} logins/s, median {statistics.median(done) * 1000:.0f} ms each "
        f"(the password step: login page + POST, production argon2id)"
    )
    rows = []
    for name, _path in TARGETS:
        ratio = busy[name] / idle[name]
        rows.append(
            {
                "measure": f"p50 {name}",
                "unit": "ms",
                "idle": idle[name],
                f"{CONCURRENT_LOGINS} logins": busy[name],
                "ratio": ratio,
                "goal": f"<= {GOAL_RATIO:.0f}x idle",
                "met": "yes" if ratio <= GOAL_RATIO else "NO",
            }
        )
    return rows


def run() -> list[dict[str, Any]]:
    notes.clear()
    work = Path(tempfile.mkdtemp(prefix="hub-login-bench."))
    data_dir = work / "hub"
    port = free_port()
    env = _hub_env(data_dir, port)
    init = subprocess.run(
        [PYTHON, "-m", "hub", "init"], env=_environ(env), cwd=ROOT, capture_output=True, text=True, check=False
    )
    if init.returncode != 0:
        raise RuntimeError(f"hub init failed: {init.stderr}")
    password = secrets.token_urlsafe(18)
    emails = asyncio.run(_seed(data_dir, password))
    proc = _start([PYTHON, "-m", "hub", "serve"], env, port, work / "hub.log")
    try:
        rows = asyncio.run(_measure(f"http://127.0.0.1:{port}", emails, password))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    notes.append(f"{os.cpu_count()} CPU cores; argon2id RFC 9106 low-memory (t=3, 64 MiB, p=4)")
    return rows
