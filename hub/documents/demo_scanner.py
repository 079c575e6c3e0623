"""A clamd of the demo's own (`hub demo`): Debian's clamav-daemon, started in the data directory when it is installed.

The signatures are the system's (``/var/lib/clamav``, kept up to date by freshclam) when present, else a one-line
test database that finds the EICAR test file (built from two halves, so that this file itself is not detected),
made with ``sigtool`` as the test suite does. clamd listens on a unix socket in the data directory and stops with the
demo. When clamd is missing, or does not answer within :data:`START_SECONDS`, the demo runs without a scanner and
says so.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SYSTEM_DATABASE = Path("/var/lib/clamav")
START_SECONDS = 90.0  # the full system database takes tens of seconds to load; the test database well under one


def find_tool(name: str) -> str | None:
    """A ClamAV tool (clamd, sigtool) on the path or where Debian puts it, else None."""
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).is_file()), None)


def eicar() -> bytes:
    """The 68-byte EICAR anti-virus test file, assembled at run time (so no file here is itself detected)."""
    first = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR"
    second = "-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    return (first + second).encode("ascii")


def _system_database() -> Path | None:
    if SYSTEM_DATABASE.is_dir() and any(SYSTEM_DATABASE.glob("*.c[lv]d")):
        return SYSTEM_DATABASE
    return None


def _test_database(workdir: Path, sigtool: str) -> Path:
    db = workdir / "db"
    db.mkdir(parents=True, exist_ok=True)
    # The tool found on the system path or in /usr/sbin, with fixed arguments: no outside input reaches the call.
    hexed = subprocess.run(  # noqa: S603
        [sigtool, "--hex-dump"], input=eicar(), check=True, capture_output=True, timeout=30
    )
    (db / "demo.ndb").write_text(f"Demo.EICAR.NDB:0:*:{hexed.stdout.decode().strip()}\n")
    return db


class ClamdProcess:
    """A clamd this process started: ping it, stop it. ``connect`` says where it listens."""

    process: subprocess.Popen[bytes]

    def connect(self) -> socket.socket:
        raise NotImplementedError

    def ping(self) -> bool:
        try:
            with self.connect() as s:
                s.sendall(b"zPING\0")
                return s.recv(16) == b"PONG\0"
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@dataclass
class DemoClamd(ClamdProcess):
    process: subprocess.Popen[bytes]
    socket_path: Path
    system_signatures: bool

    @property
    def address(self) -> str:
        return str(self.socket_path)

    def connect(self) -> socket.socket:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(1)
        try:
            s.connect(str(self.socket_path))
        except OSError:
            s.close()
            raise
        return s


def start_demo_clamd(workdir: Path, max_upload_bytes: int, *, timeout: float = START_SECONDS) -> DemoClamd | str:
    """A running clamd that takes streams up to ``max_upload_bytes``, or why there is none (a sentence for the
    demo's output)."""
    clamd, sigtool = find_tool("clamd"), find_tool("sigtool")
    if clamd is None or sigtool is None:
        return "clamd is niet geïnstalleerd (Debian-pakket clamav-daemon)"
    workdir.mkdir(parents=True, exist_ok=True)
    database = _system_database()
    try:
        db = database or _test_database(workdir, sigtool)
    except (OSError, subprocess.SubprocessError):
        return "sigtool kon geen testhandtekening maken"
    sock = workdir / "clamd.sock"
    conf = workdir / "clamd.conf"
    conf.write_text(
        "\n".join(
            [
                f"DatabaseDirectory {db}",
                f"LocalSocket {sock}",
                "Foreground yes",
                f"LogFile {workdir / 'clamd.log'}",
                f"TemporaryDirectory {workdir}",
                f"StreamMaxLength {max_upload_bytes // (1024 * 1024) + 1}M",
                "",
            ]
        )
    )
    try:
        process = subprocess.Popen(  # noqa: S603  (clamd from the system, our own config file)
            [clamd, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    except OSError:
        return "clamd kon niet starten"
    server = DemoClamd(process, sock, database is not None)
    deadline = time.monotonic() + timeout
    while not server.ping():
        if process.poll() is not None:
            return f"clamd stopte meteen (zie {workdir / 'clamd.log'})"
        if time.monotonic() > deadline:
            server.stop()
            return f"clamd antwoordde niet binnen {timeout:.0f} seconden"
        time.sleep(0.1)
    return server
