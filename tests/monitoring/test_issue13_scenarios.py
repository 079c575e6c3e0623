"""Issue 13 as its scenario tests read it, on SQLite and PostgreSQL: a gemeente whose figures are known by
construction (a toestandenbewind, a bewind ending mid-year, the year boundary, today in the running year, corrections
and withdrawals), its exports (aggregated, small counts hidden, no sum giving one away, no formula), the steekproef
(reproducible, participants at the lower rate, rates checked, another gemeente's draw 404) and who may see what."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import itertools
import json
import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from odf.opendocument import load
from odf.table import TableCell, TableRow
from sqlalchemy import select, update
from sqlmodel import col

from hub.accounts.models import Convenant, Organisation, User
from hub.accounts.roles import OrgKind, Role
from hub.cases.milestones import K
from hub.cases.models import Case, CaseMilestone
from hub.cases.records import local_today
from hub.db import new_id
from hub.errors import NotFound, ValidationError
from hub.messaging.models import MessageKind
from hub.monitoring.compliance import Period
from hub.monitoring.compliance_service import ComplianceService
from hub.monitoring.figures import Figures
from hub.monitoring.queries import report
from hub.monitoring.steekproef import Stratum, draw, drawn, population_from_json
from hub.monitoring.steekproef_service import SteekproefService
from hub.orgdocs.models import OrganisationDocument
from hub.web.templating import datum
from tests.cases.world import World, build_world
from tests.messaging.world import at
from tests.messaging.world import build_world as build_messaging_world
from tests.monitoring.seed import valid_bsn
from tests.orgdocs.world import build_org_world, pdf_bytes, post_multipart
from tests.support.hubclient import HubUnderTest, running_hub

TODAY = local_today()  # the pages count the running year up to it (the scenario needs a day in the second half of 2026)
TOMORROW = TODAY + timedelta(days=1)

# Built below, group by group (5 cases each, so that the exports show them): what each counts.
EXPECTED = {
    2025: {
        "": dict(i1=20, i1_new=15, d1=15, d2_within=0, d2_not=0, u1=0, u2=5, u3_offered=0, u3_accepted=0),
        "X": dict(i1=10, i1_new=10, d1=10, d2_within=0, d2_not=0, u1=0, u2=5, u3_offered=0, u3_accepted=0),
        "Y": dict(i1=10, i1_new=5, d1=5, d2_within=0, d2_not=0, u1=0, u2=0, u3_offered=0, u3_accepted=0),
    },
    2026: {
        "": dict(i1=25, i1_new=5, d1=20, d2_within=10, d2_not=5, u1=5, u2=5, u3_offered=5, u3_accepted=3),
        "X": dict(i1=15, i1_new=5, d1=15, d2_within=5, d2_not=5, u1=0, u2=0, u3_offered=0, u3_accepted=0),
        "Y": dict(i1=10, i1_new=0, d1=5, d2_within=5, d2_not=0, u1=5, u2=5, u3_offered=5, u3_accepted=3),
    },
}
REASONS = {2025: {"verhuizing": 5}, 2026: {"schulden_opgelost": 5}}


@dataclass
class Town:
    world: World
    cm: User  # contractmanager of Arnhem
    cm_berkel: User
    references: list[str]
    bsns: list[str]


async def build_town(hub: HubUnderTest) -> Town:
    w = await build_world(hub)
    numbers = (b for b in map(valid_bsn, itertools.count(20_000_001)) if b)
    references: list[str] = []
    bsns: list[str] = []

    async def case(user: User, convenant: Convenant, start: date, kind: str = "schuldenbewind",
                   beschikking: date | None = None) -> Case:  # fmt: skip
        bsns.append(next(numbers))
        opened = await w.open_case(user, convenant_id=convenant.id, bsn=bsns[-1], bewind_kind=kind,
                                   beschikking_date=beschikking or start, bewind_start_date=start)  # fmt: skip
        references.append(opened.reference)
        return opened

    async def rows(opened: Case, user: User, *facts: tuple[K, date, str | None]) -> list[CaseMilestone]:
        made = [CaseMilestone(id=new_id(), case_id=opened.id, kind=kind.value, milestone_date=day, outcome=outcome,
                              recorded_by=user.id, recorded_by_org_id=user.organisation_id)
                for kind, day, outcome in facts]  # fmt: skip
        async with hub.db() as db:
            db.add_all(made)
        return made

    async def supersede(old: CaseMilestone, user: User, day: date, outcome: str | None, *, void: bool = False) -> None:
        async with hub.db() as db:
            db.add(CaseMilestone(case_id=old.case_id, kind=old.kind, milestone_date=day, outcome=outcome, void=void,
                                 recorded_by=user.id, recorded_by_org_id=user.organisation_id,
                                 supersedes_id=old.id))  # fmt: skip

    ax, ay, bx = w.arnhem_xander, w.arnhem_ypsilon, w.berkel_xander
    for _ in range(5):  # T: a toestandenbewind: in I1 and D1, never in D2
        c = await case(w.bv_x, ax, date(2025, 3, 1), "toestandenbewind")
        await rows(c, w.bv_x, (K.BESLUIT_BIJSTAND, date(2025, 4, 1), "toegekend"))
    for _ in range(5):  # S: schuldenbewind, registered on the term's last day (2026-03-01): D2 within in 2026
        c = await case(w.bv_x, ax, date(2025, 3, 1))
        await rows(c, w.bv_x, (K.BESLUIT_BIJSTAND, date(2025, 4, 1), "toegekend"),
                   (K.AANMELDING_SCHULDHULP, date(2026, 3, 1), None))  # fmt: skip
    for _ in range(5):  # L: registered a day after the term: D2 not within, in 2026
        c = await case(w.bv_x, ax, date(2025, 3, 1))
        await rows(c, w.bv_x, (K.AANMELDING_SCHULDHULP, date(2026, 3, 2), None))
    for i in range(5):  # M: a bewind ending mid-2026 (no separate end of the bijstand), nazorg offered
        c = await case(w.bv_y, ay, date(2020, 1, 6))
        accepted = date(2026, 7, 15) if i < 3 else TOMORROW  # two accept after today: not yet
        await rows(c, w.bv_y, (K.BESLUIT_BIJSTAND, date(2020, 2, 1), "toegekend"),
                   (K.AANMELDING_SCHULDHULP, date(2020, 6, 1), None),
                   (K.START_SCHULDREGELING, date(2020, 9, 1), "minnelijk"),
                   (K.EINDE_BEWIND, date(2026, 6, 30), "schulden_opgelost"),
                   (K.NAZORG_AANGEBODEN, date(2026, 7, 1), None), (K.NAZORG_GEACCEPTEERD, accepted, None))  # fmt: skip
    for _ in range(5):  # B: the year boundary. The term runs from the ingangsdatum (2 January 2025, not the
        # beschikking's 20 December 2024) to 2 January 2026: D2 of 2026, registered on its last day.
        c = await case(w.bv_y, ay, date(2025, 1, 2), beschikking=date(2024, 12, 20))
        await rows(c, w.bv_y, (K.BESLUIT_BIJSTAND, date(2025, 12, 31), "toegekend"),
                   (K.EINDE_BIJSTAND, date(2026, 1, 1), None),
                   (K.AANMELDING_SCHULDHULP, date(2026, 1, 2), None))  # fmt: skip
    for _ in range(5):  # C: a granted bijstand withdrawn; an end withdrawn; an end corrected into 2025
        c = await case(w.bv_x, ax, date(2023, 1, 2))
        besluit, einde = await rows(c, w.bv_x, (K.BESLUIT_BIJSTAND, date(2023, 2, 1), "toegekend"),
                                    (K.EINDE_BEWIND, date(2026, 2, 1), "overlijden"))  # fmt: skip
        await supersede(besluit, w.bv_x, besluit.milestone_date, besluit.outcome, void=True)
        await supersede(einde, w.bv_x, date(2025, 12, 31), "verhuizing")
    for _ in range(5):  # F: granted today, in the running year
        c = await case(w.bv_x, ax, date(2026, 1, 5), "toestandenbewind")
        await rows(c, w.bv_x, (K.BESLUIT_BIJSTAND, TODAY, "toegekend"))
    for _ in range(2):  # granted tomorrow, and a bewind ended tomorrow: not yet in any figure
        c = await case(w.bv_x, ax, date(2026, 1, 5), "toestandenbewind")
        await rows(c, w.bv_x, (K.BESLUIT_BIJSTAND, TOMORROW, "toegekend"), (K.EINDE_BEWIND, TOMORROW, "anders"))
    for _ in range(5):  # Berkel's: never Arnhem's
        c = await case(w.bv_x, bx, date(2025, 3, 1))
        await rows(c, w.bv_x, (K.BESLUIT_BIJSTAND, date(2026, 2, 1), "toegekend"),
                   (K.EINDE_BEWIND, date(2026, 5, 1), "overlijden"))  # fmt: skip
    return Town(
        w,
        cm=await hub.user(w.arnhem, Role.CONTRACTMANAGER, name="Carla Contractmanager"),
        cm_berkel=await hub.user(w.berkel, Role.CONTRACTMANAGER, name="Bea Berkel"),
        references=references,
        bsns=bsns,
    )


@pytest.fixture
async def town(hub: HubUnderTest) -> Town:
    return await build_town(hub)


def plain(figures: Figures) -> dict[str, int]:
    return {k: v for k, v in asdict(figures).items() if k != "u2_reasons"}


# -- the figures -------------------------------------------------------------------------------------------------


async def _figures_are_exactly_those_constructed(town: Town) -> None:
    w = town.world
    parts = {"X": w.xander.id, "Y": w.ypsilon.id}
    async with w.hub.db() as db:
        found = await report(db, town.cm, 2026, TODAY, 12)
    for year, figures in ((2026, found.current), (2025, found.previous)):
        assert plain(figures.total) == EXPECTED[year][""], year
        assert {k: v for k, v in figures.total.u2_reasons.items() if v} == REASONS[year]
        for name, kantoor_id in parts.items():
            assert plain(figures.per_kantoor[kantoor_id]) == EXPECTED[year][name], (year, name)
    assert found.current.window.last == TODAY
    async with w.hub.db() as db:
        berkel = await report(db, town.cm_berkel, 2026, TODAY, 12)
    assert (berkel.current.total.i1, berkel.current.total.u2, berkel.current.total.d2_not) == (5, 5, 5)
    assert list(berkel.current.per_kantoor) == [w.xander.id]


# -- the exports -------------------------------------------------------------------------------------------------


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def _ods(body: bytes) -> list[list[str]]:
    doc = load(io.BytesIO(body))
    found = []
    for row in doc.spreadsheet.getElementsByType(TableRow):
        cells = row.getElementsByType(TableCell)
        assert all(not cell.getAttribute("formula") for cell in cells)
        found.append([str(cell) for cell in cells])
    return found


def _range(text: str) -> tuple[int, int]:
    if text == "< 5":
        return 0, 4
    if text == "x":
        return 5, 10**6
    assert text.isdigit() and int(text) >= 5, text
    return int(text), int(text)


def _pinned(total: str, parts: list[str]) -> list[str]:
    """The hidden cells of ``total = sum(parts)`` that the shown ones leave only one possible value."""
    cells = [(_range(total), -1), *((_range(p), 1) for p in parts)]  # sum(sign * value) == 0
    texts = [total, *parts]
    found = []
    for i, ((own_low, own_high), sign) in enumerate(cells):
        if texts[i].isdigit():
            continue
        others = [cell for j, cell in enumerate(cells) if j != i]
        low = sum(lo if s == 1 else -hi for (lo, hi), s in others)  # the range of the others' signed sum
        high = sum(hi if s == 1 else -lo for (lo, hi), s in others)
        lo, hi = (-high, -low) if sign == 1 else (low, high)
        if max(lo, own_low) == min(hi, own_high):
            found.append(f"{texts[i]} at {i}")
    return found


def _check_no_sum_gives_a_small_count_away(rows: list[list[str]], gemeente: str, kantoren: list[str]) -> None:
    by_part: dict[str, list[list[str]]] = {}
    for row in rows[1:]:
        by_part.setdefault(row[0], []).append(row)
    for column in (3, 4):
        for part, part_rows in by_part.items():
            for i, row in enumerate(part_rows):
                if row[1] in ("D2", "U2") and not row[2].startswith("waarvan"):
                    shares = []
                    for later in part_rows[i + 1 :]:
                        if later[1] != row[1] or not later[2].startswith("waarvan"):
                            break
                        shares.append(later[column])
                    assert not _pinned(row[column], shares), (part, row, shares)
        total_rows = by_part[f"{gemeente} (alle kantoren)"]
        for i, row in enumerate(total_rows):
            shares = [by_part[k][i][column] for k in kantoren]
            assert not _pinned(row[column], shares), (row, shares)


async def _exports_hold_aggregated_figures_only_with_no_small_count_to_be_worked_out(town: Town) -> None:
    w = town.world
    client = await w.hub.client_for(town.cm)
    csv_rows = _csv((await client.get("/monitoring.csv?jaar=2026")).content)
    ods_answer = await client.get("/monitoring.ods?jaar=2026")
    ods_rows = _ods(ods_answer.content)
    assert csv_rows == ods_rows
    assert csv_rows[0] == ["Onderdeel", "Code", "Indicator", "2025", "2026"]
    by = {(r[0], r[2]): r[3:] for r in csv_rows[1:]}
    total = "Gemeente Arnhem (alle kantoren)"
    i1 = "Aantal inwoners dat de kosten van beschermingsbewind vergoed krijgt uit de bijzondere bijstand"
    assert by[(total, i1)] == ["20", "25"] and by[("Kantoor Xander", i1)] == ["10", "15"]
    # 2026's 5 new are all Xander's: with Ypsilon's "< 5" beside it the sum would tell Ypsilon's 0 (and a hidden
    # Xander would still be exactly 5), so the gemeente's count is hidden as well.
    assert by[(total, "waarvan nieuw in 2026")] == ["15", "x"]
    assert by[("Kantoor Ypsilon", "waarvan nazorg geaccepteerd")] == ["< 5", "< 5"]
    for row in csv_rows[1:]:
        for cell in row[3:]:
            _range(cell)  # every count shown is 5 or more, or hidden
    _check_no_sum_gives_a_small_count_away(csv_rows, "Gemeente Arnhem", ["Kantoor Xander", "Kantoor Ypsilon"])
    # The page's table per kantoor shows the same cells as the exports (the reasons of U2 are in the chart only).
    page = (await client.get("/monitoring?jaar=2026")).text
    for kantoor in ("Kantoor Xander", "Kantoor Ypsilon"):
        row = re.search(rf'<tr><th scope="row"[^>]*>{kantoor}</th>((?:<td[^>]*>[^<]*</td>)+)</tr>', page)
        assert row is not None
        cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))]
        assert cells == [r[4] for r in csv_rows[1:] if r[0] == kantoor and not r[2].startswith("waarvan reden")]
    charted = [html.unescape(v) for v in re.findall(r'class="chart-value">([^<]*)<', page)]
    assert len(charted) == 2 * 16  # two years of each of the 16 figures and reasons, with its shown count
    for value in charted:
        _range(value)
    flat = "\n".join(";".join(r) for r in csv_rows)
    for secret in [*town.references, *town.bsns, "Johanna de Vries", "Bas Bewindvoerder", "Yara Ypsilon"]:
        assert secret not in flat and secret.encode() not in ods_answer.content


async def _a_kantoor_name_like_a_formula_is_text_in_both_exports(town: Town) -> None:
    w = town.world
    async with w.hub.db() as db:
        await db.execute(update(Organisation).where(col(Organisation.id) == w.ypsilon.id)
                         .values(name='=HYPERLINK("http://evil.example","klik")'))  # fmt: skip
        await db.execute(update(Organisation).where(col(Organisation.id) == w.xander.id)
                         .values(name="@SUM(1+1)*cmd|' /C calc'!A0"))  # fmt: skip
    client = await w.hub.client_for(town.cm)
    rows = _csv((await client.get("/monitoring.csv?jaar=2026")).content)
    names = {r[0] for r in rows[1:]}
    assert '\'=HYPERLINK("http://evil.example","klik")' in names and "'@SUM(1+1)*cmd|' /C calc'!A0" in names
    assert all(name[:1] not in "=+-@\t\r" for name in names)
    ods = _ods((await client.get("/monitoring.ods?jaar=2026")).content)
    assert all(cell[:1] not in "=+-@" for row in ods for cell in row)


async def test_the_constructed_gemeente_its_figures_and_its_exports(town: Town) -> None:
    """Exactly the constructed figures per gemeente and kantoor; both exports aggregated, with no small count shown
    or derivable from a sum, no personal data, and an organisation name like a formula kept as text."""
    await _figures_are_exactly_those_constructed(town)
    await _exports_hold_aggregated_figures_only_with_no_small_count_to_be_worked_out(town)
    await _a_kantoor_name_like_a_formula_is_text_in_both_exports(town)


# -- the steekproef ----------------------------------------------------------------------------------------------


async def _repeated_with_its_stored_seed_gives_the_same_sample(town: Town) -> None:
    w = town.world
    period = Period(date(2025, 1, 1), TODAY)
    async with w.hub.db() as db:
        service = SteekproefService(db, w.hub.runtime.keyring)
        row = await service.draw(town.cm, period, 5000, 10000)
        view = await service.view(town.cm, row.id)
    assert view.verified
    population = population_from_json(row.population)
    # T, S, B granted in 2025; F today (not tomorrow's, not Berkel's, not the withdrawn grant of C).
    assert len(population) == 20 and {s for _, s in population} == {Stratum.DEELNEMER.value}
    assert draw(bytes.fromhex(row.seed), population, {"deelnemer": 5000, "buiten_convenant": 10000}) == json.loads(
        row.result
    )
    # The same inputs again: the same sample; another seed: (almost surely) another.
    assert draw(bytes.fromhex(row.seed), list(reversed(population)), {"deelnemer": 5000}) == json.loads(row.result)
    # A stored result that does not follow from its inputs is shown as such.
    async with w.hub.db() as db:
        await db.execute(update(type(row)).where(col(type(row).id) == row.id).values(result="[]"))
    async with w.hub.db() as db:
        assert not (await SteekproefService(db, w.hub.runtime.keyring).view(town.cm, row.id)).verified


async def _each_stratum_is_drawn_at_its_rate(town: Town, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kantoor Ypsilon's convenant stopped before the period: its cases are drawn at the rate outside the convenant.
    With fixed seeds each draw of the service is exactly the algorithm's, case by case, at its stratum's rate."""
    w = town.world
    async with w.hub.db() as db:
        await db.execute(update(Convenant).where(col(Convenant.id) == w.arnhem_ypsilon.id)
                         .values(status="beeindigd", end_date=date(2024, 12, 31)))  # fmt: skip
    seeds = iter(i.to_bytes(32, "big") for i in range(1, 1000))
    monkeypatch.setattr("hub.monitoring.steekproef_service.secrets", SimpleNamespace(token_bytes=lambda n: next(seeds)))
    async with w.hub.db() as db:
        service = SteekproefService(db, w.hub.runtime.keyring)
        for i in range(1, 21):
            row = await service.draw(town.cm, Period(date(2025, 1, 1), TODAY), 2000, 6000)
            population = population_from_json(row.population)
            assert row.seed == i.to_bytes(32, "big").hex()
            rate = {"deelnemer": 2000, "buiten_convenant": 6000}
            expected = sorted(c for c, stratum in population if drawn(bytes.fromhex(row.seed), c, rate[stratum]))
            assert json.loads(row.result) == expected
    strata = [stratum for _, stratum in population]
    assert (strata.count("deelnemer"), strata.count("buiten_convenant")) == (15, 5)  # T, S, F; B (Ypsilon)


def test_participants_are_drawn_at_the_lower_rate_over_many_draws() -> None:
    """500 draws with fixed seeds over a fixed population of 200 participants and 100 others (deterministic: the
    test cannot flake): each stratum's share of drawn cases is close to its rate."""
    population = [(f"case-{i:04d}", "deelnemer") for i in range(200)]
    population += [(f"case-{i:04d}", "buiten_convenant") for i in range(200, 300)]
    rates = {"deelnemer": 500, "buiten_convenant": 2000}
    counts = {"deelnemer": 0, "buiten_convenant": 0}
    stratum_of = dict(population)
    for i in range(500):
        for case_id in draw(hashlib.sha256(f"seed {i}".encode()).digest(), population, rates):
            counts[stratum_of[case_id]] += 1
    share = {"deelnemer": counts["deelnemer"] / (500 * 200), "buiten_convenant": counts["buiten_convenant"] / 50_000}
    assert 0.045 < share["deelnemer"] < 0.055, share  # 5 %: 100 000 trials, sd 0.07 %
    assert 0.19 < share["buiten_convenant"] < 0.21, share  # 20 %: 50 000 trials, sd 0.18 %


async def test_a_steekproef_is_reproducible_its_own_gemeentes_and_drawn_at_each_strata_rate(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _repeated_with_its_stored_seed_gives_the_same_sample(town)
    await _another_gemeentes_draw_is_not_found(town)
    await _each_stratum_is_drawn_at_its_rate(town, monkeypatch)


async def test_a_steekproefs_rates_and_period_are_checked_by_the_service(hub: HubUnderTest) -> None:
    world = await build_messaging_world(hub)
    day = date(2026, 3, 2)
    wrong = [(Period(day, day), -1, 1000), (Period(day, day), 1000, 10_001), (Period(day, day), 2000, 1000),
             (Period(day, day - timedelta(days=1)), 10, 10)]  # fmt: skip
    for period, deelnemer, buiten in wrong:
        async with hub.db() as db:
            with pytest.raises(ValidationError):
                await SteekproefService(db, hub.runtime.keyring).draw(world.contractmanager, period, deelnemer, buiten)
    client = await hub.client_for(world.contractmanager)
    form = {"van": "2026-01-01", "tot": "2026-06-30", "rate_deelnemer": "²", "rate_buiten": "٥"}
    refused = await client.post_form("/monitoring/steekproeven", form)
    assert refused.status_code == 400 and "Vul een percentage tussen 0 en 100 in" in refused.text
    for url in ("/monitoring?jaar=²⁰²⁶", "/monitoring.csv?jaar=２０２６", "/monitoring.ods?jaar=-2026"):
        assert (await client.get(url)).status_code == 400, url
    async with hub.db() as db:
        assert await SteekproefService(db, hub.runtime.keyring).draws(world.contractmanager) == []


async def _another_gemeentes_draw_is_not_found(town: Town) -> None:
    w = town.world
    async with w.hub.db() as db:
        row = await SteekproefService(db, w.hub.runtime.keyring).draw(town.cm, Period(date(2025, 1, 1), TODAY),
                                                                      10000, 10000)  # fmt: skip
    async with w.hub.db() as db:
        with pytest.raises(NotFound):
            await SteekproefService(db, w.hub.runtime.keyring).view(town.cm_berkel, row.id)
    berkel = await w.hub.client_for(town.cm_berkel)
    assert (await berkel.get(f"/monitoring/steekproeven/{row.id}")).status_code == 404
    case_id = json.loads(row.result)[0]
    answer = await berkel.post_form(f"/monitoring/steekproeven/{row.id}/dossiers/{case_id}", {"outcome": "in_orde"})
    assert answer.status_code == 404


# -- term compliance ---------------------------------------------------------------------------------------------


async def test_term_compliance_of_a_constructed_set_kept_late_median_and_p90(hub: HubUnderTest) -> None:
    """Six questions of the kantoor to the gemeente in March 2026 (the term: 2 werkdagen), answered after 0, 1, 2, 3,
    5 and 2 werkdagen (the last over a weekend): 4 kept, 2 late; times [0, 1, 2, 2, 3, 5]: median (rank 3) 2, 90th
    percentile (rank 6) 5. The late drill-down shows the two late ones, never their subject or text."""
    world = await build_messaging_world(hub)
    asked_answered = [((2, 10), (2, 15)), ((2, 10), (3, 10)), ((2, 10), (4, 10)), ((2, 10), (5, 10)),
                      ((2, 10), (9, 10)), ((6, 10), (10, 10))]  # fmt: skip
    for (day, hour), (answer_day, answer_hour) in asked_answered:
        thread = await world.call("start_thread", world.bewindvoerder, subject="Geheime vraag over de schulden",
                                  body="Vertrouwelijk", case=world.case, now=at(2026, 3, day, hour))  # fmt: skip
        await world.call("post_message", world.klantmanager, thread.id, "Vertrouwelijk antwoord",
                         kind=MessageKind.INHOUDELIJKE_REACTIE, now=at(2026, 3, answer_day, answer_hour))  # fmt: skip
    period = Period(date(2026, 3, 1), date(2026, 3, 31))
    async with hub.db() as db:
        found = await ComplianceService(db, world.calendars).report(world.contractmanager, period, date(2026, 4, 1))
    [(partner, row)] = found.rows
    assert partner.id == world.kantoor.id
    ours = row.ours  # what the gemeente owed
    assert (ours.clocks, ours.clocks_kept) == (6, 4)
    assert sorted(ours.reaction_days) == [0, 1, 2, 2, 3, 5]
    assert (ours.median_days, ours.p90_days) == (2, 5)
    async with hub.db() as db:
        late = await ComplianceService(db, world.calendars).late(
            world.contractmanager, world.kantoor.id, period, date(2026, 4, 1)
        )
    assert len(late.items) == 2 and {i.case_reference for i in late.items} == {world.case.reference}
    client = await hub.client_for(world.contractmanager)
    page = await client.get(f"/monitoring/termijnen/{world.kantoor.id}?van=2026-03-01&tot=2026-03-31")
    assert page.status_code == 200 and world.case.reference in page.text
    assert "Geheime vraag" not in page.text and "Vertrouwelijk" not in page.text and "Jan Jansen" not in page.text


# -- who may see what --------------------------------------------------------------------------------------------


async def test_every_page_export_and_post_answers_each_role_and_organisation_as_the_readme_says(
    hub: HubUnderTest,
) -> None:
    """The contractmanager's pages of issue 13 for each role of both parties, and for the other gemeente's and the
    other kantoor's users: 404 for another organisation's object, 403 for a wrong role; every POST needs its token."""
    org = await build_org_world(hub)
    w = org.base
    roles = {
        "cm": w.contractmanager,
        "km": w.klantmanager,
        "consulent": await hub.user(w.gemeente, Role.CONSULENT, name="Coen Consulent"),
        "gb": await hub.user(w.gemeente, Role.GEMEENTEBEHEERDER, name="Gijs Gemeentebeheer"),
        "fg": await hub.user(w.gemeente, Role.FG, name="Fleur FG"),
        "bv": w.bewindvoerder,
        "kb": org.kantoorbeheerder,
        "other_cm": org.other_contractmanager,
        "other_kb": org.other_kantoorbeheerder,
        "fb": await hub.user(await hub.org(OrgKind.BEHEER, "Beheer"), Role.FUNCTIONEEL_BEHEERDER, name="Femke"),
    }
    async with hub.db() as db:
        db.add(CaseMilestone(case_id=w.case.id, kind=K.AANVRAAG_BIJSTAND.value, milestone_date=date(2026, 3, 2),
                             recorded_by=w.bewindvoerder.id, recorded_by_org_id=w.kantoor.id))  # fmt: skip
    async with hub.db() as db:
        steekproef = await SteekproefService(db, hub.runtime.keyring).draw(
            w.contractmanager, Period(date(2026, 1, 1), date(2026, 6, 30)), 10000, 10000
        )
    assert json.loads(steekproef.result) == [w.case.id]
    cm = await hub.client_for(w.contractmanager)
    signed = await post_multipart(cm, f"/convenanten/{w.convenant.id}/documenten", [("document_date", "2026-01-15")],
                                  "convenant.pdf", pdf_bytes(2000))  # fmt: skip
    assert signed.status_code == 303
    kb = await hub.client_for(org.kantoorbeheerder)
    decharge = [("doc_type", "decharge"), ("document_date", "2026-01-15"), ("valid_until", "")]
    quality = await post_multipart(kb, "/kwaliteitsdocumenten", decharge, "d.pdf", pdf_bytes(2000))
    assert quality.status_code == 303
    async with hub.db() as db:
        rows = await db.execute(select(col(OrganisationDocument.document_id), col(OrganisationDocument.convenant_id)))
        docs = {("convenant" if convenant_id else "decharge"): doc for doc, convenant_id in rows.all()}
    convenant_doc, quality_doc = docs["convenant"], docs["decharge"]
    strangers = {"other_cm", "other_kb", "fb"}

    everyone = set(roles)
    gets: dict[str, dict[str, set[str]]] = {  # url: {status: who}; everyone else 403
        "/monitoring?jaar=2026": {"200": {"cm", "other_cm"}},
        "/monitoring.csv?jaar=2026": {"200": {"cm", "other_cm"}},
        "/monitoring.ods?jaar=2026": {"200": {"cm", "other_cm"}},
        "/monitoring/termijnen": {"200": {"cm", "other_cm", "kb", "other_kb"}},
        f"/monitoring/termijnen/{w.kantoor.id}": {"200": {"cm"}, "404": {"other_cm", "kb", "other_kb"}},
        f"/monitoring/termijnen/{w.gemeente.id}": {"200": {"kb"}, "404": {"cm", "other_cm", "other_kb"}},
        "/monitoring/steekproeven": {"200": {"cm", "other_cm"}},
        f"/monitoring/steekproeven/{steekproef.id}": {"200": {"cm"}, "404": {"other_cm"}},
        "/convenanten": {"200": {"cm", "other_cm", "kb", "other_kb"}},
        "/routekaart": {"200": {"cm", "other_cm"}},
        "/organisatie/contactgegevens": {"200": {"cm", "other_cm", "kb", "other_kb"}},
        "/kwaliteitsdocumenten": {"200": {"cm", "other_cm", "kb", "other_kb", "bv"}},
        f"/organisatiedocumenten/{convenant_doc}/downloaden": {"200": {"cm", "kb"}, "404": strangers},
        f"/organisatiedocumenten/{quality_doc}/downloaden": {"200": {"cm", "kb", "bv"}, "404": strangers},
        # Only the owning kantoor withdraws its document; for the gemeente that reads it, it is another's object.
        f"/organisatiedocumenten/{quality_doc}/intrekken": {"200": {"kb", "bv"}, "404": strangers | {"cm"}},
    }
    clients = {name: await hub.client_for(user) for name, user in roles.items()}
    wrong = []
    for url, expected in gets.items():
        for name in sorted(everyone):
            want = next((int(s) for s, who in expected.items() if name in who), 403)
            got = (await clients[name].get(url)).status_code
            if got != want:
                wrong.append((url, name, want, got))
    assert wrong == []

    assess = f"/monitoring/steekproeven/{steekproef.id}/dossiers/{w.case.id}"
    withdrawers = {"303": {"bv", "kb"}, "404": strangers | {"cm"}}  # the second one finds it withdrawn: 400
    contacts = {"contact_person": "Vera Vast", "contact_email": "info@example.nl", "contact_phone": ""}
    draw_form = {"van": "2026-01-01", "tot": "2026-06-30", "rate_deelnemer": "100", "rate_buiten": "100"}
    posts: dict[str, tuple[dict[str, str], dict[str, set[str]]]] = {
        "/monitoring/steekproeven": (draw_form, {"303": {"cm", "other_cm"}}),
        assess: ({"outcome": "in_orde"}, {"303": {"cm"}, "404": {"other_cm"}}),
        f"/organisatiedocumenten/{quality_doc}/intrekken": ({"reason": "Fout"}, withdrawers),
        "/organisatie/contactgegevens": (contacts, {"303": {"cm", "kb", "other_cm", "other_kb"}}),
    }
    for url, (form, expected) in posts.items():
        for name in sorted(everyone):
            want = next((int(s) for s, who in expected.items() if name in who), 403)
            without = await clients[name].post_form(url, form, csrf=False)
            if without.status_code != 403:
                wrong.append((url, name, "no csrf", without.status_code))
            got = (await clients[name].post_form(url, form)).status_code
            if got not in (want, 400 if want == 303 else want):
                wrong.append((url, name, want, got))
    # The streamed uploads check their token too (it comes first in the form), and store nothing without it.
    for url, fields in ((f"/convenanten/{w.convenant.id}/documenten", [("document_date", "2026-01-15")]),
                        ("/kwaliteitsdocumenten", decharge)):  # fmt: skip
        for client in (cm, kb):
            answer = await post_multipart(client, url, fields, "zonder-token.pdf", pdf_bytes(), csrf=None)
            if answer.status_code != 403:
                wrong.append((url, "no csrf", answer.status_code))
    async with hub.db() as db:
        assert len((await db.execute(select(col(OrganisationDocument.document_id)))).all()) == 2
    assert wrong == []


# -- the convenant, its documents and the routekaart --------------------------------------------------------------


async def test_the_contractmanager_and_the_kantoor_read_the_convenant_its_terms_documents_and_routekaart(
    database_url: str, tmp_path: Path
) -> None:
    """With the decharge due 18 months after the last one (a setting): the convenant page states that term, a
    decharge of 400 days ago is not yet due, a kwaliteitsverklaring valid up to today is not overdue, the signed PDF
    is read by both parties, and the routekaart shows the contact the kantoor named for schuldhulp."""
    async with running_hub(tmp_path / "data", database_url, HUB_DECHARGE_MONTHS="18") as hub:
        org = await build_org_world(hub)
        w = org.base
        cm, kb = await hub.client_for(w.contractmanager), await hub.client_for(org.kantoorbeheerder)
        signed = await post_multipart(cm, f"/convenanten/{w.convenant.id}/documenten",
                                      [("document_date", "2025-01-02")], "getekend.pdf", pdf_bytes(2100))  # fmt: skip
        assert signed.status_code == 303
        today = local_today()
        # The kantoor adds an older decharge and an older kwaliteitsverklaring afterwards, for the record: the current
        # ones stay those due again last, so nothing is overdue.
        documents = [
            ("decharge", today - timedelta(days=400), ""),
            ("kwaliteitsverklaring", today - timedelta(days=30), today.isoformat()),
            ("decharge", today - timedelta(days=800), ""),
            ("kwaliteitsverklaring", today - timedelta(days=400), str(today - timedelta(days=40))),
        ]
        for kind, day, valid in documents:
            fields = [("doc_type", kind), ("document_date", day.isoformat()), ("valid_until", valid)]
            assert (
                await post_multipart(kb, "/kwaliteitsdocumenten", fields, f"{kind}.pdf", pdf_bytes())
            ).status_code == 303
        for client in (cm, kb):
            page = (await client.get("/convenanten")).text
            assert "Gemeente Nijmegen en Bewindvoering De Brug" in page and "Gemeente Wijchen" not in page
            assert "1 januari 2025" in page and "Actief" in page and "getekend.pdf" in page and "2 januari 2025" in page
            assert re.search(r"Nieuwe decharge van de rechtbank</th><td[^>]*>18 maanden</td>", page), "the setting"
            assert re.search(r"Reactie casuïstiek</th><td[^>]*>2 werkdagen</td>", page)
            link = re.search(r'href="(/organisatiedocumenten/[0-9a-f]+/downloaden)"', page)
            assert link is not None and (await client.get(link.group(1))).status_code == 200
        quality = (await cm.get("/kwaliteitsdocumenten")).text
        assert "Bewindvoering De Brug" in quality and "Verlopen" not in quality and "Ontbreekt" not in quality
        assert datum(today) in quality  # the kwaliteitsverklaring is valid up to and with today
        assert "Elk kantoor met een lopend convenant heeft" in (await cm.get("/monitoring")).text

        contacts = {"contact_person": "Vera Vast", "contact_email": "info@brug.example.nl", "contact_phone": "",
                    "schuldhulp_person": "Sam Schuld", "schuldhulp_email": "schuld@brug.example.nl"}  # fmt: skip
        assert (await kb.post_form("/organisatie/contactgegevens", contacts)).status_code == 303
        routekaart = (await cm.get("/routekaart")).text
        assert "Sam Schuld" in routekaart and "Schuldhulpverlening (§2.3)" in routekaart
        assert "Otto Ander" not in routekaart and "Ander Kantoor" not in routekaart
