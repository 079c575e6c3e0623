"""The load run put together: the stack, the proxy, the seed, N users for D seconds with a SIGKILL of one server and
one worker at a third of the run, then the exactly-once check. ``LOAD_USERS`` (50) and ``LOAD_SECONDS`` (300)
shorten it; ``LOAD_THINK`` is the mean think time between a user's actions in seconds (5)."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from bench.harness import load, load_note
from bench.load import check
from bench.load.proxy import RoundRobinProxy
from bench.load.seed import seed
from bench.load.stack import Stack, new_stack
from bench.load.users import MIX, Stats, User

SERVERS = 2
WORKERS = 2
KILL_AT = 1 / 3  # of the run


@dataclass
class Outcome:
    actions: list[dict[str, Any]]
    checks: check.Verdict
    notes: list[str] = field(default_factory=list)
    skipped: int = 0  # connections the proxy sent past the killed server
    done_after_kill: int = 0  # actions completed after the kill: the run went on
    killed: list[str] = field(default_factory=list)  # the processes killed, and found dead

    @property
    def ok(self) -> bool:
        return not self.checks.problems and sum(r["errors"] for r in self.actions) == 0


def _ms(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def action_rows(stats: Stats, seconds: float) -> list[dict[str, Any]]:
    rows = []
    for action in ["login", *(name for name, _ in MIX)]:
        done = stats.timings.get(action, [])
        rows.append({"action": action, "done": len(done), "per s": len(done) / seconds,
                     "p50 ms": _ms(done, 50), "p95 ms": _ms(done, 95), "p99 ms": _ms(done, 99),
                     "errors": stats.errors.get(action, 0), "lost in the kill": stats.lost.get(action, 0),
                     "form refused": stats.refused.get(action, 0)})  # fmt: skip
    every = [t for times in stats.timings.values() for t in times]
    rows.append({"action": "all", "done": len(every), "per s": len(every) / seconds, "p50 ms": _ms(every, 50),
                 "p95 ms": _ms(every, 95), "p99 ms": _ms(every, 99), "errors": sum(stats.errors.values()),
                 "lost in the kill": sum(stats.lost.values()),
                 "form refused": sum(stats.refused.values())})  # fmt: skip
    return rows


async def _crowd(stack: Stack, users: list[User], stats: Stats, seconds: float) -> list[str]:
    """Run the users; at a third of the run SIGKILL the first server and the first worker. Returns the outbox rows
    the killed worker held claimed."""
    tasks = [asyncio.create_task(user.run()) for user in users]
    await asyncio.sleep(seconds * KILL_AT)
    server, worker = stack.servers[0], stack.workers[0]
    stats.killed_at = time.monotonic()
    server.kill()
    worker.kill()
    held = await check.held_by(stack.database_url, worker.proc.pid)
    await asyncio.gather(*tasks)
    return held


async def _run(stack: Stack, proxy: RoundRobinProxy, n_users: int, seconds: float, think: float) -> Outcome:
    url = f"http://127.0.0.1:{proxy.port}"
    accounts = await seed(stack.database_url, stack.keyring_env, n_users)
    stats = Stats()
    deadline = time.monotonic() + seconds
    users = [User(a, url, stats, deadline, think, seed=i) for i, a in enumerate(accounts)]
    loads = [load()]
    started = time.monotonic()
    held = await _crowd(stack, users, stats, seconds)
    elapsed = time.monotonic() - started
    loads.append(load())
    drained = await check.wait_for_outbox(stack.database_url)
    verdict = check.Verdict()
    await check.check_replies(stack.database_url, stats, verdict)
    documents = await check.check_uploads(stack.database_url, stack.keyring_env, stats, verdict)
    await check.check_downloads(documents, {u.account.user_id: u for u in users}, verdict)
    await check.check_mail(stack.database_url, stack.smtp.messages, held, verdict)
    notes = [
        f"{n_users} users for {seconds:.0f} s (mean think time {think:g} s) through a round-robin proxy to "
        f"{SERVERS} `hub serve` processes, {WORKERS} `hub worker` processes, PostgreSQL and SeaweedFS (S3)",
        f"at {seconds * KILL_AT:.0f} s SIGKILL of one server and one worker (holding {len(held)} claimed mails, "
        f"lease {stack.env.get('HUB_OUTBOX_LEASE_SECONDS', '60')} s); the proxy skipped the dead server "
        f"{proxy.skipped} times; the outbox drained {drained} s after the run",
        load_note(loads),
        *(f"error: {e}" for e in stats.error_samples),
        *(f"form refused (the thread changed since it was opened): {r}" for r in sorted(stats.refusal_samples)),
    ]
    killed = [p.name for p in (stack.servers[0], stack.workers[0]) if p.killed and p.proc.poll() is not None]
    return Outcome(action_rows(stats, elapsed), verdict, notes, proxy.skipped, stats.done_after_kill, killed)


def run_load(
    n_users: int, seconds: float, think: float, cluster: Any = None, seaweed: Any = None, **settings: str
) -> Outcome:
    """The whole run; ``cluster`` and ``seaweed``: a PostgreSQL cluster and S3 server to use instead of new ones;
    ``settings``: HUB_* settings of every hub process beyond the stack's own."""
    proxy = RoundRobinProxy([])
    proxy.start()
    stack = new_stack()
    try:
        stack.start(SERVERS, WORKERS, f"http://127.0.0.1:{proxy.port}", cluster, seaweed, settings)
        proxy.backends = [server.port for server in stack.servers]
        return asyncio.run(_run(stack, proxy, n_users, seconds, think))
    finally:
        proxy.stop()
        stack.stop()


def main() -> int:
    from bench.__main__ import print_table

    users = int(os.environ.get("LOAD_USERS", "50"))
    seconds = float(os.environ.get("LOAD_SECONDS", "300"))
    think = float(os.environ.get("LOAD_THINK", "5"))
    outcome = run_load(users, seconds, think)
    print_table("make load: actions", outcome.actions, outcome.notes)
    print_table("make load: exactly once", outcome.checks.rows)
    return 0 if outcome.ok else 1
