"""The report reads only the cases that can count from the earlier year on (``gemeente_facts(..., since=...)``) and
counts both years in one pass (``count_years``): on the seeded gemeente, for every pair of years, that gives exactly
the figures of counting every case once per year; and the filter does leave cases out. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from hub.cases.milestones import K
from hub.cases.models import CaseMilestone
from hub.monitoring.figures import Window, count, count_years
from hub.monitoring.queries import gemeente_facts
from tests.monitoring.seed import Seeded, valid_bsn

LATER = date(2031, 6, 30)  # every window whole


async def _ended_before_its_last_facts(seeded: Seeded) -> None:
    """A bewind ended on 20 December 2024 whose bijzondere bijstand stopped, and nazorg was offered, in January 2025:
    it counts in 2025 (I1, U1, U3) although its bewind ended before the year began."""
    w = seeded.world
    bsn = next(b for b in map(valid_bsn, range(20_000_001, 20_000_100)) if b)
    opened = await w.open_case(w.bv_x, convenant_id=w.arnhem_xander.id, bsn=bsn, bewind_kind="schuldenbewind",
                               beschikking_date=date(2023, 2, 1), bewind_start_date=date(2023, 2, 1))  # fmt: skip
    async with w.hub.db() as db:
        for kind, day, outcome in ((K.BESLUIT_BIJSTAND, date(2023, 3, 1), "toegekend"),
                                   (K.EINDE_BEWIND, date(2024, 12, 20), "uitstroom"),
                                   (K.EINDE_BIJSTAND, date(2025, 1, 5), None),
                                   (K.NAZORG_AANGEBODEN, date(2025, 1, 10), None)):  # fmt: skip
            db.add(CaseMilestone(case_id=opened.id, kind=kind.value, milestone_date=day, outcome=outcome,
                                 recorded_by=w.bv_x.id, recorded_by_org_id=w.bv_x.organisation_id))  # fmt: skip


async def test_the_cases_left_out_change_no_figure_of_either_year(seeded: Seeded) -> None:
    await _ended_before_its_last_facts(seeded)
    gemeente = seeded.world.arnhem.id
    async with seeded.world.hub.db() as db:
        every = await gemeente_facts(db, gemeente)
        left_out = 0
        for year in range(2022, 2030):
            windows = [Window.of(year, LATER), Window.of(year - 1, LATER)]
            some = await gemeente_facts(db, gemeente, since=windows[1].first)
            assert set(some) <= set(every)
            left_out = max(left_out, len(every) - len(some))
            for counted, window in zip(count_years(some, windows, 12), windows, strict=True):
                whole = count(every, window, 12)
                assert counted.total == whole.total, year
                assert counted.per_kantoor == {k: f for k, f in whole.per_kantoor.items() if k in counted.per_kantoor}
                assert all(f == type(f)() for k, f in whole.per_kantoor.items() if k not in counted.per_kantoor)
    assert left_out > 0  # the seeded ended bewinds fall before the later pairs of years
