"""A throwaway PostgreSQL cluster for the test run (recipe from shared/TESTING.md)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresCluster:
    pgbin: str
    data: str
    port: int

    @property
    def as_pg(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*self.as_pg, *args], check=True, capture_output=True)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> None:
        self.run(
            f"{self.pgbin}/psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            sql,
        )

    def create_database(self, name: str, template: str | None = None) -> str:
        tmpl = f" TEMPLATE {template}" if template else ""
        self.psql(f"CREATE DATABASE {name}{tmpl}")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        subprocess.run(
            [*self.as_pg, f"{self.pgbin}/pg_ctl", "-D", self.data, "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(self.data, ignore_errors=True)


def start_cluster() -> PostgresCluster:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bins:
        raise RuntimeError(
            "PostgreSQL is not installed: run `apt-get install -y --no-upgrade postgresql` (make test does this)."
        )
    pgbin = bins[-1]
    data = tempfile.mkdtemp(prefix="pgtest.")
    cluster = PostgresCluster(pgbin, data, free_port())
    if cluster.as_pg:
        shutil.chown(data, "postgres", "postgres")
    cluster.run(f"{pgbin}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync")

    def start() -> None:
        cluster.run(
            f"{pgbin}/pg_ctl",
            "-D",
            data,
            "-l",
            f"{data}/log",
            "-w",
            "-o",
            f"-p {cluster.port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            "start",
        )

    # The free port may be taken between its choice and the start (another pytest worker starting its own parts at
    # the same moment): then another port; the third failure is the test run's.
    for _ in range(2):
        try:
            start()
            return cluster
        except subprocess.CalledProcessError:
            cluster.port = free_port()
    start()
    return cluster
