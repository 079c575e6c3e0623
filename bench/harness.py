"""What the database benchmarks share: the same work run on a SQLite file and on a throwaway PostgreSQL cluster (the
tests' own, tests/support/postgres.py), its rows shaped to the bench's columns, and the machine's load around it (a
busy machine makes the figures noisy, so the table says so)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Rows = list[dict[str, Any]]


def load() -> float:
    """The one-minute load average."""
    with open("/proc/loadavg") as fh:
        return float(fh.read().split()[0])


def load_note(loads: Sequence[float]) -> str:
    cores = os.cpu_count() or 1
    return f"Load average during the run {min(loads):.1f}..{max(loads):.1f} on {cores} CPU(s)" + (
        ": the machine was busy with other work, so figures are noisy." if max(loads) > cores else "."
    )


@dataclass
class BothBackends:
    rows: Rows
    loads: list[float] = field(default_factory=list)
    postgres_bin: str = ""  # the PostgreSQL version's folder name, e.g. "15"

    @property
    def load_note(self) -> str:
        return load_note(self.loads)


def on_both_backends(
    name: str, bench: Callable[[dict[str, str], Path], Awaitable[Rows]], columns: Sequence[str]
) -> BothBackends:
    """Run ``bench(urls, work)`` once with a database URL per backend ("sqlite", "postgresql") and a scratch folder;
    everything it made is removed afterwards. Each row gets exactly ``columns`` (missing ones empty)."""
    from tests.support.postgres import start_cluster

    loads = [load()]
    work = Path(tempfile.mkdtemp(prefix=f"hub-{name}-bench."))
    cluster = start_cluster()
    try:
        urls = {
            "sqlite": f"sqlite+aiosqlite:///{work / 'bench.sqlite3'}",
            "postgresql": cluster.create_database(f"{name.replace('-', '_')}_bench"),
        }
        rows = asyncio.run(bench(urls, work))
        loads.append(load())
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    shaped = [{column: row.get(column, "") for column in columns} for row in rows]
    return BothBackends(shaped, loads, Path(cluster.pgbin).parent.name)
