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
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

MB = 1_000_000
MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

SPEED_SIZE_MB = 200  # the throughput comparison (hub, (a), (b)) uses this file
SPEED_RUNS = 6  # a multiple of 3: each upload goes first, second and third equally often; medians count
UPLOAD_ORDERS = (("bare", "hub", "fsync"), ("hub", "fsync", "bare"), ("fsync", "bare", "hub"))
RSS_SIZES_MB = (10, 1000)  # peak RSS of a small and a large file must be the same
WARMUP_MB = 1
UPLOAD_RATIO_GOAL = 0.85
DOWNLOAD_RATIO_GOAL = 0.85  # issue 16: verified while streaming, at least 0.85 x a plain streaming download
TTFB_SAME_S = 0.05  # "time to first byte independent of size": 1 GB within this many seconds of 10 MB
RSS_GOAL_MB = 16.0
RSS_SAME_MB = 4.0  # "the same for 1 GB as for 10 MB": within this many MB of each other

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
CASE_RE = re.compile(r"^/dossiers/([0-9a-f]{32})\?")

notes: list[str] = []
# The column order of the table.
COLUMNS = ("measure", "unit", "hub", "(a) bare", "(b) age", "hub/(a)", "hub/(b)", "goal", "met")


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


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class ServerWatch:
    """What one transfer costs the server process: peak RSS above its idle RSS just before, and CPU time."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.idle = self.peak = 0
        self.cpu = 0.0
        self.hwm = True
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ServerWatch:
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as fh:
                fh.write("5")  # reset the peak RSS (VmHWM) to the current RSS
        except OSError:
            self.hwm = False
        self.idle = self.peak = _status(self.pid, "VmRSS")
        if not self.hwm:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        self.cpu = -_cpu_seconds(self.pid)
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _status(self.pid, "VmRSS"))
            time.sleep(0.002)

    def __exit__(self, *exc: object) -> None:
        self.cpu += _cpu_seconds(self.pid)
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


def _environ(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without any HUB_* setting of the caller (the bench never touches a real hub's
    database or keyring), plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("HUB_")}, **extra}


def _start(cmd: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=_environ(env), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    _wait_listening(port, proc, log)
    return proc


@dataclass
class Transfer:
    code: str
    seconds: float
    size: int  # bytes uploaded or downloaded, as curl counted them
    first_byte: float  # seconds until the first byte of the response


def _curl(args: list[str], *, direction: str, output: Path | None = None) -> Transfer:
    """One request; curl's own clock (no process start-up in the figure)."""
    os.sync()  # earlier writes are on disk: this transfer does not pay for another one's write-back
    out = subprocess.run(
        ["curl", "-sS", "-o", str(output or "/dev/null"), "-H", "Expect:",
         "-w", f"%{{http_code}} %{{time_total}} %{{size_{direction}}} %{{time_starttransfer}}", *args],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"curl failed ({out.returncode}): {out.stderr.strip()}")
    code, seconds, size, first_byte = out.stdout.split()
    return Transfer(code, float(seconds), int(float(size)), float(first_byte))


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
        "HUB_CLAMD": "off",  # the streaming path without a scanner, as measured before `hub serve` required a choice
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
    hub_server: ServerWatch
    base: Transfer
    base_server: ServerWatch


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
        init = subprocess.run([PYTHON, "-m", "hub", "init"], env=_environ(env), cwd=ROOT,
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

    def upload_hub(self, source: Path) -> tuple[Transfer, ServerWatch, str]:
        hub = self.hub
        assert hub is not None
        with ServerWatch(self.hub_pid) as server:
            # The form as the browser sends it: csrf_token first, the file last.
            form = [f"csrf_token={hub.csrf}", "doc_type=overig", "document_date=2026-01-05",
                    f"file=@{source};filename=bench.pdf;type=application/pdf"]  # fmt: skip
            fields = [arg for field in form for arg in ("-F", field)]
            url = f"{hub.url}/dossiers/{hub.case_id}/documenten"
            t = _curl(["-b", f"hub_session={hub.session}", *fields, url], direction="upload")
        if t.code != "303":
            raise RuntimeError(f"hub upload answered {t.code} (see {self.work / 'hub.log'})")
        return t, server, _latest_document_id(hub.data_dir)

    def download_hub(self, document_id: str, size: int, output: Path | None = None) -> tuple[Transfer, ServerWatch]:
        hub = self.hub
        assert hub is not None
        with ServerWatch(self.hub_pid) as server:
            t = _curl(["-b", f"hub_session={hub.session}", f"{hub.url}/documenten/{document_id}/downloaden"],
                      direction="download", output=output)  # fmt: skip
        if t.code != "200" or t.size != size:
            raise RuntimeError(f"hub download answered {t.code} with {t.size} of {size} bytes")
        return t, server

    def upload_base(self, source: Path, *, fsync: bool = False) -> tuple[Transfer, ServerWatch, str]:
        before = set(self._base_names())
        with ServerWatch(self.base_pid) as server:
            t = _curl(["-X", "POST", "-T", str(source), "-H", "Content-Type: application/octet-stream",
                       f"{self.base_url}/upload" + ("?fsync=1" if fsync else "")], direction="upload")  # fmt: skip
        if t.code != "200":
            raise RuntimeError(f"baseline upload answered {t.code}")
        (name,) = set(self._base_names()) - before
        return t, server, name

    def download_base(self, name: str, size: int) -> tuple[Transfer, ServerWatch]:
        with ServerWatch(self.base_pid) as server:
            t = _curl([f"{self.base_url}/download/{name}"], direction="download")
        if t.code != "200" or t.size != size:
            raise RuntimeError(f"baseline download answered {t.code} with {t.size} of {size} bytes")
        return t, server

    def check_round_trip(self, source: Path) -> str:
        """The stored blob is ciphertext (the stream header, no plaintext in it) and the download is the file."""
        hub = self.hub
        assert hub is not None
        _transfer, _server, document_id = self.upload_hub(source)
        blobs = sorted((hub.data_dir / "blobs").glob("??/??/*"), key=lambda p: p.stat().st_mtime)
        blob = blobs[-1].read_bytes()
        plain = source.read_bytes()
        sample = plain[4096 : 4096 + 64]
        if not blob.startswith(b"HUBv") or sample in blob or len(blob) <= len(plain):
            raise RuntimeError(f"blob {blobs[-1].name} does not look encrypted")
        copy = self.work / "round-trip.pdf"
        self.download_hub(document_id, len(plain), output=copy)
        if copy.read_bytes() != plain:
            raise RuntimeError("the downloaded document differs from the uploaded file")
        copy.unlink()
        return (
            f"Checked: the blob on disk starts with the hub's stream header and holds no plaintext "
            f"({len(blob) - len(plain)} bytes of header and tags on {len(plain)}); the download equals the file."
        )

    def _base_names(self) -> list[str]:
        store = self.work / "baseline"
        return [p.name for p in store.iterdir()] if store.exists() else []

    def clear_base(self) -> None:
        shutil.rmtree(self.work / "baseline", ignore_errors=True)

    def both(self, source: Path, *, hub_first: bool = False) -> tuple[Sides, Sides]:
        """Upload, then download, the file through (a) and the hub; returns (upload, download)."""
        size = source.stat().st_size
        if hub_first:
            h_up, h_up_server, document_id = self.upload_hub(source)
            b_up, b_up_server, name = self.upload_base(source)
            h_down, h_down_server = self.download_hub(document_id, size)
            b_down, b_down_server = self.download_base(name, size)
        else:
            b_up, b_up_server, name = self.upload_base(source)
            h_up, h_up_server, document_id = self.upload_hub(source)
            b_down, b_down_server = self.download_base(name, size)
            h_down, h_down_server = self.download_hub(document_id, size)
        self.clear_base()
        return Sides(h_up, h_up_server, b_up, b_up_server), Sides(h_down, h_down_server, b_down, b_down_server)

    def speed_run(self, source: Path, i: int) -> tuple[Sides, Sides, float]:
        """One run of the speed comparison: three uploads (hub, (a), (a) with fsync) in an order that rotates with
        ``i``, then the two downloads (their order alternating); returns (upload, download, (a)-with-fsync seconds).
        Over a multiple of three runs every upload has been first, second and third equally often."""
        size = source.stat().st_size
        order = UPLOAD_ORDERS[i % len(UPLOAD_ORDERS)]
        done: dict[str, Any] = {}
        for what in order:
            if what == "hub":
                done[what] = self.upload_hub(source)
            else:
                done[what] = self.upload_base(source, fsync=what == "fsync")
        h_up, h_up_server, document_id = done["hub"]
        b_up, b_up_server, name = done["bare"]
        fsync_seconds = done["fsync"][0].seconds
        if i % 2:
            h_down, h_down_server = self.download_hub(document_id, size)
            b_down, b_down_server = self.download_base(name, size)
        else:
            b_down, b_down_server = self.download_base(name, size)
            h_down, h_down_server = self.download_hub(document_id, size)
        self.clear_base()
        up = Sides(h_up, h_up_server, b_up, b_up_server)
        return up, Sides(h_down, h_down_server, b_down, b_down_server), fsync_seconds


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


def _size_label(size_mb: int) -> str:
    return f"{size_mb} MB" if size_mb < 1000 else f"{size_mb / 1000:g} GB"


def _speed_rows(direction: str, label: str, runs: list[Sides], size: int) -> list[dict[str, Any]]:
    """MB/s and the server's CPU time per transfer, hub against (a): medians over the runs. The ratio is the median
    of the per-run ratios: hub and (a) of one run ran one after the other, under the same load of the machine."""
    hub = _mbps(size, statistics.median(r.hub.seconds for r in runs))
    base = _mbps(size, statistics.median(r.base.seconds for r in runs))
    ratio = statistics.median(r.base.seconds / r.hub.seconds for r in runs)
    hub_cpu = statistics.median(r.hub_server.cpu for r in runs)
    base_cpu = statistics.median(r.base_server.cpu for r in runs)
    cpu_ratio = statistics.median(r.hub_server.cpu / r.base_server.cpu for r in runs if r.base_server.cpu)
    goal = {
        "upload": (f"hub/(a) >= {UPLOAD_RATIO_GOAL}", _met(ratio >= UPLOAD_RATIO_GOAL)),
        "download": (f"hub/(a) >= {DOWNLOAD_RATIO_GOAL}", _met(ratio >= DOWNLOAD_RATIO_GOAL)),
    }
    speed_goal, speed_met = goal.get(direction, ("(no goal set)", "-"))
    return [
        {"measure": f"{direction} {label} (median of {len(runs)})", "unit": "MB/s", "hub": hub, "(a) bare": base,
         "hub/(a)": ratio, "goal": speed_goal, "met": speed_met},
        {"measure": f"{direction} {label}: server CPU time per file", "unit": "CPU s", "hub": hub_cpu,
         "(a) bare": base_cpu, "hub/(a)": cpu_ratio, "goal": "(diagnostic)", "met": "-"},
    ]  # fmt: skip


def _rss_rows(direction: str, by_label: dict[str, Sides], small: str, large: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for label, sides in by_label.items():
        growth = sides.hub_server.growth_mb
        rows.append({"measure": f"{direction} {label}: server peak RSS above idle", "unit": "MB", "hub": growth,
                     "(a) bare": sides.base_server.growth_mb, "goal": f"<= {RSS_GOAL_MB:g}",
                     "met": _met(growth <= RSS_GOAL_MB)})  # fmt: skip
    hub_diff = by_label[large].hub_server.growth_mb - by_label[small].hub_server.growth_mb
    base_diff = by_label[large].base_server.growth_mb - by_label[small].base_server.growth_mb
    rows.append({"measure": f"{direction}: peak RSS growth, {large} minus {small}", "unit": "MB", "hub": hub_diff,
                 "(a) bare": base_diff, "goal": f"within ±{RSS_SAME_MB:g} (same)",
                 "met": _met(abs(hub_diff) <= RSS_SAME_MB)})  # fmt: skip
    return rows


def _first_byte_rows(small_sides: Sides, large_sides: Sides, small: str, large: str) -> list[dict[str, Any]]:
    """Time to the first byte of a download, small and large: the hub streams as it verifies, so it must not grow
    with the size (it used to verify the whole blob first: 0.47 s for 1 GB)."""
    rows: list[dict[str, Any]] = []
    for label, sides in ((small, small_sides), (large, large_sides)):
        rows.append({"measure": f"download {label}: time to first byte", "unit": "s", "hub": sides.hub.first_byte,
                     "(a) bare": sides.base.first_byte, "goal": "(information)", "met": "-"})  # fmt: skip
    grown = large_sides.hub.first_byte - small_sides.hub.first_byte
    rows.append({"measure": f"download: time to first byte, {large} minus {small}", "unit": "s", "hub": grown,
                 "(a) bare": large_sides.base.first_byte - small_sides.base.first_byte,
                 "goal": f"<= {TTFB_SAME_S:g} (independent of size)", "met": _met(grown <= TTFB_SAME_S)})  # fmt: skip
    return rows


def _load() -> float:
    with open("/proc/loadavg") as fh:
        return float(fh.read().split()[0])


def run() -> list[dict[str, Any]]:
    notes.clear()
    loads = [_load()]
    work = Path(tempfile.mkdtemp(prefix="hub-bench."))
    bench = Bench(work)
    rows: list[dict[str, Any]] = []
    try:
        bench.start()
        warm = work / "warmup.pdf"
        _write_pdf_like(warm, WARMUP_MB * MB)
        bench.both(warm)  # first-request work (imports, templates, connections) is not part of "idle"
        notes.append(bench.check_round_trip(warm))
        warm.unlink()

        # (1) and (3), speed: the same file SPEED_RUNS times through the hub, (a) and (a) with fsync (rotating
        # the order), and back from the hub and (a); then age.
        source = work / "source.pdf"
        _write_pdf_like(source, SPEED_SIZE_MB * MB)
        size = source.stat().st_size
        runs = [bench.speed_run(source, i) for i in range(SPEED_RUNS)]
        loads.append(_load())
        ups, downs, fsynced = [r[0] for r in runs], [r[1] for r in runs], [r[2] for r in runs]
        age_seconds = _age(source, work)
        source.unlink()
        label = _size_label(SPEED_SIZE_MB)
        up_rows = _speed_rows("upload", label, ups, size)
        age_mbps = _mbps(size, age_seconds)
        up_rows[0] |= {"(b) age": age_mbps, "hub/(b)": up_rows[0]["hub"] / age_mbps}
        rows += up_rows
        base_fsync = _mbps(size, statistics.median(fsynced))
        fsync_ratio = statistics.median(f / u.hub.seconds for f, u in zip(fsynced, ups, strict=True))
        rows.append({"measure": f"upload {label}: (a) with fsync, like the hub", "unit": "MB/s",
                     "hub": up_rows[0]["hub"], "(a) bare": base_fsync, "hub/(a)": fsync_ratio,
                     "goal": "(reference)", "met": "-"})  # fmt: skip
        rows += _speed_rows("download", label, downs, size)

        # (2) and (3), memory: a small and a large file once each; the speed runs' worst case in between.
        by_size: dict[str, tuple[Sides, Sides]] = {}
        for size_mb in RSS_SIZES_MB:
            path = work / f"source-{size_mb}.pdf"
            _write_pdf_like(path, size_mb * MB)
            by_size[_size_label(size_mb)] = bench.both(path)
            path.unlink()
        loads.append(_load())
        small, large = (_size_label(n) for n in RSS_SIZES_MB)
        for direction, index, speed_runs in (("upload", 0, ups), ("download", 1, downs)):
            by_label = {
                small: by_size[small][index],
                label: max(speed_runs, key=lambda s: s.hub_server.growth_mb),
                large: by_size[large][index],
            }
            rows += _rss_rows(direction, by_label, small, large)
            big = by_size[large][index]
            hub_mbps, base_mbps = _mbps(big.hub.size, big.hub.seconds), _mbps(big.base.size, big.base.seconds)
            rows.append({"measure": f"{direction} {large} (one run)", "unit": "MB/s", "hub": hub_mbps,
                         "(a) bare": base_mbps, "hub/(a)": hub_mbps / base_mbps, "goal": "(information)",
                         "met": "-"})  # fmt: skip
            if direction == "download":
                rows += _first_byte_rows(by_size[small][index], big, small, large)

        hub_idle, base_idle = min(s.hub_server.idle for s in ups) / MB, min(s.base_server.idle for s in ups) / MB
        notes.append(
            f"Idle RSS (after login and a {WARMUP_MB} MB warm-up upload and download): hub {hub_idle:.1f} MB, "
            f"(a) {base_idle:.1f} MB. Peak RSS is the kernel's VmHWM, reset before each transfer"
            + ("." if ups[0].hub_server.hwm else " (not allowed here: sampled every 2 ms instead).")
        )
        notes.append(
            "The hub fsyncs every blob before it answers; (a) does not (see the 'with fsync' row); (b) age writes "
            "its file without fsync. Server CPU time is user + system time of the server process (its threads too). "
            "hub/(a) of a speed row is the median of the per-run ratios (each run: three uploads in a rotating order, "
            "then both downloads); for CPU time, above 1 means the hub needs more."
        )
        cores = os.cpu_count() or 1
        busy = max(loads) > cores
        notes.append(
            f"Load average during the run {min(loads):.1f}..{max(loads):.1f} on {cores} CPU(s)"
            + (": the machine was busy with other work, so MB/s figures are noisy; server CPU time is the steadier "
               "comparison." if busy else ".")
        )  # fmt: skip
    finally:
        bench.stop()
        shutil.rmtree(work, ignore_errors=True)
    return [{column: row.get(column, "") for column in COLUMNS} for row in rows]


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table("bench.upload_bench", run(), notes)
