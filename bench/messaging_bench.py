"""The inbox and posting a message, for a gemeente with 100 000 threads and 1 000 000 messages.

Data: one gemeente, 50 kantoren, 25 000 cases, 100 000 threads (10 % waiting for the gemeente, 10 % for a kantoor,
the rest answered; half of those afgerond), 10 messages a thread, one clock a thread, a read marker for half of the
threads of the measuring user. Subjects and bodies are real field encryption (AES-256-GCM with a wrapped data key per
value), generated in Python and written with bulk inserts through the driver (``executemany`` in batches of 5 000 rows,
no COPY). Every message has its receipt at the other party (read, except the newest of a thread that waits). PostgreSQL
is analysed after loading, as autovacuum would; SQLite gets no statistics, as the hub never runs ANALYZE.

Measured, median of 50 runs after warm-up, all in-process:
- the service's first inbox page (one query on an index, decrypt the 50 subjects, words for the due moments, counts),
  for each tab;
- ``GET /berichten`` through the whole app (session lookup, service, template), by an httpx ASGI client;
- posting with its clock update and its e-mail notice (outbox row), committed: a question that starts a clock, and
  the inhoudelijke reactie that stops it (service level, also without the notice, and
  ``POST /berichten/{id}/reageren`` through the app).
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

THREADS = 100_000
MESSAGES_PER_THREAD = 10
CASES = 25_000
KANTOREN = 50
GEMEENTE_USERS = 20
RUNS = 50
POSTS = 90
BATCH = 5_000
INBOX_GOAL_MS = 50.0
POST_GOAL_MS = 20.0

BODY = (
    "Goedemorgen,\n\nIn het dossier ontbreekt nog de nota periodieke kosten van de afgelopen maand. Kunt u die "
    "aanleveren, dan kunnen wij de aanvraag bijzondere bijstand verder in behandeling nemen.\n\nMet vriendelijke groet"
)
SUBJECTS = (
    "Stand van de aanvraag bijzondere bijstand",
    "Ontbrekend schuldenoverzicht",
    "Wijziging van het inkomen",
    "Aanmelding schuldhulpverlening",
    "Vraag over het plan van aanpak",
)


async def _timed(work: Callable[[], Awaitable[Any]], runs: int = RUNS, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        await work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return times


def _row(backend: str, measure: str, times: list[float], goal_ms: float) -> dict[str, Any]:
    """Median and 90th percentile in milliseconds; the goal is on the median."""
    median = statistics.median(times) * 1000
    p90 = statistics.quantiles(times, n=10)[-1] * 1000 if len(times) > 1 else median
    return {"backend": backend, "measure": measure, "unit": "ms", "median": median, "p90": p90, "runs": len(times),
            "goal": f"median < {goal_ms:g} ms", "met": "yes" if median < goal_ms else "NO"}  # fmt: skip


class _Writer:
    """Plain multi-row inserts through the driver connection, with values in the backend's own format."""

    def __init__(self, backend: str, driver: Any) -> None:
        self.backend = backend
        self.driver = driver

    def ts(self, moment: datetime | None) -> Any:
        if moment is None or self.backend != "sqlite":
            return moment
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value: date | None) -> Any:
        return value.isoformat() if value is not None and self.backend == "sqlite" else value

    def flag(self, value: bool | None) -> Any:
        return int(value) if value is not None and self.backend == "sqlite" else value

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.backend == "sqlite":
            marks = ", ".join("?" for _ in columns)
        else:
            marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        if self.backend == "sqlite":
            # One transaction per table and chunk. The hub runs the driver in autocommit mode and begins its own
            # transactions (hub.db), so without this BEGIN every row would be a transaction of its own.
            await self.driver.execute("BEGIN")
        for start in range(0, len(rows), BATCH):
            await self.driver.executemany(sql, list(rows[start : start + BATCH]))
        if self.backend == "sqlite":
            await self.driver.execute("COMMIT")


async def _generate(engine: Any, keyring: Any, backend: str, now: datetime) -> dict[str, Any]:
    """Bulk data; returns the ids the measurements need."""
    from crypto import encrypt_field
    from hub.accounts import passwords
    from hub.db import new_id
    from hub.messaging.services import body_context, subject_context

    rng = random.Random(20260301)
    password_hash = passwords.hash_password("bench bench bench 42")
    gemeente = new_id()
    kantoren = [new_id() for _ in range(KANTOREN)]
    convenants = [new_id() for _ in kantoren]
    gemeente_users = [new_id() for _ in range(GEMEENTE_USERS)]
    kantoor_users = [new_id() for _ in kantoren]
    cases = [(new_id(), i % KANTOREN) for i in range(CASES)]

    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        w = _Writer(backend, raw.driver_connection)
        t0 = now - timedelta(days=800)
        await w.insert(
            "organisation",
            ("id", "kind", "name", "contact_person", "contact_email", "contact_phone", "created_at"),
            [(gemeente, "gemeente", "Gemeente Bench", "", "", "", w.ts(t0))]
            + [(k, "bewindvoerderskantoor", f"Kantoor {i:02d}", "", "", "", w.ts(t0)) for i, k in enumerate(kantoren)],
        )
        await w.insert(
            "convenant",
            ("id", "gemeente_id", "kantoor_id", "start_date", "status", "created_at"),
            [
                (c, gemeente, k, w.day(date(2024, 1, 1)), "actief", w.ts(t0))
                for c, k in zip(convenants, kantoren, strict=True)
            ],
        )
        user_cols = ("id", "organisation_id", "name", "email", "roles", "password_hash", "must_change_password",
                     "disabled", "notify_mode", "created_at")  # fmt: skip
        await w.insert(
            "user_account",
            user_cols,
            [
                (u, gemeente, f"Klantmanager {i:02d}", f"km{i}@gemeente.bench", "klantmanager", password_hash,
                 w.flag(False), w.flag(False), "direct", w.ts(t0))
                for i, u in enumerate(gemeente_users)
            ]
            + [
                (u, kantoren[i], f"Bewindvoerder {i:02d}", f"bw{i}@kantoor.bench", "bewindvoerder", password_hash,
                 w.flag(False), w.flag(False), "direct", w.ts(t0))
                for i, u in enumerate(kantoor_users)
            ],
        )  # fmt: skip
        filler = encrypt_field(keyring, "Bench Cliënt", context=b"bench")
        await w.insert(
            "dossier",
            ("id", "reference", "convenant_id", "gemeente_id", "kantoor_id", "client_name", "bsn", "bsn_index",
             "birth_date", "bewind_kind", "beschikking_date", "bewind_start_date", "rechtbank", "status",
             "created_by", "created_at", "updated_at"),
            [
                (cid, f"2025-{i:06d}", convenants[k], gemeente, kantoren[k], filler, filler, f"{i:064x}", filler,
                 "schuldenbewind", w.day(date(2025, 1, 1)), w.day(date(2025, 1, 1)), "Gelderland", "actief",
                 kantoor_users[k], w.ts(t0), w.ts(t0))
                for i, (cid, k) in enumerate(cases)
            ],
        )  # fmt: skip

        thread_cols = ("id", "kind", "case_id", "convenant_id", "gemeente_id", "kantoor_id", "subject", "created_by",
                       "created_at", "gemeente_assignee_id", "kantoor_assignee_id", "status", "closed_at", "closed_by",
                       "last_message_at", "waiting_on_org_id", "awaited_by_org_id", "current_due_at")  # fmt: skip
        message_cols = ("id", "thread_id", "author_id", "author_org_id", "body", "sent_at", "kind")
        receipt_cols = ("message_id", "organisation_id", "thread_id", "delivered_at", "first_read_at", "first_read_by")
        clock_cols = ("id", "thread_id", "kind", "owed_by_org_id", "started_at", "started_by_message_id", "due_at",
                      "handed_over", "rescheduled_late", "stopped_at", "stopped_by", "stopped_by_message_id",
                      "stop_kind", "in_time")  # fmt: skip
        measuring_user = gemeente_users[0]
        post_threads: list[tuple[str, str]] = []  # (thread id, kantoor user id): no clock running
        for chunk in range(0, THREADS, BATCH):
            threads, messages, receipts, clocks, reads = [], [], [], [], []
            for n in range(chunk, min(chunk + BATCH, THREADS)):
                tid = new_id()
                general = n % 20 == 0
                case_id, k = cases[n % CASES] if not general else (None, n % KANTOREN)
                state = n % 10  # 0: waiting for the gemeente, 1: waiting for the kantoor, else answered
                if state == 0:
                    last = now - timedelta(minutes=rng.randint(10, 60 * 24 * 12))
                elif state == 1:
                    last = now - timedelta(minutes=rng.randint(10, 60 * 24 * 12))
                else:
                    last = now - timedelta(minutes=rng.randint(60 * 24 * 3, 60 * 24 * 730))
                first = last - timedelta(days=rng.randint(1, 60))
                closed = state >= 2 and n % 2 == 0
                due = last + timedelta(days=2) if state < 2 else None
                waiting = gemeente if state == 0 else kantoren[k] if state == 1 else None
                awaited = kantoren[k] if state == 0 else gemeente if state == 1 else None
                assignee = gemeente_users[n % GEMEENTE_USERS] if n % 3 else None
                subject = encrypt_field(keyring, f"{SUBJECTS[n % len(SUBJECTS)]} ({n})", context=subject_context(tid))
                threads.append(
                    (tid, "algemeen" if general else "casuistiek", case_id, convenants[k], gemeente, kantoren[k],
                     subject, kantoor_users[k], w.ts(first), assignee, kantoor_users[k],
                     "afgerond" if closed else "open", w.ts(last) if closed else None,
                     gemeente_users[0] if closed else None, w.ts(last), waiting, awaited, w.ts(due))
                )  # fmt: skip
                step = (last - first) / (MESSAGES_PER_THREAD - 1)
                last_message_id = ""
                for m in range(MESSAGES_PER_THREAD):
                    mid = new_id()
                    from_kantoor = m % 2 == 0 if state != 1 else m % 2 == 1
                    author, org = (kantoor_users[k], kantoren[k]) if from_kantoor else (gemeente_users[0], gemeente)
                    sent = first + step * m
                    kind = "inhoudelijke_reactie" if (m % 2 == 1 and state >= 2) else "bericht"
                    messages.append(
                        (mid, tid, author, org, encrypt_field(keyring, BODY, context=body_context(mid)), w.ts(sent),
                         kind)
                    )  # fmt: skip
                    # Delivered to the other party at once; read within the hour, except the newest message of a
                    # thread that still waits for an answer.
                    receiver, reader = (
                        (gemeente, gemeente_users[0]) if from_kantoor else (kantoren[k], kantoor_users[k])
                    )
                    unread = state < 2 and m == MESSAGES_PER_THREAD - 1
                    receipts.append(
                        (mid, receiver, tid, w.ts(sent), None if unread else w.ts(sent + timedelta(minutes=40)),
                         None if unread else reader)
                    )  # fmt: skip
                    last_message_id = mid
                clocks.append(
                    (new_id(), tid, "algemeen_eerste" if general else "casuistiek",
                     kantoren[k] if state == 1 else gemeente, w.ts(last), last_message_id,
                     w.ts(last + timedelta(days=2)), w.flag(False), w.flag(False),
                     None if state < 2 else w.ts(last), None if state < 2 else gemeente_users[0],
                     None if state < 2 else last_message_id, None if state < 2 else "reactie",
                     None if state < 2 else w.flag(n % 7 != 0))
                )  # fmt: skip
                if n % 2:
                    reads.append((tid, measuring_user, w.ts(last if n % 4 == 1 else first)))
                if state >= 2 and not closed and len(post_threads) < POSTS and not general:
                    post_threads.append((tid, kantoor_users[k]))
            await w.insert("message_thread", thread_cols, threads)
            await w.insert("message", message_cols, messages)
            await w.insert("message_receipt", receipt_cols, receipts)
            await w.insert("reaction_clock", clock_cols, clocks)
            await w.insert("thread_read", ("thread_id", "user_id", "last_read_at"), reads)
        await conn.commit()
    async with engine.connect() as conn:
        if backend == "postgresql":  # what autovacuum does after a load; SQLite runs without statistics
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
    gc.collect()  # the generated rows are garbage now; collect them before anything is timed
    return {"gemeente_user": measuring_user, "kantoor_user": kantoor_users[0], "post_threads": post_threads}


async def _bench(backend: str, url: str, data_dir: Path) -> list[dict[str, Any]]:
    from hub import migrate
    from hub.db import utcnow
    from tests.support.hubclient import running_hub

    await migrate.upgrade_async(url)
    async with running_hub(data_dir, url, HUB_WORKER="off") as hub:
        started = time.perf_counter()
        ids = await _generate(hub.runtime.engine, hub.runtime.keyring, backend, utcnow())
        seconds = time.perf_counter() - started
        what = f"generate {THREADS:,} threads, {THREADS * MESSAGES_PER_THREAD:,} messages (bulk insert)"
        generated = {
            "backend": backend,
            "measure": what,
            "unit": "s",
            "median": seconds,
            "goal": "(set-up)",
            "met": "-",
        }
        return [generated, *await _measure(hub, ids, backend)]


async def _measure(hub: Any, ids: dict[str, Any], backend: str) -> list[dict[str, Any]]:
    """The measurements on a generated hub (``ids`` from :func:`_generate`). Every post thread ends as it began
    (no clock running), so the measurements can be repeated on the same data."""
    from hub.accounts.models import User
    from hub.db import transaction
    from hub.messaging.models import MessageKind
    from hub.messaging.services import CalendarSource, MessagingService

    rows: list[dict[str, Any]] = []
    rt = hub.runtime
    calendars = CalendarSource()
    async with hub.db() as db:
        gemeente_user = await db.get(User, ids["gemeente_user"])
        kantoor_user = await db.get(User, ids["kantoor_user"])
    assert gemeente_user is not None and kantoor_user is not None

    for tab, user in (
        ("te_beantwoorden", gemeente_user),
        ("alle", gemeente_user),
        ("wacht_op_ander", kantoor_user),
    ):

        async def inbox(tab: str = tab, user: User = user) -> None:
            async with transaction(rt.sessions) as db:
                page = await MessagingService(db, rt.keyring, calendars=calendars).inbox(user, tab=tab)
                assert len(page.rows) == 50, (tab, len(page.rows))

        rows.append(_row(backend, f"inbox first page, service ({tab})", await _timed(inbox), INBOX_GOAL_MS))

    async def filtered() -> None:
        async with transaction(rt.sessions) as db:
            svc = MessagingService(db, rt.keyring, calendars=calendars)
            await svc.inbox(gemeente_user, tab="alle", assignee="mij", status="open")

    rows.append(_row(backend, "inbox first page, service (alle, mij, open)", await _timed(filtered), INBOX_GOAL_MS))

    client = await hub.client_for(gemeente_user)

    async def http_inbox() -> None:
        response = await client.get("/berichten")
        assert response.status_code == 200

    rows.append(_row(backend, "GET /berichten (rendered page), whole app", await _timed(http_inbox), INBOX_GOAL_MS))

    # Posting: a question from the kantoor (a clock starts), then the gemeente's answer (the clock stops). Each
    # post writes its e-mail notice in the same transaction, as the app does; a third of the threads have no
    # gemeente assignee, so their question is announced to all 20 klantmanagers. The last rows post without the
    # notice, to show the messaging part alone.
    post_threads: list[tuple[str, str]] = ids["post_threads"]
    third = POSTS // 3
    for label, chosen, notices in (
        ("", post_threads[:third], True),
        (" (without e-mail notice)", post_threads[third : 2 * third], False),
    ):
        asks, answers = [], []
        for thread_id, kantoor_user_id in chosen:
            async with hub.db() as db:
                asker = await db.get(User, kantoor_user_id)
            assert asker is not None
            started = time.perf_counter()
            async with transaction(rt.sessions) as db:
                svc = MessagingService(db, rt.keyring, calendars=calendars, notifications=notices)
                await svc.post_message(asker, thread_id, BODY)
            asks.append(time.perf_counter() - started)
            started = time.perf_counter()
            async with transaction(rt.sessions) as db:
                svc = MessagingService(db, rt.keyring, calendars=calendars, notifications=notices)
                await svc.post_message(gemeente_user, thread_id, BODY, kind=MessageKind.INHOUDELIJKE_REACTIE)
            answers.append(time.perf_counter() - started)
        rows.append(_row(backend, f"post question + start clock{label}, committed", asks, POST_GOAL_MS))
        rows.append(_row(backend, f"post answer + stop clock{label}, committed", answers, POST_GOAL_MS))

    http_posts = []
    for thread_id, kantoor_user_id in post_threads[2 * third :]:
        async with hub.db() as db:
            asker = await db.get(User, kantoor_user_id)
        assert asker is not None
        async with transaction(rt.sessions) as db:
            await MessagingService(db, rt.keyring, calendars=calendars).post_message(asker, thread_id, BODY)
        started = time.perf_counter()
        response = await client.post_form(
            f"/berichten/{thread_id}/reageren", {"body": BODY, "kind": "inhoudelijke_reactie"}
        )
        http_posts.append(time.perf_counter() - started)
        assert response.status_code == 303, response.status_code
    rows.append(_row(backend, "POST /berichten/{id}/reageren (answer + stop clock), whole app", http_posts,
                     POST_GOAL_MS))  # fmt: skip
    return rows


notes: list[str] = []


def _load() -> float:
    with open("/proc/loadavg") as fh:
        return float(fh.read().split()[0])


def run() -> list[dict[str, Any]]:
    from tests.support.postgres import start_cluster

    notes.clear()
    loads = [_load()]
    work = Path(tempfile.mkdtemp(prefix="hub-messaging-bench."))
    rows: list[dict[str, Any]] = []
    cluster = start_cluster()
    try:
        rows += asyncio.run(_bench("sqlite", f"sqlite+aiosqlite:///{work / 'bench.sqlite3'}", work / "sqlite"))
        loads.append(_load())
        url = cluster.create_database("messaging_bench")
        rows += asyncio.run(_bench("postgresql", url, work / "postgresql"))
        loads.append(_load())
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    notes.append(
        f"Server-side time, in-process: the service in its own committed transaction, or the whole ASGI app (session "
        f"lookup, CSRF, service, template) through an httpx ASGI client; median (goal) and 90th percentile of {RUNS} "
        f"runs after 5 warm-up runs ({POSTS // 3} posts per posting row). SQLite: a WAL file on disk. PostgreSQL "
        f"{Path(cluster.pgbin).parent.name}: the throwaway test cluster (tests/support/postgres.py: fsync, "
        "synchronous_commit and full_page_writes off)."
    )
    cores = os.cpu_count() or 1
    notes.append(
        f"Load average during the run {min(loads):.1f}..{max(loads):.1f} on {cores} CPU(s)"
        + (": the machine was busy with other work, so figures are noisy." if max(loads) > cores else ".")
    )
    return rows


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table("bench.messaging_bench", run(), notes)
