"""A real clamd for tests (Debian's clamav-daemon), with a signature database made at test time.

Recipe from shared/TESTING.md: the EICAR test file is built from two halves joined at run time, so that no file in
the repository is itself detected by a scanner; ``sigtool --md5`` turns it into a hash signature (``test.hdb``:
the exact file). A second, body-based signature (``test.ndb``, made with ``sigtool --hex-dump``) finds the EICAR
string inside another file, e.g. a PDF that passes the type check. clamd listens on 127.0.0.1 only and is stopped
at the end of the session; freshclam never runs.

``StreamMaxLength`` is set low (:data:`STREAM_MAX_MB`), so that the INSTREAM size-limit error can be tested too.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.documents.demo_scanner import ClamdProcess, eicar, find_tool
from tests.support.postgres import free_port

STREAM_MAX_MB = 4


def _tool(name: str) -> str:
    found = find_tool(name)
    if not found:
        raise RuntimeError(
            f"{name} is missing: run `apt-get install -y --no-upgrade clamav-daemon` (make test does this)."
        )
    return found


@dataclass
class Clamd(ClamdProcess):
    process: subprocess.Popen[bytes]
    port: int
    workdir: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=1)


def start_clamd(workdir: Path) -> Clamd:
    clamd, sigtool = _tool("clamd"), _tool("sigtool")
    db = workdir / "db"
    db.mkdir(parents=True)
    sample = workdir / "eicar.com"
    sample.write_bytes(eicar())
    try:
        md5 = subprocess.run([sigtool, "--md5", sample.name], cwd=workdir, check=True, capture_output=True, text=True)
        (db / "test.hdb").write_text(md5.stdout.strip().rsplit(":", 1)[0] + ":Test.EICAR.HDB\n")
        hexed = subprocess.run([sigtool, "--hex-dump"], input=eicar(), check=True, capture_output=True)
        (db / "test.ndb").write_text(f"Test.EICAR.NDB:0:*:{hexed.stdout.decode().strip()}\n")
    finally:
        sample.unlink()  # the test file exists only as long as sigtool needs it
    port = free_port()
    conf = workdir / "clamd.conf"
    conf.write_text(
        "\n".join(
            [
                f"DatabaseDirectory {db}",
                f"TCPSocket {port}",
                "TCPAddr 127.0.0.1",
                "Foreground yes",
                f"LogFile {workdir / 'clamd.log'}",
                f"TemporaryDirectory {workdir}",
                f"StreamMaxLength {STREAM_MAX_MB}M",
                "",
            ]
        )
    )
    process = subprocess.Popen([clamd, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = Clamd(process, port, workdir)
    deadline = time.monotonic() + 60
    while not server.ping():
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"clamd did not start: {err[-2000:]}")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("clamd did not answer PING within 60 s")
        time.sleep(0.05)
    return server


@pytest.fixture(scope="session")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    """One clamd for the whole test session (started in about 0.1 s; stopped at the end)."""
    server = start_clamd(tmp_path_factory.mktemp("clamd"))
    try:
        yield server
    finally:
        server.stop()
