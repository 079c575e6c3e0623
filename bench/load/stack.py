"""The processes of a load run, set up as an operator runs them: a PostgreSQL cluster and a SeaweedFS S3 server (the
tests' own, tests/support), an SMTP sink (aiosmtpd with STARTTLS and AUTH, tests/support/smtp.py), `hub init` once
(migrations, the bucket), then `hub serve` and `hub worker` processes that share only the database, the bucket and a
keyring given in HUB_KEYRING; each has a data folder of its own (its audit head file)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.upload_bench import PYTHON, ROOT, _environ, _wait_listening, free_port

MAX_UPLOAD_MB = 50


@dataclass
class Process:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    port: int = 0  # a server's HTTP port
    killed: bool = False

    def kill(self) -> None:
        """SIGKILL: no shutdown, nothing tidied up (a node lost, an OOM kill)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.killed = True

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Stack:
    work: Path
    env: dict[str, str] = field(default_factory=dict)  # what every hub process shares
    keyring_env: str = ""
    database_url: str = ""
    servers: list[Process] = field(default_factory=list)
    workers: list[Process] = field(default_factory=list)
    _cleanup: list[object] = field(default_factory=list)  # the cluster, SeaweedFS, the SMTP sink

    def start(
        self,
        servers: int,
        workers: int,
        base_url: str,
        cluster: Any = None,
        seaweed: Any = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        """Start everything; a PostgreSQL ``cluster`` and a ``seaweed`` given (the tests' session ones) are used, not
        stopped: the run gets a database and a bucket prefix of its own in them."""
        from crypto import Keyring
        from tests.support.postgres import start_cluster
        from tests.support.seaweed import start_seaweed
        from tests.support.smtp import SmtpServer, make_certificate

        if cluster is None:
            cluster = start_cluster()
            self._cleanup.append(cluster)
        name = f"hub_load_{secrets.token_hex(4)}"
        self.database_url = cluster.create_database(name)
        if seaweed is None:
            seaweed = start_seaweed()
            self._cleanup.append(seaweed)
        self.smtp = SmtpServer(*make_certificate(self.work))
        self.smtp.start()
        self._cleanup.append(self.smtp)
        keyring_file = self.work / "keyring.json"
        Keyring.generate().save(keyring_file)
        self.keyring_env = json.dumps(json.loads(keyring_file.read_text()))
        keyring_file.unlink()
        self.env = {
            **self.smtp.hub_settings(HUB_BASE_URL=base_url),
            **seaweed.settings(name.replace("_", "-")),
            "HUB_DATABASE_URL": self.database_url,
            "HUB_KEYRING": self.keyring_env,
            "HUB_WORKER": "off",  # the servers serve; the `hub worker` processes send
            "HUB_CLAMD": "off",
            "HUB_MAX_UPLOAD_MB": str(MAX_UPLOAD_MB),
            "HUB_LOG_LEVEL": "warning",
            "HUB_LOG_FORMAT": "json",
            **(settings or {}),
        }
        self.run_once("init")
        for n in range(servers):
            self.servers.append(self._spawn(f"server{n}", ["serve"]))
        for n in range(workers):
            self.workers.append(self._spawn(f"worker{n}", ["worker"]))

    def _data_dir(self, name: str) -> Path:
        path = self.work / name
        path.mkdir(exist_ok=True)
        return path

    def run_once(self, command: str) -> None:
        env = {**self.env, "HUB_DATA_DIR": str(self._data_dir("init"))}
        done = subprocess.run(
            [PYTHON, "-m", "hub", command], env=_environ(env), cwd=ROOT, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"hub {command} failed: {done.stderr[-2000:]}")

    def _spawn(self, name: str, args: list[str]) -> Process:
        port = free_port() if args == ["serve"] else 0
        env = {**self.env, "HUB_DATA_DIR": str(self._data_dir(name))}
        if port:
            env["HUB_PORT"] = str(port)
        log = self.work / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [PYTHON, "-m", "hub", *args], env=_environ(env), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
            )
        process = Process(name, proc, log, port)
        if port:
            _wait_listening(port, proc, log)
        return process

    def worker_pids(self) -> dict[int, str]:
        return {w.proc.pid: w.name for w in self.workers}

    def stop(self) -> None:
        for process in [*self.servers, *self.workers]:
            process.stop()
        for part in reversed(self._cleanup):
            part.stop()  # type: ignore[attr-defined]
        if os.environ.get("LOAD_KEEP"):  # the processes' logs, for a run that went wrong
            print(f"kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def new_stack() -> Stack:
    return Stack(Path(tempfile.mkdtemp(prefix="hub-load.")))
