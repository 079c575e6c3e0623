"""Upload and download through the running hub, against (a) a bare streaming endpoint and (b) `age`.

Everything runs on 127.0.0.1 and on the same disk:

- the hub is set up the way an operator does it (``hub init``, then an organisation, convenant, user with an
  enrolled authenticator), started as ``hub serve`` (uvicorn with uvloop and httptools, a process of its own), and
  logged into over HTTP through the real pages: password, then a TOTP code. The case is opened with the real form
  (``POST /dossiers/nieuw``), documents go through ``POST /dossiers/{case_id}/documenten`` (streaming multipart,
  content check, SHA-256, AES-256-GCM, fsync) and come back through ``GET /documenten/{id}/downloaden``;
- (a) is bench/baseline_app.py under the same uvicorn settings: the body to a file in 1 MiB writes, and back;
- (b) is ``age`` encrypting the same file to a file (X25519 recipient).

curl is the client (it streams the file from the page cache; ``Expect:`` is switched off for both servers). The
server's peak RSS is the kernel's high-water mark (VmHWM, reset through /proc/PID/clear_refs before each transfer),
so no short peak is missed; where that reset is not allowed, /proc/PID/status is sampled every 2 ms instead.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

MB = 1_000_000
MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

SPEED_SIZE_MB = 200  # the throughput comparison (hub, (a), (b)) uses this file
SPEED_RUNS = 3  # alternating hub and (a); the median counts
RSS_SIZES_MB = (10, 1000)  # peak RSS of a small and a large file must be the same
WARMUP_MB = 1
UPLOAD_RATIO_GOAL = 0.85
RSS_GOAL_MB = 16.0
RSS_SAME_MB = 4.0  # "the same for 1 GB as for 10 MB": within this many MB of each other

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
CASE_RE = re.compile(r"^/dossiers/([0-9a-f]{32})\?")

notes: list[str] = []


# -- processes and measurements ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_pdf_like(path: Path, size: int) -> None:
    """Random bytes behind a PDF header: incompressible, and accepted by the content check."""
    block = os.urandom(4 * MIB)
    with open(path, "wb") as fh:
        fh.write(b"%PDF-1.7\n")
        left = size - 9
        while left > 0:
            fh.write(block[: min(left, len(block))])
            left -= len(block)


def _status(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


class PeakRss:
    """Idle RSS just before a transfer and the peak during it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.idle = self.peak = 0
        self._hwm = True
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PeakRss:
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as fh:
                fh.write("5")  # reset the peak RSS (VmHWM) to the current RSS
        except OSError:
            self._hwm = False
        self.idle = self.peak = _status(self.pid, "VmRSS")
        if not self._hwm:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _status(self.pid, "VmRSS"))
            time.sleep(0.002)

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
        else:
            self.peak = max(self.peak, _status(self.pid, "VmHWM"))

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.idle) / MB


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start: {log.read_text()[-2000:]}")


def _start(cmd: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    _wait_listening(port, proc, log)
    return proc


@dataclass
class Transfer:
    code: str
    seconds: float
    size: int  # bytes uploaded or downloaded, as curl counted them


def _curl(args: list[str], *, direction: str) -> Transfer:
    """One request; curl's own clock (no process start-up in the figure)."""
    os.sync()  # earlier writes are on disk: this transfer does not pay for another one's write-back
    out = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-H", "Expect:",
         "-w", f"%{{http_code}} %{{time_total}} %{{size_{direction}}}", *args],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"curl failed ({out.returncode}): {out.stderr.strip()}")
    code, seconds, size = out.stdout.split()
    return Transfer(code, float(seconds), int(float(size)))


# -- the hub: set up as an operator does, logged into as a user does ---------------------------------------------


@dataclass
class Hub:
    url: str
    data_dir: Path
    email: str
    password: str
    totp_secret: bytes
    convenant_id: str
    user_id: str
    session: str = ""
    csrf: str = ""
    case_id: str = ""


def _hub_env(data_dir: Path, port: int) -> dict[str, str]:
    return {
        "HUB_DATA_DIR": str(data_dir),
        "HUB_PORT": str(port),
        "HUB_WORKER": "off",
        "HUB_MAX_UPLOAD_MB": "2000",
        "HUB_LOG_LEVEL": "warning",
    }


async def _seed(data_dir: Path, email: str, password: str) -> tuple[bytes, str, str]:
    """A gemeente, a kantoor, their convenant and a bewindvoerder with an authenticator (like `hub demo`).

    Returns (TOTP secret, convenant id, user id)."""
    from hub.accounts import totp
    from hub.accounts.auth import AuthService
    from hub.accounts.roles import OrgKind, Role
    from hub.accounts.services import ConvenantService, OrganisationService, UserService
    from hub.config import Settings
    from hub.db import create_engine, session_factory, transaction
    from hub.keys import load_keyring

    settings = Settings.for_data_dir(data_dir)
    keyring = load_keyring(settings.keyring_path)
    engine = create_engine(settings.database_url)
    try:
        async with transaction(session_factory(engine)) as db:
            orgs = OrganisationService(db)
            gemeente = await orgs.create(OrgKind.GEMEENTE, "Gemeente Bench", contact_email="vast@gemeente.bench.nl")
            kantoor = await orgs.create(OrgKind.KANTOOR, "Bewind Bench", contact_email="vast@kantoor.bench.nl")
            convenant = await ConvenantService(db).create(gemeente.id, kantoor.id, date(2025, 1, 1))
            user, _ = await UserService(db).create(
                kantoor, name="B. Bench", email=email, roles={Role.BEWINDVOERDER}, password=password,
                must_change_password=False,
            )  # fmt: skip
            secret = totp.new_secret()
            await AuthService(db, keyring).set_totp_secret(user, secret)
    finally:
        await engine.dispose()
    return secret, convenant.id, user.id


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError("no csrf_token in the page")
    return match.group(1)


def _login_and_open_case(hub: Hub) -> None:
    """The real login (password, then a TOTP code) and a case opened with the real form, over HTTP."""
    import httpx

    from hub.accounts import totp

    with httpx.Client(base_url=hub.url, follow_redirects=False, timeout=30) as client:

        def expect(response: httpx.Response, status: int, what: str) -> httpx.Response:
            if response.status_code != status:
                raise RuntimeError(f"{what}: HTTP {response.status_code}, expected {status}")
            return response

        page = expect(client.get("/inloggen"), 200, "login page")
        form = {"email": hub.email, "password": hub.password, "csrf_token": _csrf(page.text), "volgende": "/"}
        expect(client.post("/inloggen", data=form), 303, "password")
        page = expect(client.get("/inloggen/mfa"), 200, "code page")
        code = totp.code_at(hub.totp_secret, time.time())
        form = {"code": code, "csrf_token": _csrf(page.text), "volgende": "/"}
        expect(client.post("/inloggen/mfa", data=form), 303, "TOTP code")
        start = expect(client.get("/"), 200, "start page after login")
        hub.csrf = _csrf(start.text)
        hub.session = client.cookies["hub_session"]

        form = {
            "csrf_token": hub.csrf,
            "convenant_id": hub.convenant_id,
            "client_name": "Bench Cliënt",
            "bsn": "123456782",
            "birth_date": "1980-01-01",
            "beschikking_date": "2025-06-01",
            "bewind_start_date": "2025-06-01",
            "bewind_kind": "schuldenbewind",
            "rechtbank": "Rechtbank Gelderland",
            "bewindvoerder_id": hub.user_id,
        }
        opened = expect(client.post("/dossiers/nieuw", data=form), 303, "new case")
        match = CASE_RE.match(opened.headers["location"])
        if not match:
            raise RuntimeError(f"new case: unexpected redirect {opened.headers['location']}")
        hub.case_id = match.group(1)


def _latest_document_id(data_dir: Path) -> str:
    import sqlite3

    con = sqlite3.connect(data_dir / "hub.sqlite3")
    try:
        row = con.execute("SELECT id FROM document ORDER BY uploaded_at DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return str(row[0])


# -- one file through both servers --------------------------------------------------------------------------------


@dataclass
class Sides:
    """One file's upload or download through the hub and through (a)."""

    hub: Transfer
    hub_rss: PeakRss
    base: Transfer
    base_rss: PeakRss


class Bench:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.procs: list[subprocess.Popen[bytes]] = []
        self.hub: Hub | None = None
        self.hub_pid = self.base_pid = 0
        self.base_url = ""

    def start(self) -> None:
        data_dir = self.work / "hub"
        hub_port, base_port = free_port(), free_port()
        env = _hub_env(data_dir, hub_port)
        init = subprocess.run([PYTHON, "-m", "hub", "init"], env={**os.environ, **env}, cwd=ROOT,
                              capture_output=True, text=True, check=False)  # fmt: skip
        if init.returncode != 0:
            raise RuntimeError(f"hub init failed: {init.stderr}")
        email, password = "bench@bewind.bench.nl", secrets.token_urlsafe(18)
        secret, convenant_id, user_id = asyncio.run(_seed(data_dir, email, password))
        hub_proc = _start([PYTHON, "-m", "hub", "serve"], env, hub_port, self.work / "hub.log")
        self.procs.append(hub_proc)
        base_proc = _start(
            [PYTHON, "-m", "uvicorn", "bench.baseline_app:app", "--host", "127.0.0.1", "--port", str(base_port),
             "--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"],
            {"BASELINE_DIR": str(self.work / "baseline")}, base_port, self.work / "baseline.log",
        )  # fmt: skip
        self.procs.append(base_proc)
        self.hub_pid, self.base_pid = hub_proc.pid, base_proc.pid
        self.base_url = f"http://127.0.0.1:{base_port}"
        self.hub = Hub(f"http://127.0.0.1:{hub_port}", data_dir, email, password, secret, convenant_id, user_id)
        _login_and_open_case(self.hub)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # -- the transfers -----------------------------------------------------------------------------------------

    def upload_hub(self, source: Path) -> tuple[Transfer, PeakRss, str]:
        hub = self.hub
        assert hub is not None
        with PeakRss(self.hub_pid) as rss:
            t = _curl(["-b", f"hub_session={hub.session}", "-F", f"csrf_token={hub.csrf}", "-F", "doc_type=overig",
                       "-F", "document_date=2026-01-05", "-F", f"file=@{source};filename=bench.pdf;type=application/pdf",
                       f"{hub.url}/dossiers/{hub.case_id}/documenten"], direction="upload")  # fmt: skip
        if t.code != "303":
            raise RuntimeError(f"hub upload answered {t.code} (see {self.work / 'hub.log'})")
        return t, rss, _latest_document_id(hub.data_dir)

    def download_hub(self, document_id: str, size: int) -> tuple[Transfer, PeakRss]:
        hub = self.hub
        assert hub is not None
        with PeakRss(self.hub_pid) as rss:
            t = _curl(["-b", f"hub_session={hub.session}", f"{hub.url}/documenten/{document_id}/downloaden"],
                      direction="download")  # fmt: skip
        if t.code != "200" or t.size != size:
            raise RuntimeError(f"hub download answered {t.code} with {t.size} of {size} bytes")
        return t, rss

    def upload_base(self, source: Path, *, fsync: bool = False) -> tuple[Transfer, PeakRss, str]:
        before = set(self._base_names())
        with PeakRss(self.base_pid) as rss:
            t = _curl(["-X", "POST", "-T", str(source), "-H", "Content-Type: application/octet-stream",
                       f"{self.base_url}/upload" + ("?fsync=1" if fsync else "")], direction="upload")  # fmt: skip
        if t.code != "200":
            raise RuntimeError(f"baseline upload answered {t.code}")
        (name,) = set(self._base_names()) - before
        return t, rss, name

    def download_base(self, name: str, size: int) -> tuple[Transfer, PeakRss]:
        with PeakRss(self.base_pid) as rss:
            t = _curl([f"{self.base_url}/download/{name}"], direction="download")
        if t.code != "200" or t.size != size:
            raise RuntimeError(f"baseline download answered {t.code} with {t.size} of {size} bytes")
        return t, rss

    def _base_names(self) -> list[str]:
        store = self.work / "baseline"
        return [p.name for p in store.iterdir()] if store.exists() else []

    def clear_base(self) -> None:
        shutil.rmtree(self.work / "baseline", ignore_errors=True)

    def both(self, source: Path) -> tuple[Sides, Sides]:
        """Upload, then download, the file through (a) and the hub; returns (upload, download)."""
        size = source.stat().st_size
        b_up, b_up_rss, name = self.upload_base(source)
        h_up, h_up_rss, document_id = self.upload_hub(source)
        b_down, b_down_rss = self.download_base(name, size)
        h_down, h_down_rss = self.download_hub(document_id, size)
        self.clear_base()
        return Sides(h_up, h_up_rss, b_up, b_up_rss), Sides(h_down, h_down_rss, b_down, b_down_rss)


# -- the rows ------------------------------------------------------------------------------------------------------


def _mbps(size: int, seconds: float) -> float:
    return size / MB / seconds


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


def _age(source: Path, work: Path) -> float:
    """(b): seconds for age to encrypt the file to a file on the same disk (median of SPEED_RUNS)."""
    if shutil.which("age") is None or shutil.which("age-keygen") is None:
        raise RuntimeError("age is not installed: apt-get install -y --no-upgrade age (make bench does this)")
    key = work / "age.key"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(key)], check=True, capture_output=True, text=True)
    times = []
    for _ in range(SPEED_RUNS):
        out = work / "out.age"
        os.sync()
        started = time.perf_counter()
        subprocess.run(["age", "-r", recipient.stdout.strip(), "-o", str(out), str(source)], check=True)
        times.append(time.perf_counter() - started)
        out.unlink()
    return statistics.median(times)


def _median_transfer(runs: list[Sides], pick: Callable[[Sides], Transfer]) -> float:
    return statistics.median(pick(r).seconds for r in runs)


def run() -> list[dict[str, Any]]:
    notes.clear()
    work = Path(tempfile.mkdtemp(prefix="hub-bench."))
    bench = Bench(work)
    rows: list[dict[str, Any]] = []
    try:
        bench.start()
        warm = work / "warmup.pdf"
        _write_pdf_like(warm, WARMUP_MB * MB)
        bench.both(warm)  # first-request work (imports, templates, connections) is not part of "idle"
        warm.unlink()

        # (1) throughput: the 200 MB file, SPEED_RUNS times through each server, alternating; and age.
        source = work / f"source-{SPEED_SIZE_MB}.pdf"
        _write_pdf_like(source, SPEED_SIZE_MB * MB)
        size = source.stat().st_size
        runs = [bench.both(source) for _ in range(SPEED_RUNS)]
        ups, downs = [u for u, _ in runs], [d for _, d in runs]
        fsynced = []
        for _ in range(SPEED_RUNS):
            t, _rss, _name = bench.upload_base(source, fsync=True)
            fsynced.append(t.seconds)
            bench.clear_base()
        age_s = _age(source, work)
        source.unlink()

        hub_up = _mbps(size, _median_transfer(ups, lambda s: s.hub))
        base_up = _mbps(size, _median_transfer(ups, lambda s: s.base))
        base_up_fsync = _mbps(size, statistics.median(fsynced))
        age_mbps = _mbps(size, age_s)
        hub_down = _mbps(size, _median_transfer(downs, lambda s: s.hub))
        base_down = _mbps(size, _median_transfer(downs, lambda s: s.base))
        label = f"{SPEED_SIZE_MB} MB"
        rows.append({"measure": f"upload {label}, MB/s (median of {SPEED_RUNS})", "hub": hub_up, "(a) bare": base_up,
                     "(b) age": age_mbps, "hub/(a)": hub_up / base_up, "hub/(b)": hub_up / age_mbps,
                     "goal": f"hub/(a) >= {UPLOAD_RATIO_GOAL}", "met": _met(hub_up / base_up >= UPLOAD_RATIO_GOAL)})
        rows.append({"measure": f"upload {label}, MB/s, (a) with fsync like the hub", "hub": hub_up,
                     "(a) bare": base_up_fsync, "hub/(a)": hub_up / base_up_fsync, "goal": "(reference)",
                     "met": "-"})  # fmt: skip
        rows.append({"measure": f"download {label}, MB/s (median of {SPEED_RUNS})", "hub": hub_down,
                     "(a) bare": base_down, "hub/(a)": hub_down / base_down, "goal": "(none set)", "met": "-"})

        # (2) and (3): peak RSS above idle, for the 200 MB runs and for a small and a large file.
        by_size: dict[str, tuple[Sides, Sides]] = {}
        for size_mb in RSS_SIZES_MB:
            path = work / f"source-{size_mb}.pdf"
            _write_pdf_like(path, size_mb * MB)
            by_size[f"{size_mb} MB" if size_mb < 1000 else f"{size_mb // 1000} GB"] = bench.both(path)
            path.unlink()
        worst_up = max(ups, key=lambda s: s.hub_rss.growth_mb)
        worst_down = max(downs, key=lambda s: s.hub_rss.growth_mb)
        small, large = (f"{RSS_SIZES_MB[0]} MB", f"{RSS_SIZES_MB[1] // 1000} GB")
        speed_rows = {label: (worst_up, worst_down)} | by_size
        for direction, index in (("upload", 0), ("download", 1)):
            for name in (small, label, large):
                sides = speed_rows[name][index]
                growth = sides.hub_rss.growth_mb
                row: dict[str, Any] = {
                    "measure": f"{direction} {name}, server peak RSS above idle, MB",
                    "hub": growth,
                    "(a) bare": sides.base_rss.growth_mb,
                    "goal": f"<= {RSS_GOAL_MB:.0f}",
                    "met": _met(growth <= RSS_GOAL_MB),
                }
                if name in by_size and name != label:
                    row["hub MB/s"] = _mbps(sides.hub.size, sides.hub.seconds)
                    row["(a) MB/s"] = _mbps(sides.base.size, sides.base.seconds)
                rows.append(row)
            a, b = by_size[small][index].hub_rss.growth_mb, by_size[large][index].hub_rss.growth_mb
            rows.append({"measure": f"{direction}: peak RSS growth 1 GB minus 10 MB, MB", "hub": b - a,
                         "(a) bare": by_size[large][index].base_rss.growth_mb
                         - by_size[small][index].base_rss.growth_mb,
                         "goal": f"|x| <= {RSS_SAME_MB:.0f} (same)", "met": _met(abs(b - a) <= RSS_SAME_MB)})  # fmt: skip
        idle = max(s.hub_rss.idle for s in ups)
        notes.append(
            f"hub server idle RSS {idle / MB:.1f} MB (after login and a {WARMUP_MB} MB warm-up upload and download); "
            f"(a) idle RSS {max(s.base_rss.idle for s in ups) / MB:.1f} MB. Peak RSS: "
            + ("kernel VmHWM, reset before each transfer." if ups[0].hub_rss._hwm else "sampled every 2 ms.")
        )
        notes.append(
            "(b) age: file to file on the same disk, no fsync. The hub fsyncs every blob before it answers; "
            "(a) does not, unless asked (the 'with fsync' row)."
        )
    finally:
        bench.stop()
        shutil.rmtree(work, ignore_errors=True)
    return rows


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table("bench.upload_bench", run(), notes)
