"""Secondary suppression of the monitoring report: no small count can be worked out from the numbers that are shown.

Counts below 5 show as "< 5" (primary suppression, :func:`hub.monitoring.figures.shown`). That is not enough where
numbers add up: D2 is the sum of its two parts, U2 the sum of its reasons, and every figure of the gemeente the sum of
its kantoren's. Where a total and all but one of its parts are shown, the hidden part is the difference; where two
hidden parts must add up to 8 while each is below 5, both are 4. So each additive group is checked the way an attacker
would: every hidden cell gets the range the shown numbers leave it (a "< 5" cell lies in 0..4, a cell hidden here is
known to be 5 or more, since only shown cells are picked). Where a range shrinks to a single value, the smallest
shown part of the group is hidden too (shown as "x"), and the check runs again over all groups until no hidden count
can be pinned down. The two years are independent tables; I1's "waarvan nieuw", D1 and U3's "waarvan geaccepteerd" are
subsets whose remainder is not shown, so they form no group.

Pure: the report's figures in, the lines to show out; every page, chart and export reads them from here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from hub.monitoring.figures import SMALL, Figures, Line, YearFigures, lines

if TYPE_CHECKING:
    from hub.monitoring.queries import Report

ADDITIVE = ("D2", "U2")  # figures whose "waarvan" lines add up to the figure
UNBOUNDED = 10**12

Part = str  # "" for the gemeente as a whole, else a kantoor's id
Key = tuple[Part, int, int]  # (part, year, index of the line)


@dataclass(frozen=True)
class Group:
    """``total`` equals the sum of ``parts``."""

    total: Key
    parts: tuple[Key, ...]


@dataclass(frozen=True)
class Protected:
    """The lines to show, per part and year, with every hidden count marked."""

    shown: dict[tuple[Part, int], list[Line]]

    def total(self, year: int) -> list[Line]:
        return self.shown[("", year)]

    def kantoor(self, kantoor_id: str, year: int) -> list[Line]:
        return self.shown[(kantoor_id, year)]


def protect_report(report: Report) -> Protected:
    """The report's chosen year and the year before, as the page and the exports show them."""
    return protect([report.current, report.previous], [k for k, _ in report.kantoren], report.term_months)


def protect(years: list[YearFigures], kantoor_ids: list[str], term_months: int) -> Protected:
    """The lines of the gemeente and of each kantoor for each of ``years``, with secondary suppression applied."""
    table: dict[tuple[Part, int], list[Line]] = {}
    for one in years:
        year = one.window.year
        table[("", year)] = lines(one.total, year, term_months)
        for kantoor_id in kantoor_ids:
            table[(kantoor_id, year)] = lines(one.per_kantoor.get(kantoor_id, Figures()), year, term_months)
    values = {(part, year, i): line.value for (part, year), found in table.items() for i, line in enumerate(found)}
    groups = list(_groups(table, kantoor_ids))
    for part, year, i in secondary(values, groups):
        table[(part, year)][i] = replace(table[(part, year)][i], secondary=True)
    return Protected(table)


def _groups(table: dict[tuple[Part, int], list[Line]], kantoor_ids: list[str]) -> list[Group]:
    found = []
    for (part, year), shown_lines in table.items():
        for i, line in enumerate(shown_lines):
            if line.code in ADDITIVE and not line.part:
                parts = []
                for j in range(i + 1, len(shown_lines)):
                    if shown_lines[j].code != line.code or not shown_lines[j].part:
                        break
                    parts.append((part, year, j))
                found.append(Group((part, year, i), tuple(parts)))
    if kantoor_ids:
        for (part, year), shown_lines in table.items():
            if part == "":
                for i in range(len(shown_lines)):
                    found.append(Group(("", year, i), tuple((k, year, i) for k in kantoor_ids)))
    return found


def secondary(values: dict[Key, int], groups: list[Group]) -> set[Key]:
    """The cells to hide besides those below 5, so that no hidden cell of any group can be pinned down."""
    primary = {key for key, value in values.items() if value < SMALL}
    extra: set[Key] = set()
    changed = True
    while changed:
        changed = False
        for group in groups:
            if not _pinned(group, values, primary, extra):
                continue
            candidates = [key for key in group.parts if key not in primary and key not in extra]
            if not candidates and group.total not in primary and group.total not in extra:
                candidates = [group.total]
            if candidates:
                extra.add(min(candidates, key=lambda key: (values[key], key)))
                changed = True
    return extra


def _pinned(group: Group, values: dict[Key, int], primary: set[Key], extra: set[Key]) -> bool:
    """Whether the shown cells of the group leave some hidden cell exactly one possible value.

    The group reads ``sum(parts) - total == 0``; each hidden cell x has a sign a (+1 part, -1 total) and bounds."""
    known = 0
    hidden: list[tuple[int, int, int]] = []  # (sign, low, high)
    for key, sign in ((group.total, -1), *((key, 1) for key in group.parts)):
        if key in primary:
            hidden.append((sign, 0, SMALL - 1))
        elif key in extra:
            hidden.append((sign, SMALL, UNBOUNDED))
        else:
            known += sign * values[key]
    if not hidden:
        return False
    # The range of sum(a * x) over all hidden cells; each cell's own range is what the others leave it.
    all_low = sum(min(sign * low, sign * high) for sign, low, high in hidden)
    all_high = sum(max(sign * low, sign * high) for sign, low, high in hidden)
    for sign, low, high in hidden:
        own_low, own_high = min(sign * low, sign * high), max(sign * low, sign * high)
        # a * x == -known - (sum of the others)
        rest_low, rest_high = -known - (all_high - own_high), -known - (all_low - own_low)
        x_low, x_high = (rest_low, rest_high) if sign == 1 else (-rest_high, -rest_low)
        if max(x_low, low) >= min(x_high, high):
            return True
    return False
