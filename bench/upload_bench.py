"""Upload and download through the running hub, against (a) a bare streaming endpoint and (b) `age`.

Everything runs on 127.0.0.1: `hub serve` and the baseline app as uvicorn subprocesses (uvloop + httptools),
curl as the client (it streams the file from disk), the server's RSS sampled from /proc every 5 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

from tests.support.postgres import free_port

MB = 1_000_000
ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _write_pdf_like(path: Path, size: int) -> None:
    """Random bytes behind a PDF header: incompressible, and accepted by the content check."""
    with open(path, "wb") as fh:
        fh.write(b"%PDF-1.7\n")
        left = size - 9
        block = os.urandom(4 * 1024 * 1024)
        while left > 0:
            fh.write(block[: min(left, len(block))])
            left -= len(block)


class RssSampler:
    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        with open(f"/proc/{self.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.005)

    def __enter__(self) -> RssSampler:
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("server did not start")


def _curl(args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(["curl", "-sS", "--fail-with-body", "-o", "/dev/null", "-w", "%{http_code}", *args],
                         check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if out.returncode != 0 and not out.stdout.startswith("3"):
        raise RuntimeError(f"curl failed: {out.stdout} {out.stderr}")
    return elapsed, out.stdout


async def _seed_hub(data_dir: Path) -> dict[str, str]:
    from hub import migrate
    from hub.accounts.auth import STAGE_FULL, AuthService
    from hub.accounts.roles import OrgKind, Role
    from hub.accounts.services import ConvenantService, OrganisationService, UserService
    from hub.cases.services import CaseService
    from hub.config import Settings
    from hub.db import create_engine, session_factory, transaction
    from hub.keys import create_keyring

    settings = Settings.for_data_dir(data_dir)
    keyring = create_keyring(settings.keyring_path)
    await migrate.upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with transaction(session_factory(engine)) as db:
            gem = await OrganisationService(db).create(OrgKind.GEMEENTE, "Gemeente Bench")
            kantoor = await OrganisationService(db).create(OrgKind.KANTOOR, "Kantoor Bench")
            conv = await ConvenantService(db).create(gem.id, kantoor.id, date(2025, 1, 1))
            user, _ = await UserService(db).create(kantoor, name="Bench", email="bench@k.example.nl",
                                                   roles={Role.BEWINDVOERDER}, password="bench bench bench 42",
                                                   must_change_password=False)
            case = await CaseService(db, keyring).open_case(
                user, convenant_id=conv.id, client_name="Bench Cliënt", bsn="123456782", birth_date=date(1980, 1, 1),
                bewind_kind="schuldenbewind", beschikking_date=date(2025, 6, 1), bewind_start_date=date(2025, 6, 1),
                rechtbank="Gelderland")
            token, sess = await AuthService(db, keyring).start_session(user, STAGE_FULL)
    finally:
        await engine.dispose()
    return {"case_id": case.id, "token": token, "csrf": sess.csrf_token}


def _start(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=ROOT)
    _wait_listening(port, proc)
    return proc


def _latest_document_id(data_dir: Path) -> str:
    import sqlite3

    con = sqlite3.connect(data_dir / "hub.sqlite3")
    try:
        row = con.execute("SELECT id FROM document ORDER BY uploaded_at DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return str(row[0])


def run() -> list[dict[str, Any]]:
    work = Path(tempfile.mkdtemp(prefix="hub-bench."))
    rows: list[dict[str, Any]] = []
    procs: list[subprocess.Popen[bytes]] = []
    try:
        data_dir = work / "hub"
        seeded = asyncio.run(_seed_hub(data_dir))
        hub_port, base_port = free_port(), free_port()
        procs.append(hub := _start([PYTHON, "-m", "hub", "serve"], {
            "HUB_DATA_DIR": str(data_dir), "HUB_PORT": str(hub_port), "HUB_WORKER": "off",
            "HUB_MAX_UPLOAD_MB": "2000", "HUB_LOG_LEVEL": "warning"}, hub_port))
        procs.append(base := _start([PYTHON, "-m", "uvicorn", "bench.baseline_app:app", "--port", str(base_port),
                                     "--loop", "uvloop", "--http", "httptools", "--log-level", "warning"],
                                    {"BASELINE_DIR": str(work / "baseline")}, base_port))
        cookie = f"hub_session={seeded['token']}"
        hub_url = f"http://127.0.0.1:{hub_port}"
        for size_mb in (10, 200, 1000):
            source = work / f"source-{size_mb}.pdf"
            _write_pdf_like(source, size_mb * MB)
            size = source.stat().st_size

            with RssSampler(base.pid) as base_rss:
                idle_base = base_rss.peak
                t_base, _ = _curl(["-X", "POST", "--data-binary", f"@{source}",
                                   "-H", "Content-Type: application/octet-stream",
                                   f"http://127.0.0.1:{base_port}/upload"])
            with RssSampler(hub.pid) as hub_rss:
                idle_hub = hub_rss.peak
                t_hub, code = _curl(["-b", cookie, "-F", f"csrf_token={seeded['csrf']}",
                                     "-F", "doc_type=overig", "-F", "document_date=2026-01-05",
                                     "-F", f"file=@{source};filename=bench.pdf;type=application/pdf",
                                     f"{hub_url}/dossiers/{seeded['case_id']}/documenten"])
            if code != "303":
                raise RuntimeError(f"hub upload answered {code}")
            rows.append({"measure": f"upload {size_mb} MB", "hub MB/s": size / MB / t_hub,
                         "(a) bare MB/s": size / MB / t_base, "hub/(a)": t_base / t_hub, "goal": ">= 0.85",
                         "hub peak RSS +MB": (hub_rss.peak - idle_hub) / MB, "(a) peak RSS +MB":
                         (base_rss.peak - idle_base) / MB, "RSS goal": "<= 16"})

            doc_id = _latest_document_id(data_dir)
            base_name = sorted((work / "baseline").iterdir(), key=lambda p: p.stat().st_mtime)[-1].name
            with RssSampler(base.pid) as base_rss:
                idle_base = base_rss.peak
                t_base_dl, _ = _curl([f"http://127.0.0.1:{base_port}/download/{base_name}"])
            with RssSampler(hub.pid) as hub_rss:
                idle_hub = hub_rss.peak
                t_hub_dl, code = _curl(["-b", cookie, f"{hub_url}/documenten/{doc_id}/downloaden"])
            rows.append({"measure": f"download {size_mb} MB", "hub MB/s": size / MB / t_hub_dl,
                         "(a) bare MB/s": size / MB / t_base_dl, "hub/(a)": t_base_dl / t_hub_dl, "goal": "",
                         "hub peak RSS +MB": (hub_rss.peak - idle_hub) / MB,
                         "(a) peak RSS +MB": (base_rss.peak - idle_base) / MB, "RSS goal": "<= 16"})

            if size_mb == 200:
                rows.append(_age_row(source, work))
            source.unlink()
            shutil.rmtree(work / "baseline", ignore_errors=True)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return rows


def _age_row(source: Path, work: Path) -> dict[str, Any]:
    """(b): age encrypting the same file on the same disk (X25519 recipient, like a real deployment)."""
    if shutil.which("age") is None or shutil.which("age-keygen") is None:
        return {"measure": "age encrypt 200 MB", "hub MB/s": "age not installed (apt-get install age)"}
    key = work / "age.key"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(key)], check=True, capture_output=True, text=True).stdout
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(["age", "-r", recipient.strip(), "-o", str(work / "out.age"), str(source)], check=True)
        times.append(time.perf_counter() - started)
    (work / "out.age").unlink()
    return {"measure": "(b) age encrypt 200 MB (file to file)",
            "hub MB/s": source.stat().st_size / MB / statistics.median(times)}


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
