"""The year's monitoring of a gemeente with 50 000 cases and their milestones, on SQLite and on PostgreSQL (issue 13:
under 1 s).

Data: one gemeente, 50 kantoren (a convenant each), 50 000 cases spread over them, and a second gemeente with 10 000
cases of its own (which the query must pass by). Each case walks part of the covenant's path from a beschikking
between 2021 and 2026: referral and contact, aanmelding and advies, aanvraag and besluit bijzondere bijstand (most
granted), aanmelding schuldhulp and a schuldregeling for many, einde bijstand, einde bewind with a reason and nazorg
for some, a melding wijziging now and then; about 2 % of the facts were corrected (a second row that supersedes the
first). Generated once and bulk-loaded into both databases through the messaging benchmark's loader.

Measured in-process (server-side time), median and 90th percentile over 10 runs after 2 warm-up runs:
``hub.monitoring.queries.report`` (the running year and the year before, with the per-kantoor figures) in its own
transaction, ``GET /monitoring?jaar=2026`` and ``GET /monitoring.csv?jaar=2026`` (audited) through the whole app.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from bench.harness import on_both_backends

CASES = 50_000
OTHER_CASES = 10_000
KANTOREN = 50
RUNS = 10
WARMUP = 2
GOAL_MS = 1000.0
BATCH = 10_000
TODAY = date(2026, 12, 7)

COLUMNS = ("backend", "measure", "unit", "median", "p90", "runs", "found", "goal", "met")
MILESTONE_COLUMNS = ("id", "case_id", "kind", "milestone_date", "recorded_by", "recorded_by_org_id", "recorded_at",
                     "outcome", "detail_date", "supersedes_id", "void")  # fmt: skip
REASONS = ("uitstroom", "schulden_opgelost", "grondslag_toestand", "overlijden", "verhuizing", "anders")


def _row(backend: str, measure: str, times: list[float], extra: str = "") -> dict[str, Any]:
    median = statistics.median(times) * 1000
    p90 = statistics.quantiles(times, n=10)[-1] * 1000 if len(times) > 1 else median
    return {"backend": backend, "measure": measure, "unit": "ms", "median": median, "p90": p90, "runs": len(times),
            "found": extra, "goal": f"median < {GOAL_MS:g} ms", "met": "yes" if median < GOAL_MS else "NO"}  # fmt: skip


def _path(rng: random.Random, start: date) -> list[tuple[str, date, str | None, date | None]]:
    """One case's facts: (kind, date, outcome, detail date), in the order of the path, none after TODAY."""
    facts: list[tuple[str, date, str | None, date | None]] = []

    def add(kind: str, day: date, outcome: str | None = None, detail: date | None = None) -> bool:
        if day > TODAY:
            return False
        facts.append((kind, day, outcome, detail))
        return True

    def later(day: date, lo: int, hi: int) -> date:
        return day + timedelta(days=rng.randint(lo, hi))

    if rng.random() < 0.4:
        add("verwijzing", later(start, -60, -40))
        add("contact_nieuwe_klant", later(start, -38, -35))
    add("aanmelding_verzonden", later(start, -30, -20))
    add("advies", later(start, -19, -10), "positief", start)
    add("beschikking", start, None, start)
    if rng.random() < 0.8 and add("aanvraag_bijzondere_bijstand", later(start, 10, 60)):
        granted = later(facts[-1][1], 10, 50)
        if add("besluit_bijzondere_bijstand", granted, "toegekend" if rng.random() < 0.9 else "afgewezen"):
            if facts[-1][2] == "toegekend" and rng.random() < 0.2:
                add("einde_bijzondere_bijstand", later(granted, 200, 1400))
    if rng.random() < 0.7 and add("aanmelding_schuldhulp", later(start, 60, 500)):
        if rng.random() < 0.6:
            add("start_schuldregeling", later(facts[-1][1], 30, 200), rng.choice(("minnelijk", "wsnp")))
    if rng.random() < 0.2:
        add("melding_wijziging", later(start, 30, 900), None, later(start, 30, 900))
    if rng.random() < 0.2 and add("einde_bewind", later(start, 300, 1800), rng.choice(REASONS)):
        ended = facts[-1][1]
        if rng.random() < 0.6 and add("nazorg_aangeboden", later(ended, 1, 30)) and rng.random() < 0.6:
            add("nazorg_geaccepteerd", later(facts[-1][1], 1, 30))
    return facts


async def _generate(loaders: list[Any]) -> dict[str, Any]:
    """Generate the organisations, cases and milestones once; load them into every backend at the same time."""
    from hub.accounts import passwords
    from hub.db import new_id, utcnow

    rng = random.Random(20261207)
    t0 = utcnow() - timedelta(days=2000)
    password_hash = await passwords.hash_password("bench bench bench 42")
    gemeente, other, contractmanager = new_id(), new_id(), new_id()
    kantoren = [new_id() for _ in range(KANTOREN)]
    convenants = [new_id() for _ in kantoren]
    other_convenant = new_id()
    bewindvoerders = [new_id() for _ in kantoren]
    user_cols = ("id", "organisation_id", "name", "email", "roles", "password_hash", "must_change_password",
                 "disabled", "notify_mode", "created_at")  # fmt: skip
    base = [
        ("organisation", ("id", "kind", "name", "contact_person", "contact_email", "contact_phone", "created_at"),
         [(gemeente, "gemeente", "Gemeente Bench", "", "", "", t0), (other, "gemeente", "Gemeente Ander", "", "", "",
                                                                      t0)]
         + [(k, "bewindvoerderskantoor", f"Kantoor {i:02d}", "", "", "", t0) for i, k in enumerate(kantoren)]),
        ("convenant", ("id", "gemeente_id", "kantoor_id", "start_date", "status", "created_at"),
         [(c, gemeente, k, date(2020, 1, 1), "actief", t0) for c, k in zip(convenants, kantoren, strict=True)]
         + [(other_convenant, other, kantoren[0], date(2020, 1, 1), "actief", t0)]),
        ("user_account", user_cols,
         [(contractmanager, gemeente, "Contractmanager", "cm@gemeente.bench", "contractmanager", password_hash, False,
           False, "direct", t0)]
         + [(u, kantoren[i], f"Bewindvoerder {i:02d}", f"bw{i}@kantoor.bench", "bewindvoerder", password_hash,
             False, False, "direct", t0) for i, u in enumerate(bewindvoerders)]),
    ]  # fmt: skip
    await asyncio.gather(*(loader.load(base) for loader in loaders))

    case_cols = ("id", "reference", "convenant_id", "gemeente_id", "kantoor_id", "client_name", "bsn", "bsn_index",
                 "birth_date", "bewind_kind", "beschikking_date", "bewind_start_date", "rechtbank", "status",
                 "created_by", "created_at", "updated_at")  # fmt: skip
    filler = b"\x00" * 60  # the monitoring never reads the encrypted fields
    milestones_total = 0
    writing: asyncio.Future[Any] | None = None
    total = CASES + OTHER_CASES
    for chunk in range(0, total, BATCH):
        cases, milestones = [], []
        for n in range(chunk, min(chunk + BATCH, total)):
            case_id, k = new_id(), n % KANTOREN
            ours = n < CASES
            convenant, org = (convenants[k], gemeente) if ours else (other_convenant, other)
            kantoor = kantoren[k] if ours else kantoren[0]
            start = date(2021, 1, 4) + timedelta(days=rng.randint(0, 2100))
            kind = "toestandenbewind" if rng.random() < 0.1 else "schuldenbewind"
            created = t0 + timedelta(minutes=n)
            cases.append((case_id, f"2025-{n:06d}", convenant, org, kantoor, filler, filler, f"{n:064x}", filler,
                          kind, start, start, "Rechtbank Gelderland", "actief", bewindvoerders[k], created,
                          created))  # fmt: skip
            for fact, day, outcome, detail in _path(rng, start):
                at = datetime.combine(day, clock(10), tzinfo=UTC)
                row_id = new_id()
                milestones.append((row_id, case_id, fact, day, bewindvoerders[k], kantoor, at, outcome, detail, None,
                                   False))  # fmt: skip
                if rng.random() < 0.02:  # corrected a day later
                    milestones.append((new_id(), case_id, fact, day - timedelta(days=1), bewindvoerders[k], kantoor,
                                       at + timedelta(days=1), outcome, detail, row_id, False))  # fmt: skip
        milestones_total += len(milestones)
        tables = [("dossier", case_cols, cases), ("case_milestone", MILESTONE_COLUMNS, milestones)]
        if writing is not None:
            await writing
        writing = asyncio.gather(*(loader.load(tables) for loader in loaders))
    if writing is not None:
        await writing
    await asyncio.gather(*(loader.analyse() for loader in loaders))
    return {"contractmanager": contractmanager, "milestones": milestones_total}


async def _times(work: Callable[[], Awaitable[Any]]) -> tuple[list[float], Any]:
    result = None
    for _ in range(WARMUP):
        result = await work()
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        result = await work()
        times.append(time.perf_counter() - began)
    return times, result


async def _measure(hub: Any, ids: dict[str, Any], backend: str) -> list[dict[str, Any]]:
    from hub.accounts.models import User
    from hub.db import transaction
    from hub.monitoring.queries import report

    async with hub.db() as db:
        user = await db.get(User, ids["contractmanager"])

    async def service() -> Any:
        async with transaction(hub.runtime.sessions) as db:
            return await report(db, user, 2026, TODAY, 12)

    rows = []
    times, found = await _times(service)
    total = found.current.total
    rows.append(_row(backend, "report(): 2026 and 2025, per kantoor", times, f"I1 {total.i1}, D2 {total.d2}"))
    client = await hub.client_for(user)
    for measure, url in (("GET /monitoring?jaar=2026", "/monitoring?jaar=2026"),
                         ("GET /monitoring.csv?jaar=2026 (audited)", "/monitoring.csv?jaar=2026")):  # fmt: skip

        async def page(url: str = url) -> Any:
            answer = await client.get(url)
            assert answer.status_code == 200, answer.status_code
            return answer

        times, answer = await _times(page)
        rows.append(_row(backend, measure, times, f"{len(answer.content):,} bytes"))
    return rows


async def _bench(urls: dict[str, str], work: Path) -> list[dict[str, Any]]:
    from bench.messaging_bench import _Loader
    from crypto import Keyring
    from hub import migrate
    from tests.support.hubclient import running_hub

    keyring = Keyring.generate()
    for url in urls.values():
        await migrate.upgrade_async(url)
    started = time.perf_counter()
    loaders = [_Loader(backend, url) for backend, url in urls.items()]
    async with contextlib.AsyncExitStack() as stack:
        for loader in loaders:
            await stack.enter_async_context(loader)
        ids = await _generate(loaders)
    what = f"generate {CASES + OTHER_CASES:,} cases and {ids['milestones']:,} milestones, load both backends"
    rows: list[dict[str, Any]] = [
        {"backend": "both", "measure": what, "unit": "s", "median": time.perf_counter() - started,
         "goal": "(set-up)", "met": "-"}
    ]  # fmt: skip
    for backend, url in urls.items():
        settings = {"HUB_WORKER": "off", "HUB_KEYRING": keyring.to_json()}
        async with running_hub(work / backend, url, **settings) as hub:
            rows += await _measure(hub, ids, backend)
    return rows


notes: list[str] = []


def run() -> list[dict[str, Any]]:
    notes.clear()
    done = on_both_backends("monitoring", _bench, COLUMNS)
    rows = done.rows
    notes.append(
        f"Server-side time, in-process, median and 90th percentile of {RUNS} runs after {WARMUP} warm-up runs; "
        f"'today' is {TODAY:%d-%m-%Y}. found: the gemeente's I1 and D2 for 2026, or the size of the answer."
    )
    notes.append(done.load_note)
    return rows


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table("monitoring", run(), notes)
