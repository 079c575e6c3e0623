"""Secondary suppression: no hidden count of the monitoring report can be worked out from the shown ones.

The rule is checked against an attacker who enumerates every value the hidden cells could have (a small count in
0..4, a count hidden by the rule 5 or more) and keeps the combinations under which every sum still adds up."""

from __future__ import annotations

import itertools
import random
from datetime import date

from hub.monitoring.figures import SMALL, Figures, Window, YearFigures
from hub.monitoring.suppression import Group, Key, protect, secondary


def _key(i: int, part: str = "") -> Key:
    return (part, 2026, i)


def _group(values: list[int], part: str = "") -> tuple[dict[Key, int], Group]:
    """values[0] is the total, the rest its parts."""
    keys = [_key(i, part) for i in range(len(values))]
    return dict(zip(keys, values, strict=True)), Group(keys[0], tuple(keys[1:]))


def test_a_shown_total_and_one_small_part_hide_the_other_part() -> None:
    values, group = _group([12, 9, 3])  # D2 12, of which 9 within the term and 3 not
    assert secondary(values, [group]) == {_key(1)}


def test_two_small_parts_that_can_only_be_four_each_hide_a_third_cell() -> None:
    values, group = _group([20, 12, 4, 4])  # 20 - 12 = 8 = 4 + 4: both would be known
    assert secondary(values, [group]) == {_key(1)}


def test_reasons_that_are_all_zero_are_not_given_away_by_their_sum() -> None:
    values, group = _group([30, 20, 10, 0, 0, 0, 0])  # U2 and its six reasons
    assert secondary(values, [group]) == {_key(2)}  # the smallest shown part


def test_nothing_is_hidden_when_no_small_count_can_be_worked_out() -> None:
    values, group = _group([30, 20, 10])
    assert secondary(values, [group]) == set()
    values, group = _group([12, 6, 3, 3])  # 6 = 3 + 3 has several answers in 0..4: (2, 4), (3, 3), (4, 2)
    assert secondary(values, [group]) == set()


def test_a_small_total_with_large_looking_parts_is_impossible_and_small_parts_stay_hidden() -> None:
    values, group = _group([3, 2, 1])
    assert secondary(values, [group]) == set()  # all three below 5 already


def _possible(values: dict[Key, int], hidden: dict[Key, tuple[int, int]], groups: list[Group]) -> dict[Key, set[int]]:
    """Every value each hidden cell takes in some assignment that satisfies all groups (brute force)."""
    keys = sorted(hidden)
    seen: dict[Key, set[int]] = {key: set() for key in keys}
    for combo in itertools.product(*(range(hidden[k][0], hidden[k][1] + 1) for k in keys)):
        trial = {**values, **dict(zip(keys, combo, strict=True))}
        if all(trial[g.total] == sum(trial[p] for p in g.parts) for g in groups):
            for key, value in zip(keys, combo, strict=True):
                seen[key].add(value)
    return seen


def test_an_attacker_enumerating_every_answer_never_pins_a_small_count_in_one_group() -> None:
    rng = random.Random(20261207)
    for _ in range(300):
        parts = [rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 7, 9, 12]) for _ in range(rng.randint(2, 4))]
        values, group = _group([sum(parts), *parts])
        extra = secondary(values, [group])
        hidden = {k: (0, SMALL - 1) for k, v in values.items() if v < SMALL}
        hidden |= {k: (SMALL, 40) for k in extra}  # 40: above any total drawn here
        for key, found in _possible(values, hidden, [group]).items():
            assert values[key] in found and (key in extra or len(found) > 1), (values, extra, key, found)


def test_rows_and_columns_are_protected_together() -> None:
    """Two kantoren and the gemeente, each with D2 and its two parts: rows and columns both add up."""
    values: dict[Key, int] = {}
    for part, (within, late) in (("a", (9, 3)), ("b", (6, 8))):
        values.update({_key(0, part): within + late, _key(1, part): within, _key(2, part): late})
    for i in range(3):
        values[_key(i)] = values[_key(i, "a")] + values[_key(i, "b")]
    groups = [Group(_key(0, p), (_key(1, p), _key(2, p))) for p in ("", "a", "b")]
    groups += [Group(_key(i), (_key(i, "a"), _key(i, "b"))) for i in range(3)]
    extra = secondary(values, groups)
    # a's 3 is hidden; its row needs a second cell (a's 9), and so does its column (b's 8); and then their own
    # column and row need one more each: b's 6. Every sum now has two hidden cells or none.
    assert extra == {_key(1, "a"), _key(2, "b"), _key(1, "b")}
    hidden = extra | {_key(2, "a")}
    for group in groups:
        assert len({group.total, *group.parts} & hidden) != 1


def test_the_report_marks_hidden_counts_as_x_and_keeps_the_others() -> None:
    window = Window.of(2026, date(2026, 12, 31))
    xander, ypsilon = Figures(i1=6, d2_within=9, d2_not=3), Figures(i1=3, d2_within=7, d2_not=8)
    total = Figures()
    total.merge(xander)
    total.merge(ypsilon)
    year = YearFigures(window, total, {"x": xander, "y": ypsilon})
    shown = protect([year], ["x", "y"], 12)
    texts = {code: [line.text for line in shown.kantoor("x", 2026) if line.code == code] for code in ("I1", "D2")}
    assert texts["I1"][0] == "x"  # the gemeente's 9 minus Xander's 6 would be Ypsilon's small I1
    assert texts["D2"] == ["12", "x", "< 5"]  # Xander's D2 12 = 9 + "< 5"
    assert [line.text for line in shown.total(2026)][:1] == ["9"]
    assert all(line.hidden for line in shown.kantoor("y", 2026) if line.value < SMALL)
