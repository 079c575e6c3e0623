"""The counting rules of the monitoring figures, on hand-built milestone lists (no database)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from hub.cases.milestones import K
from hub.monitoring.figures import Figures, MilestoneRow, Window, case_facts, count, lines, shown

_ids = itertools.count()
TODAY = date(2026, 12, 7)
Y2025 = Window.of(2025, TODAY)


def m(
    kind: K,
    day: date,
    outcome: str | None = None,
    *,
    detail: date | None = None,
    supersedes: str | None = None,
    void: bool = False,
    rid: str | None = None,
) -> MilestoneRow:
    n = next(_ids)
    return MilestoneRow(rid or f"m{n}", kind.value, day, datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=n),
                        supersedes, void, outcome, detail)  # fmt: skip


def figures(*milestones: MilestoneRow, kind: str = "schuldenbewind", window: Window = Y2025) -> Figures:
    return count([case_facts("kx", kind, milestones)], window).total


def test_the_window_of_the_running_year_ends_today() -> None:
    assert Window.of(2026, TODAY).last == TODAY
    assert Window.of(2025, TODAY).last == date(2025, 12, 31)


def test_i1_counts_bijstand_running_on_some_day_of_the_year_and_the_new_ones() -> None:
    granted_2024 = m(K.BESLUIT_BIJSTAND, date(2024, 6, 1), "toegekend")
    assert (figures(granted_2024).i1, figures(granted_2024).i1_new) == (1, 0)
    granted_2025 = m(K.BESLUIT_BIJSTAND, date(2025, 12, 31), "toegekend")
    assert (figures(granted_2025).i1, figures(granted_2025).i1_new) == (1, 1)
    assert figures(m(K.BESLUIT_BIJSTAND, date(2026, 1, 1), "toegekend")).i1 == 0  # after the year
    assert figures(m(K.BESLUIT_BIJSTAND, date(2025, 3, 1), "afgewezen")).i1 == 0
    # Stopped on 1 January: it ran that day. Stopped the day before: it did not run in the year.
    assert figures(granted_2024, m(K.EINDE_BIJSTAND, date(2025, 1, 1))).i1 == 1
    assert figures(granted_2024, m(K.EINDE_BIJSTAND, date(2024, 12, 31))).i1 == 0
    # A bewind that ended has no costs, even when nobody recorded the end of the bijstand.
    assert figures(granted_2024, m(K.EINDE_BEWIND, date(2024, 10, 1), "overlijden")).i1 == 0


def test_d1_counts_i1_without_a_schuldregeling_at_the_end_of_the_year() -> None:
    granted = m(K.BESLUIT_BIJSTAND, date(2024, 6, 1), "toegekend")
    assert figures(granted).d1 == 1
    assert figures(granted, m(K.START_SCHULDREGELING, date(2025, 12, 31), "minnelijk")).d1 == 0
    assert figures(granted, m(K.START_SCHULDREGELING, date(2026, 1, 2), "minnelijk")).d1 == 1
    # Not in I1: not in D1.
    assert figures(m(K.START_SCHULDREGELING, date(2026, 1, 2), "minnelijk")).d1 == 0


def test_d2_counts_the_bewinds_whose_term_ended_in_the_year() -> None:
    start = m(K.BESCHIKKING, date(2024, 2, 20), detail=date(2024, 3, 1))  # the ingangsdatum counts: term to 2025-03-01
    on_time = figures(start, m(K.AANMELDING_SCHULDHULP, date(2025, 3, 1)))
    assert (on_time.d2_within, on_time.d2_not) == (1, 0)
    late = figures(start, m(K.AANMELDING_SCHULDHULP, date(2025, 3, 2)))
    assert (late.d2_within, late.d2_not) == (0, 1)
    assert (figures(start).d2_within, figures(start).d2_not) == (0, 1)
    assert figures(start, kind="toestandenbewind").d2 == 0  # no schuldhulp term for a toestandenbewind
    assert figures(start, m(K.EINDE_BEWIND, date(2024, 12, 1), "overlijden")).d2 == 0  # ended before the term
    assert figures(m(K.BESCHIKKING, date(2024, 1, 1), detail=date(2023, 12, 31))).d2 == 0  # term ended in 2024
    # The term is a setting.
    six = count([case_facts("kx", "schuldenbewind", [m(K.BESCHIKKING, date(2024, 9, 1))])], Y2025, 6).total
    assert six.d2_not == 1


def test_uitstroom_figures_count_what_happened_in_the_year() -> None:
    f = figures(
        m(K.BESLUIT_BIJSTAND, date(2023, 1, 1), "toegekend"),
        m(K.EINDE_BIJSTAND, date(2025, 4, 1)),
        m(K.EINDE_BEWIND, date(2025, 4, 1), "schulden_opgelost"),
        m(K.NAZORG_AANGEBODEN, date(2025, 4, 2)),
        m(K.NAZORG_GEACCEPTEERD, date(2026, 1, 5)),  # after the year: not yet accepted in 2025
    )
    assert (f.u1, f.u2, f.u2_reasons["schulden_opgelost"], f.u3_offered, f.u3_accepted) == (1, 1, 1, 1, 0)
    assert figures(m(K.NAZORG_AANGEBODEN, date(2025, 4, 2)), m(K.NAZORG_GEACCEPTEERD, date(2025, 5, 1))).u3_accepted
    assert figures(m(K.EINDE_BEWIND, date(2024, 4, 1), "overlijden")).u2 == 0


def test_only_the_effective_milestones_count() -> None:
    wrong = m(K.EINDE_BEWIND, date(2025, 4, 1), "overlijden", rid="wrong")
    corrected = m(K.EINDE_BEWIND, date(2026, 2, 1), "verhuizing", supersedes="wrong")
    assert figures(wrong).u2 == 1
    assert figures(wrong, corrected).u2 == 0
    assert figures(wrong, corrected, window=Window.of(2026, TODAY)).u2_reasons == {"verhuizing": 1}
    withdrawn = m(K.BESLUIT_BIJSTAND, date(2025, 1, 1), "toegekend", rid="b")
    assert figures(withdrawn, m(K.BESLUIT_BIJSTAND, date(2025, 1, 1), supersedes="b", void=True)).i1 == 0


def test_figures_are_counted_per_kantoor_too() -> None:
    granted = [m(K.BESLUIT_BIJSTAND, date(2025, 1, 1), "toegekend")]
    result = count([case_facts("kx", "beide", granted), case_facts("ky", "beide", granted),
                    case_facts("ky", "beide", granted)], Y2025)  # fmt: skip
    assert (result.total.i1, result.per_kantoor["kx"].i1, result.per_kantoor["ky"].i1) == (3, 1, 2)


def test_small_counts_show_as_below_five() -> None:
    assert [shown(n) for n in (0, 1, 4, 5, 12)] == ["< 5", "< 5", "< 5", "5", "12"]


def test_the_lines_name_each_figure_as_the_handreiking_does() -> None:
    found = lines(Figures(i1=7), 2025, 12)
    assert found[0].code == "I1" and found[0].value == 7
    assert (
        found[0].label
        == "Aantal inwoners dat de kosten van beschermingsbewind vergoed krijgt uit de bijzondere bijstand"
    )
    assert {line.code for line in found} == {"I1", "D1", "D2", "U1", "U2", "U3"}
    assert any("twaalf maanden" in line.label for line in found)
