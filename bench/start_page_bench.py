"""The start page ("Wat wacht op mij") of a bewindvoerder with 10 000 cases and their milestones, on SQLite and on
PostgreSQL (issue 12: under 100 ms).

Data: one gemeente, one kantoor with 20 000 cases: 10 000 assigned to the measured bewindvoerder, 9 000 to a
colleague and 1 000 to nobody yet (the work list shows the user's and nobody's). Every case has its path as the hub
records it: the beschikking (a day in the last 800 days), for half of them the aanvraag bijzondere bijstand (for
half of those its besluit), for a third the aanmelding schuldhulpverlening; and the running terms those leave
(``case_term``: the bijstand term where no aanvraag was made, the schuldhulp term where no aanmelding was), due
days from hub.terms: about 42 000 milestones and 23 000 running terms owed by the kantoor. The client names are
real field encryption (the hub indexes them for the name search when it starts).

Measured in-process, median and 90th percentile over 20 runs after 3 warm-up runs: ``work_for`` (the work list's
query and its due words) in its own transaction, and ``GET /`` through the whole app (session, page, template);
beside them, without a goal, the gemeente's lists over the same cases (the consulent's applications, the
contractmanager's check of §2.3).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.harness import on_both_backends
from bench.name_search_bench import _row, _times

OWN_CASES = 10_000
COLLEAGUE_CASES = 9_000
NOBODYS_CASES = 1_000
GOAL_MS = 100.0
BATCH = 5_000
COLUMNS = ("backend", "measure", "unit", "median", "p90", "runs", "found", "goal", "met")


async def _generate(loaders: list[Any], keyring: Any) -> dict[str, Any]:
    from crypto import encrypt_field
    from hub.accounts import passwords
    from hub.cases.milestones import K
    from hub.db import new_id, utcnow
    from hub.fields import CASE_CLIENT_NAME
    from hub.terms import aanmelding_schuldhulp_due, aanvraag_bijzondere_bijstand_due, default_calendar

    rng = random.Random(20261207)
    calendar = default_calendar()
    now = utcnow()
    today = now.date()
    t0 = now - timedelta(days=900)
    password_hash = await passwords.hash_password("bench bench bench 42")
    gemeente, kantoor, convenant = new_id(), new_id(), new_id()
    bewindvoerder, colleague, consulent, contractmanager = new_id(), new_id(), new_id(), new_id()
    filler = encrypt_field(keyring, "-", context=b"bench")
    user_cols = ("id", "organisation_id", "name", "email", "roles", "password_hash", "must_change_password",
                 "disabled", "notify_mode", "created_at")  # fmt: skip
    base = [
        ("organisation", ("id", "kind", "name", "contact_person", "contact_email", "contact_phone", "created_at"),
         [(gemeente, "gemeente", "Gemeente Bench", "", "", "", t0),
          (kantoor, "bewindvoerderskantoor", "Kantoor Bench", "", "", "", t0)]),
        ("convenant", ("id", "gemeente_id", "kantoor_id", "start_date", "status", "created_at"),
         [(convenant, gemeente, kantoor, date(2024, 1, 1), "actief", t0)]),
        ("user_account", user_cols,
         [(u, kantoor, name, email, "bewindvoerder", password_hash, False, False, "direct", t0)
          for u, name, email in ((bewindvoerder, "Bewindvoerder", "bw@kantoor.bench"),
                                 (colleague, "Collega", "collega@kantoor.bench"))]
         + [(u, gemeente, role, f"{role}@gemeente.bench", role, password_hash, False, False, "direct", t0)
            for u, role in ((consulent, "consulent_bijzondere_bijstand"), (contractmanager, "contractmanager"))]),
    ]  # fmt: skip
    await asyncio.gather(*(loader.load(base) for loader in loaders))

    case_cols = ("id", "reference", "convenant_id", "gemeente_id", "kantoor_id", "client_name", "bsn", "bsn_index",
                 "birth_date", "bewind_kind", "beschikking_date", "bewind_start_date", "rechtbank", "status",
                 "terms_stale", "bewindvoerder_id", "created_by", "created_at", "updated_at")  # fmt: skip
    milestone_cols = ("id", "case_id", "kind", "milestone_date", "recorded_by", "recorded_by_org_id", "recorded_at",
                      "outcome", "void", "beschermd_wonen")  # fmt: skip
    term_cols = ("case_id", "step", "owed_by_org_id", "gemeente_id", "due_at")
    owners = [bewindvoerder] * OWN_CASES + [colleague] * COLLEAGUE_CASES + [None] * NOBODYS_CASES
    rng.shuffle(owners)
    counts = {"milestones": 0, "terms": 0}
    writing: asyncio.Future[Any] | None = None
    for chunk in range(0, len(owners), BATCH):
        cases, milestones, terms = [], [], []
        for n in range(chunk, min(chunk + BATCH, len(owners))):
            case_id = new_id()
            start = today - timedelta(days=rng.randrange(800))
            moment = now - timedelta(days=(today - start).days)
            sealed = encrypt_field(keyring, f"Cliënt {n}", context=CASE_CLIENT_NAME.context(case_id))
            cases.append((case_id, f"2025-{n:06d}", convenant, gemeente, kantoor, sealed, filler, f"{n:064x}",
                          filler, "schuldenbewind", start, start, "Rechtbank Gelderland", "actief", False, owners[n],
                          bewindvoerder, moment, moment))  # fmt: skip

            def milestone(kind: Any, day: date, who: str, org: str, outcome: str | None = None) -> None:
                milestones.append((new_id(), case_id, kind.value, min(day, today), who, org, moment, outcome,  # noqa: B023
                                   False, False))  # fmt: skip

            milestone(K.BESCHIKKING, start, bewindvoerder, kantoor)
            if n % 2 == 0:
                milestone(K.AANVRAAG_BIJSTAND, start + timedelta(days=30), bewindvoerder, kantoor)
                if n % 4 == 0:  # the other half waits for the consulent's decision
                    milestone(K.BESLUIT_BIJSTAND, start + timedelta(days=50), consulent, gemeente, "toegekend")
            else:
                terms.append((case_id, "aanvraag_bijzondere_bijstand", kantoor, gemeente,
                              aanvraag_bijzondere_bijstand_due(start, calendar=calendar)))  # fmt: skip
            if n % 3 == 0:
                milestone(K.AANMELDING_SCHULDHULP, start + timedelta(days=200), bewindvoerder, kantoor)
            else:
                terms.append((case_id, "aanmelding_schuldhulp", kantoor, gemeente,
                              aanmelding_schuldhulp_due(start, calendar=calendar)))  # fmt: skip
        counts["milestones"] += len(milestones)
        counts["terms"] += len(terms)
        tables = [("dossier", case_cols, cases), ("case_milestone", milestone_cols, milestones),
                  ("case_term", term_cols, terms)]  # fmt: skip
        if writing is not None:
            await writing
        writing = asyncio.gather(*(loader.load(tables) for loader in loaders))
    if writing is not None:
        await writing
    await asyncio.gather(*(loader.analyse() for loader in loaders))
    return {"bewindvoerder": bewindvoerder, "consulent": consulent, "contractmanager": contractmanager, **counts}


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
        ids = await _generate(loaders, keyring)
    total = OWN_CASES + COLLEAGUE_CASES + NOBODYS_CASES
    what = f"generate {total:,} cases, {ids['milestones']:,} milestones, {ids['terms']:,} terms, load both"
    rows: list[dict[str, Any]] = [
        {"backend": "both", "measure": what, "unit": "s", "median": time.perf_counter() - started,
         "goal": "(set-up)", "met": "-"}
    ]  # fmt: skip
    for backend, url in urls.items():
        settings = {"HUB_WORKER": "off", "HUB_KEYRING": keyring.to_json()}
        async with running_hub(work / backend, url, **settings) as hub:
            rows += await _measure(hub, ids, backend)
    return rows


async def _measure(hub: Any, ids: dict[str, Any], backend: str) -> list[dict[str, Any]]:
    from hub.accounts.models import User
    from hub.calendars.services import CalendarSource
    from hub.cases.bijstand_list import applications_for
    from hub.cases.records import local_today
    from hub.cases.schuldhulp_check import schuldhulp_check
    from hub.dashboard.worklist import work_for
    from hub.db import transaction, utcnow

    rt = hub.runtime
    async with hub.db() as db:
        user = await db.get(User, ids["bewindvoerder"])
    assert user is not None
    calendars = CalendarSource()

    async def worklist() -> Any:
        async with transaction(rt.sessions) as db:
            return await work_for(db, user, calendars, utcnow())

    rows: list[dict[str, Any]] = []
    times, items = await _times(worklist)
    label = f"work_for, bewindvoerder with {OWN_CASES:,} cases"
    rows.append(_row(backend, label, times, GOAL_MS, f"{len(items)} items"))
    client = await hub.client_for(user)

    async def page() -> Any:
        response = await client.get("/")
        assert response.status_code == 200 and "Wat wacht op mij" in response.text, response.status_code
        return response

    times, _ = await _times(page)
    rows.append(_row(backend, "GET / (the start page), whole app", times, GOAL_MS))

    # The gemeente's lists over the same cases (no goal set): the consulent's applications, the §2.3 check.
    async with hub.db() as db:
        consulent = await db.get(User, ids["consulent"])
        contractmanager = await db.get(User, ids["contractmanager"])

    async def applications() -> Any:
        async with transaction(rt.sessions) as db:
            return await applications_for(db, consulent, calendars)

    times, found = await _times(applications, 5)
    rows.append(_row(backend, "applications_for (consulent)", times, None, f"{len(found.new)} new"))

    async def check() -> Any:
        async with transaction(rt.sessions) as db:
            return await schuldhulp_check(db, contractmanager, warn_months=(2, 1), today=local_today())

    times, result = await _times(check, 5)
    rows.append(_row(backend, "schuldhulp_check (contractmanager)", times, None, f"{result.past} past"))
    return rows


notes: list[str] = []


def run() -> list[dict[str, Any]]:
    notes.clear()
    done = on_both_backends("start", _bench, COLUMNS)
    rows = done.rows
    for row in rows:
        if row["goal"] == "(the alternative)":  # name_search_bench's word for a row without a goal
            row["goal"] = "(no goal set)"
    notes.append("Server-side time, in-process, median and 90th percentile of 20 runs after 3 warm-up runs.")
    notes.append(done.load_note)
    return rows


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table("bench.start_page_bench", run(), notes)
