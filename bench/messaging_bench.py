"""The inbox and posting a message, for a gemeente with 100 000 threads and 1 000 000 messages, on SQLite and on
PostgreSQL.

Data: one gemeente (20 klantmanagers), 50 kantoren, 25 000 cases, 100 000 threads (10 % waiting for the gemeente,
10 % for a kantoor, the rest answered; half of those afgerond), 10 messages a thread, each with its receipt at the other
party (read, except the newest of a thread that waits), one clock a thread, a read marker for half of the threads of
the measuring user. Subjects and bodies are real field encryption (AES-256-GCM with a wrapped data key per value, one
keyring for both backends). The rows are generated once in Python and bulk-loaded into both databases at the same
time, through a loading connection of their own: SQLite with ``executemany`` in one transaction per chunk of 5 000
threads, PostgreSQL with binary ``COPY``; both without foreign-key checks (the rows are consistent by construction).
PostgreSQL is analysed after loading, as autovacuum would; SQLite gets no statistics, as the hub never runs ANALYZE.

Measured in-process (server-side time), median and 90th percentile, with the number of SQL statements:
- the service's first inbox page (one query on an index, decrypt the 50 subjects, words for the due moments, counts,
  the audit record), for each tab, and ``GET /berichten`` through the whole app (session lookup, service, template)
  by an httpx ASGI client; 50 runs after 5 warm-up runs;
- posting with its clock update and its e-mail notice (outbox rows), committed: a question that starts a clock and
  the inhoudelijke reactie that stops it; at service level (also without the notice) and as
  ``POST /berichten/{id}/reageren`` through the whole app; 30 threads each, after every path ran on 5 other threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.harness import on_both_backends

THREADS = 100_000
MESSAGES_PER_THREAD = 10
CASES = 25_000
KANTOREN = 50
GEMEENTE_USERS = 20
RUNS = 50
WARMUP = 5
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


# One measured operation: wall seconds, SQL statements, CPU seconds of this process (all its threads).
Run = tuple[float, int, float]


def _row(backend: str, measure: str, runs: list[Run], goal_ms: float) -> dict[str, Any]:
    """Median and 90th percentile in milliseconds, median SQL statements and median CPU milliseconds of the hub's
    process; the goal is on the median time."""
    times = [seconds for seconds, _, _ in runs]
    median = statistics.median(times) * 1000
    p90 = statistics.quantiles(times, n=10)[-1] * 1000 if len(times) > 1 else median
    statements = statistics.median(n for _, n, _ in runs)
    cpu = statistics.median(c for _, _, c in runs) * 1000
    return {"backend": backend, "measure": measure, "unit": "ms", "median": median, "p90": p90, "CPU": cpu,
            "runs": len(times), "SQL": int(statements), "goal": f"median < {goal_ms:g} ms",
            "met": "yes" if median < goal_ms else "NO"}  # fmt: skip


# The column order of the table (the set-up rows have no p90).
COLUMNS = ("backend", "measure", "unit", "median", "p90", "CPU", "runs", "SQL", "goal", "met")


LOADED_TABLES = ("organisation", "convenant", "user_account", "dossier", "message_thread", "message",
                 "message_receipt", "reaction_clock", "thread_read")  # fmt: skip


def _sqlite_moment(value: datetime) -> str:
    """What SQLAlchemy stores for hub.db.UTCDateTime on SQLite: naive UTC with microseconds."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


# Values are generated once, as Python objects; SQLite gets them in its own storage format.
_SQLITE_FORMAT: dict[type, Callable[[Any], Any]] = {datetime: _sqlite_moment, date: date.isoformat, bool: int}


def _same(value: Any) -> Any:
    return value


class _Loader:
    """One backend's loading connection: a dedicated engine, so that nothing set here reaches the hub's pool.

    SQLite: ``executemany`` in one transaction per chunk, with a larger page cache and no syncing while loading.
    PostgreSQL: binary ``COPY`` through asyncpg, the bulk-load path of the driver.
    """

    def __init__(self, backend: str, url: str) -> None:
        from hub.db import create_engine

        self.backend = backend
        self.engine = create_engine(url)
        self._conn: Any = None
        self.driver: Any = None
        self.seconds = 0.0  # time spent in this backend's inserts

    async def __aenter__(self) -> _Loader:
        self._conn = await self.engine.connect()
        raw = await self._conn.get_raw_connection()
        self.driver = raw.driver_connection
        # The generated rows are consistent by construction, so the loading session skips the foreign-key checks.
        if self.backend == "sqlite":
            await self.driver.execute("PRAGMA foreign_keys=OFF")
            await self.driver.execute("PRAGMA cache_size=-262144")  # 256 MiB, this connection only
            await self.driver.execute("PRAGMA synchronous=OFF")
        else:
            await self.driver.execute("SET session_replication_role = replica")  # no FK triggers (superuser)
            # The test cluster runs with synchronous_commit=off; a commit whose WAL is not flushed yet leaves its rows
            # "not yet visible to all" for a VACUUM right after it, and the visibility map would stay empty.
            await self.driver.execute("SET synchronous_commit = on")
            # No autovacuum while loading (it would compete with the load and pick its own moments); the VACUUM
            # ANALYZE in analyse() stands for it, and autovacuum is switched back on after that.
            for table in LOADED_TABLES:
                await self.driver.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._conn.close()
        await self.engine.dispose()

    async def load(self, tables: Sequence[tuple[str, Sequence[str], list[tuple[Any, ...]]]]) -> None:
        """Insert rows into tables, in the given order, as one unit."""
        started = time.perf_counter()
        if self.backend == "sqlite":
            # The hub runs the driver in autocommit mode and begins its own transactions (hub.db): without this
            # BEGIN every row would be a transaction of its own.
            await self.driver.execute("BEGIN")
            for table, columns, rows in tables:
                if rows:
                    marks = ", ".join("?" for _ in columns)
                    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
                    fmt = _SQLITE_FORMAT
                    await self.driver.executemany(sql, [tuple(fmt.get(type(v), _same)(v) for v in r) for r in rows])
            await self.driver.execute("COMMIT")
        else:
            async with self.driver.transaction():
                for table, columns, rows in tables:
                    if rows:
                        await self.driver.copy_records_to_table(table, records=rows, columns=list(columns))
        self.seconds += time.perf_counter() - started

    async def analyse(self) -> None:
        """PostgreSQL: what autovacuum does after a load (statistics, and a visibility map that lets the inbox
        counts be index-only scans), then autovacuum back on. SQLite runs without statistics, as in the hub."""
        if self.backend == "postgresql":
            await self.driver.execute("VACUUM ANALYZE")
            for table in LOADED_TABLES:
                await self.driver.execute(f"ALTER TABLE {table} RESET (autovacuum_enabled)")


async def _generate(loaders: Sequence[_Loader], keyring: Any, now: datetime) -> dict[str, Any]:
    """Generate the data once and load it into every backend at the same time; returns the ids the measurements
    need. One chunk of threads is generated while the previous one is being written."""
    from crypto import encrypt_field
    from hub.accounts import passwords
    from hub.db import new_id
    from hub.fields import MESSAGE_BODY, THREAD_SUBJECT

    rng = random.Random(20260301)
    password_hash = await passwords.hash_password("bench bench bench 42")
    gemeente = new_id()
    kantoren = [new_id() for _ in range(KANTOREN)]
    convenants = [new_id() for _ in kantoren]
    gemeente_users = [new_id() for _ in range(GEMEENTE_USERS)]
    kantoor_users = [new_id() for _ in kantoren]
    cases = [(new_id(), i % KANTOREN) for i in range(CASES)]
    t0 = now - timedelta(days=800)
    filler = encrypt_field(keyring, "Bench Cliënt", context=b"bench")
    user_cols = ("id", "organisation_id", "name", "email", "roles", "password_hash", "must_change_password",
                 "disabled", "notify_mode", "created_at")  # fmt: skip
    case_cols = ("id", "reference", "convenant_id", "gemeente_id", "kantoor_id", "client_name", "bsn", "bsn_index",
                 "birth_date", "bewind_kind", "beschikking_date", "bewind_start_date", "rechtbank", "status",
                 "created_by", "created_at", "updated_at")  # fmt: skip
    base: list[tuple[str, Sequence[str], list[tuple[Any, ...]]]] = [
        ("organisation", ("id", "kind", "name", "contact_person", "contact_email", "contact_phone", "created_at"),
         [(gemeente, "gemeente", "Gemeente Bench", "", "", "", t0)]
         + [(k, "bewindvoerderskantoor", f"Kantoor {i:02d}", "", "", "", t0) for i, k in enumerate(kantoren)]),
        ("convenant", ("id", "gemeente_id", "kantoor_id", "start_date", "status", "created_at"),
         [(c, gemeente, k, date(2024, 1, 1), "actief", t0) for c, k in zip(convenants, kantoren, strict=True)]),
        ("user_account", user_cols,
         [(u, gemeente, f"Klantmanager {i:02d}", f"km{i}@gemeente.bench", "klantmanager", password_hash, False,
           False, "direct", t0) for i, u in enumerate(gemeente_users)]
         + [(u, kantoren[i], f"Bewindvoerder {i:02d}", f"bw{i}@kantoor.bench", "bewindvoerder", password_hash,
             False, False, "direct", t0) for i, u in enumerate(kantoor_users)]),
        ("dossier", case_cols,
         [(cid, f"2025-{i:06d}", convenants[k], gemeente, kantoren[k], filler, filler, f"{i:064x}", filler,
           "schuldenbewind", date(2025, 1, 1), date(2025, 1, 1), "Rechtbank Gelderland", "actief",
           kantoor_users[k], t0, t0) for i, (cid, k) in enumerate(cases)]),
    ]  # fmt: skip
    await asyncio.gather(*(loader.load(base) for loader in loaders))

    thread_cols = ("id", "kind", "case_id", "convenant_id", "gemeente_id", "kantoor_id", "subject", "created_by",
                   "created_at", "gemeente_assignee_id", "kantoor_assignee_id", "status", "closed_at", "closed_by",
                   "last_message_at", "waiting_on_org_id", "awaited_by_org_id", "current_due_at")  # fmt: skip
    message_cols = ("id", "thread_id", "author_id", "author_org_id", "body", "sent_at", "kind")
    receipt_cols = ("message_id", "organisation_id", "thread_id", "delivered_at", "first_read_at", "first_read_by")
    clock_cols = ("id", "thread_id", "kind", "owed_by_org_id", "started_at", "started_by_message_id", "due_at",
                  "depth", "rescheduled_late", "stopped_at", "stopped_by", "stopped_by_message_id",
                  "stop_kind", "in_time")  # fmt: skip
    measuring_user = gemeente_users[0]
    post_threads: list[tuple[str, str]] = []  # (thread id, kantoor user id): no clock running
    writing: asyncio.Future[Any] | None = None
    for chunk in range(0, THREADS, BATCH):
        threads, messages, receipts, clocks, reads = [], [], [], [], []
        for n in range(chunk, min(chunk + BATCH, THREADS)):
            tid = new_id()
            general = n % 20 == 0
            case_id, k = cases[n % CASES] if not general else (None, n % KANTOREN)
            state = n % 10  # 0: waiting for the gemeente, 1: waiting for the kantoor, else answered
            if state < 2:
                last = now - timedelta(minutes=rng.randint(10, 60 * 24 * 12))
            else:
                last = now - timedelta(minutes=rng.randint(60 * 24 * 3, 60 * 24 * 730))
            first = last - timedelta(days=rng.randint(1, 60))
            closed = state >= 2 and n % 2 == 0
            due = last + timedelta(days=2) if state < 2 else None
            waiting = gemeente if state == 0 else kantoren[k] if state == 1 else None
            awaited = kantoren[k] if state == 0 else gemeente if state == 1 else None
            assignee = gemeente_users[n % GEMEENTE_USERS] if n % 3 else None
            subject = encrypt_field(
                keyring, f"{SUBJECTS[n % len(SUBJECTS)]} ({n})", context=THREAD_SUBJECT.context(tid)
            )
            threads.append(
                (tid, "algemeen" if general else "casuistiek", case_id, convenants[k], gemeente, kantoren[k],
                 subject, kantoor_users[k], first, assignee, kantoor_users[k], "afgerond" if closed else "open",
                 last if closed else None, gemeente_users[0] if closed else None, last, waiting, awaited, due)
            )  # fmt: skip
            step = (last - first) / (MESSAGES_PER_THREAD - 1)
            last_message_id = ""
            for m in range(MESSAGES_PER_THREAD):
                mid = new_id()
                from_kantoor = m % 2 == 0 if state != 1 else m % 2 == 1
                author, org = (kantoor_users[k], kantoren[k]) if from_kantoor else (gemeente_users[0], gemeente)
                sent = first + step * m
                kind = "inhoudelijke_reactie" if (m % 2 == 1 and state >= 2) else "bericht"
                body = encrypt_field(keyring, BODY, context=MESSAGE_BODY.context(mid))
                messages.append((mid, tid, author, org, body, sent, kind))
                # Delivered to the other party at once; read within the hour, except the newest message of a
                # thread that still waits for an answer.
                receiver, reader = (gemeente, measuring_user) if from_kantoor else (kantoren[k], kantoor_users[k])
                unread = state < 2 and m == MESSAGES_PER_THREAD - 1
                read_at = None if unread else sent + timedelta(minutes=40)
                receipts.append((mid, receiver, tid, sent, read_at, None if unread else reader))
                last_message_id = mid
            answered = state >= 2
            clocks.append(
                (new_id(), tid, "algemeen_eerste" if general else "casuistiek", kantoren[k] if state == 1 else gemeente,
                 last, last_message_id, last + timedelta(days=2), 0, False, last if answered else None,
                 gemeente_users[0] if answered else None, last_message_id if answered else None,
                 "reactie" if answered else None, n % 7 != 0 if answered else None)
            )  # fmt: skip
            if n % 2:
                reads.append((tid, measuring_user, last if n % 4 == 1 else first))
            if state >= 2 and not closed and len(post_threads) < WARMUP + POSTS and not general:
                post_threads.append((tid, kantoor_users[k]))
        tables = [
            ("message_thread", thread_cols, threads),
            ("message", message_cols, messages),
            ("message_receipt", receipt_cols, receipts),
            ("reaction_clock", clock_cols, clocks),
            ("thread_read", ("thread_id", "user_id", "last_read_at"), reads),
        ]
        if writing is not None:
            await writing
        writing = asyncio.gather(*(loader.load(tables) for loader in loaders))
    if writing is not None:
        await writing
    await asyncio.gather(*(loader.analyse() for loader in loaders))
    gc.collect()  # the generated rows are garbage now; collect them before anything is timed
    return {"gemeente_user": measuring_user, "kantoor_user": kantoor_users[0], "post_threads": post_threads}


async def _bench(urls: dict[str, str], work: Path) -> list[dict[str, Any]]:
    """Both backends: migrated, loaded with the same generated data (one keyring), then measured in turn."""
    from crypto import Keyring
    from hub import migrate
    from hub.db import utcnow
    from tests.support.hubclient import running_hub

    keyring = Keyring.generate()
    for url in urls.values():
        await migrate.upgrade_async(url)
    started = time.perf_counter()
    loaders = [_Loader(backend, url) for backend, url in urls.items()]
    async with contextlib.AsyncExitStack() as stack:
        for loader in loaders:
            await stack.enter_async_context(loader)
        ids = await _generate(loaders, keyring, utcnow())
    total = time.perf_counter() - started
    what = f"generate {THREADS:,} threads, {THREADS * MESSAGES_PER_THREAD:,} messages, load both backends"
    rows: list[dict[str, Any]] = [
        {"backend": "both", "measure": what, "unit": "s", "median": total, "goal": "(set-up)", "met": "-"}
    ]
    rows += [
        {"backend": loader.backend, "measure": "  of which writing (SQLite executemany, PostgreSQL COPY; at once)",
         "unit": "s", "median": loader.seconds, "goal": "(set-up)", "met": "-"}
        for loader in loaders
    ]  # fmt: skip
    for backend, url in urls.items():
        settings = {"HUB_WORKER": "off", "HUB_KEYRING": keyring.to_json()}
        async with running_hub(work / backend, url, **settings) as hub:
            rows += await _measure(hub, ids, backend)
    return rows


class _Meter:
    """Wall time and the number of SQL statements (round trips through the driver, BEGIN included) of one
    operation; the count is steady where the time is noisy."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.engine = engine.sync_engine
        self.statements = 0
        event.listen(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args: Any) -> None:
        self.statements += 1

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._count)

    async def once(self, work: Callable[[], Awaitable[Any]]) -> Run:
        before = self.statements
        cpu = time.process_time()
        started = time.perf_counter()
        await work()
        return time.perf_counter() - started, self.statements - before, time.process_time() - cpu

    async def runs(self, work: Callable[[], Awaitable[Any]], runs: int | None = None) -> list[Run]:
        for _ in range(WARMUP):
            await work()
        return [await self.once(work) for _ in range(runs or RUNS)]


async def _measure(hub: Any, ids: dict[str, Any], backend: str) -> list[dict[str, Any]]:
    """The measurements on a generated hub (``ids`` from :func:`_generate`). Every post thread ends as it began
    (no clock running), so the measurements can be repeated on the same data."""
    from sqlmodel import select

    from hub.accounts.models import User
    from hub.calendars.services import CalendarSource
    from hub.db import transaction
    from hub.messaging.inbox import InboxService
    from hub.messaging.models import MessageKind, Thread
    from hub.messaging.threads import ThreadService

    rows: list[dict[str, Any]] = []
    rt = hub.runtime
    calendars = CalendarSource()
    meter = _Meter(rt.engine)
    async with hub.db() as db:
        gemeente_user = await db.get(User, ids["gemeente_user"])
        kantoor_user = await db.get(User, ids["kantoor_user"])
    assert gemeente_user is not None and kantoor_user is not None

    # -- the inbox ---------------------------------------------------------------------------------------------
    for tab, user in (
        ("te_beantwoorden", gemeente_user),
        ("alle", gemeente_user),
        ("wacht_op_ander", kantoor_user),
    ):
        inbox = partial(_inbox, rt, calendars, user, tab)
        rows.append(_row(backend, f"inbox first page, service ({tab})", await meter.runs(inbox), INBOX_GOAL_MS))

    async def filtered() -> None:
        async with transaction(rt.sessions) as db:
            svc = InboxService(db, rt.keyring, calendars=calendars)
            await svc.inbox(gemeente_user, tab="alle", assignee="mij", status="open")

    rows.append(_row(backend, "inbox first page, service (alle, mij, open)", await meter.runs(filtered), INBOX_GOAL_MS))

    gemeente_client = await hub.client_for(gemeente_user)

    async def http_inbox() -> None:
        response = await gemeente_client.get("/berichten")
        assert response.status_code == 200

    rows.append(_row(backend, "GET /berichten (rendered page), whole app", await meter.runs(http_inbox), INBOX_GOAL_MS))

    # -- posting -----------------------------------------------------------------------------------------------
    # A question from the kantoor (a clock starts), then the gemeente's answer (the clock stops), on threads with
    # no clock running. Each post writes its e-mail notice (outbox rows) in the same transaction, as the app does:
    # to the thread's assignee, or, on a thread without a gemeente assignee (a third of them), to all 20
    # klantmanagers. The service rows without the notice show the messaging part alone.
    warmup_threads: list[tuple[str, str]] = ids["post_threads"][:WARMUP]
    post_threads: list[tuple[str, str]] = ids["post_threads"][WARMUP:]
    async with hub.db() as db:
        unassigned = set((await db.exec(select(Thread.id).where(Thread.gemeente_assignee_id.is_(None)))).all())
        askers = {u: await db.get(User, u) for u in {k for _, k in ids["post_threads"]}}
    third = POSTS // 3
    kantoor_clients = {u: await hub.client_for(user) for u, user in askers.items()}

    async def service_post(user: User, thread_id: str, kind: MessageKind, notices: bool) -> None:
        async with transaction(rt.sessions) as db:
            svc = ThreadService(db, rt.keyring, calendars=calendars, notifications=notices)
            await svc.post_message(user, thread_id, BODY, kind=kind)

    async def http_post(client: Any, thread_id: str, kind: str) -> None:
        response = await client.post_form(f"/berichten/{thread_id}/reageren", {"body": BODY, "kind": kind})
        assert response.status_code == 303, response.status_code

    for thread_id, kantoor_user_id in warmup_threads:  # every path once before anything is timed
        for notices in (True, False):
            await service_post(askers[kantoor_user_id], thread_id, MessageKind.BERICHT, notices)
            await service_post(gemeente_user, thread_id, MessageKind.INHOUDELIJKE_REACTIE, notices)
        await http_post(kantoor_clients[kantoor_user_id], thread_id, "bericht")
        await http_post(gemeente_client, thread_id, "inhoudelijke_reactie")

    for label, chosen, notices in (
        ("", post_threads[:third], True),
        (" (no e-mail notice)", post_threads[third : 2 * third], False),
    ):
        asks: list[Run] = []
        asks_unassigned: list[Run] = []
        answers: list[Run] = []
        for thread_id, kantoor_user_id in chosen:
            asker = askers[kantoor_user_id]
            ask = await meter.once(partial(service_post, asker, thread_id, MessageKind.BERICHT, notices))
            (asks_unassigned if thread_id in unassigned else asks).append(ask)
            answer = partial(service_post, gemeente_user, thread_id, MessageKind.INHOUDELIJKE_REACTIE, notices)
            answers.append(await meter.once(answer))
        rows.append(_row(backend, f"post question + start clock{label}, service", asks + asks_unassigned,
                         POST_GOAL_MS))  # fmt: skip
        if notices:
            rows.append(_row(backend, "  of which on unassigned threads (notice to 20 klantmanagers)",
                             asks_unassigned, POST_GOAL_MS))  # fmt: skip
        rows.append(_row(backend, f"post answer + stop clock{label}, service", answers, POST_GOAL_MS))

    # Through the whole app: the kantoor user's question and the gemeente's answer as form posts.
    http_asks: list[Run] = []
    http_answers: list[Run] = []
    for thread_id, kantoor_user_id in post_threads[2 * third :]:
        http_asks.append(await meter.once(partial(http_post, kantoor_clients[kantoor_user_id], thread_id, "bericht")))
        http_answers.append(await meter.once(partial(http_post, gemeente_client, thread_id, "inhoudelijke_reactie")))
    rows.append(_row(backend, "POST /berichten/{id}/reageren, question + start clock, whole app", http_asks,
                     POST_GOAL_MS))  # fmt: skip
    rows.append(_row(backend, "POST /berichten/{id}/reageren, answer + stop clock, whole app", http_answers,
                     POST_GOAL_MS))  # fmt: skip

    if backend == "postgresql":
        # Between two autovacuum runs the threads that are being answered have been written to, so part of the
        # visibility map is unset and the inbox counts cannot stay index-only scans. The same inbox again after
        # every thread with a running clock (a fifth) was updated once, autovacuum held off for the measurement.
        from sqlalchemy import text

        async with hub.db() as db:
            await db.execute(text("ALTER TABLE message_thread SET (autovacuum_enabled = false)"))
            await db.execute(
                text("UPDATE message_thread SET last_message_at = last_message_at WHERE waiting_on_org_id IS NOT NULL")
            )
        what = f"after {THREADS // 5:,} thread updates, before autovacuum"  # the 20 % with a running clock
        inbox_stale = partial(_inbox, rt, calendars, gemeente_user, "te_beantwoorden")
        rows.append(_row(backend, f"inbox (te_beantwoorden), {what}", await meter.runs(inbox_stale), INBOX_GOAL_MS))
        rows.append(_row(backend, f"GET /berichten, {what}", await meter.runs(http_inbox), INBOX_GOAL_MS))
        async with hub.db() as db:
            await db.execute(text("ALTER TABLE message_thread RESET (autovacuum_enabled)"))
    meter.close()
    return rows


async def _inbox(rt: Any, calendars: Any, user: Any, tab: str) -> None:
    from hub.db import transaction
    from hub.messaging.inbox import InboxService

    async with transaction(rt.sessions) as db:
        page = await InboxService(db, rt.keyring, calendars=calendars).inbox(user, tab=tab)
        assert len(page.rows) == 50, (tab, len(page.rows))


notes: list[str] = []


def run() -> list[dict[str, Any]]:
    notes.clear()
    done = on_both_backends("messaging", _bench, COLUMNS)
    rows = done.rows
    notes.append(
        f"Server-side time, in-process: the service in its own committed transaction, or the whole ASGI app (session "
        f"lookup, CSRF, service, template) through an httpx ASGI client. Median (the goal is on it) and 90th "
        f"percentile: inbox {RUNS} runs after {WARMUP} warm-up runs; posting {POSTS // 3} threads per row (a "
        f"third of the question rows on threads without a gemeente assignee), after every posting path ran on "
        f"{WARMUP} other threads. SQL: statements sent to the database per operation (median, BEGIN included). "
        f"CPU: the hub process's CPU time per operation (all its threads), steadier than the wall time on a busy "
        f"machine (the database server's own CPU is not in it)."
    )
    notes.append(
        "Issue 16 (posting under 20 ms): a reply through the whole app was 20 statements on SQLite and 18 on "
        "PostgreSQL; SQLite no longer reads the thread a second time under the lock (its transaction holds the write "
        "lock from BEGIN IMMEDIATE), and each SQLite statement is one call on aiosqlite's thread instead of three or "
        "four, with no pool rollback after a commit (hub/sqlite_driver.py: 73 thread hops per reply before, 21 now). "
        "New outbox rows are one multi-row INSERT without ORM objects (a notice to 20 klantmanagers built and flushed "
        "20 of them)."
    )
    notes.append(
        f"SQLite: a WAL file on disk (synchronous=NORMAL, as the hub sets it). PostgreSQL "
        f"{done.postgres_bin}: the throwaway test cluster of tests/support/postgres.py (fsync, "
        "synchronous_commit and full_page_writes off), on the same machine."
    )
    notes.append(done.load_note)
    return rows


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table("bench.messaging_bench", run(), notes)
