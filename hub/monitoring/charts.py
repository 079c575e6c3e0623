"""The monitoring page's bar charts: their geometry, computed here and drawn as server-side SVG by the template
(templates/monitoring/chart.html). No JavaScript, and readable without colour: each bar has its year written before
it and its number after it, the chosen year is solid and the year before hatched, and a hidden count ("< 5", or "x"
where hub.monitoring.suppression hid it) gets no bar at all (its length would give the number away).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.monitoring.figures import Line

WIDTH = 640
YEAR_COLUMN = 48  # the year written before each bar
BAR_SPACE = 480  # the longest bar
BAR_HEIGHT = 16
LABEL_HEIGHT = 20
ROW_GAP = 14


@dataclass(frozen=True)
class Bar:
    year: int
    current: bool  # the chosen year (solid) or the year before (hatched)
    y: int
    width: int
    text: str  # the count as shown ("< 5" below five, "x" hidden by secondary suppression)
    text_x: int


@dataclass(frozen=True)
class ChartRow:
    label: str
    label_y: int
    bars: tuple[Bar, Bar]


@dataclass(frozen=True)
class Chart:
    key: str  # unique on the page: the ids of the title, description and table
    title: str
    description: str  # the text alternative: every number the chart shows, in words
    width: int
    height: int
    rows: tuple[ChartRow, ...]
    year: int

    @property
    def bar_x(self) -> int:
        return YEAR_COLUMN


def bar_chart(key: str, title: str, current: list[Line], previous: list[Line], year: int) -> Chart:
    """Two bars per figure: the year before and the chosen year. ``previous`` has the same figures as ``current``."""
    visible = [line.value for line in (*current, *previous) if not line.hidden]
    scale = BAR_SPACE / max(visible) if visible else 0.0
    rows: list[ChartRow] = []
    y = 0
    for now, before in zip(current, previous, strict=True):
        label_y = y + LABEL_HEIGHT - 6
        bars = []
        for offset, (line, in_year, is_current) in enumerate(((before, year - 1, False), (now, year, True))):
            width = 0 if line.hidden else max(1, round(line.value * scale))
            bar_y = y + LABEL_HEIGHT + offset * (BAR_HEIGHT + 4)
            bars.append(Bar(in_year, is_current, bar_y, width, line.text, YEAR_COLUMN + width + 6))
        rows.append(ChartRow(now.short, label_y, (bars[0], bars[1])))
        y += LABEL_HEIGHT + 2 * (BAR_HEIGHT + 4) + ROW_GAP
    description = "; ".join(
        f"{now.short}: {year - 1} {before.text}, {year} {now.text}"
        for now, before in zip(current, previous, strict=True)
    )
    return Chart(key, title, description + ".", WIDTH, max(y, 1), tuple(rows), year)


@dataclass(frozen=True)
class TableRow:
    code: str
    label: str  # the handreiking's words
    part: bool
    previous: str
    current: str


@dataclass(frozen=True)
class Panel:
    """A chart with the table of its numbers beside it."""

    chart: Chart
    table: tuple[TableRow, ...]


def _panel(key: str, title: str, current: list[Line], previous: list[Line], year: int) -> Panel:
    table = tuple(
        TableRow(now.code, now.label, now.part, before.text, now.text)
        for now, before in zip(current, previous, strict=True)
    )
    return Panel(bar_chart(key, title, current, previous, year), table)


def is_reason(line: Line) -> bool:
    """A U2 line that counts one reason for the end of the bewind."""
    return line.code == "U2" and line.part


def panels(current: list[Line], previous: list[Line], year: int) -> list[Panel]:
    """The page's charts: instroom, doorstroom, uitstroom, and the reasons the bewinds ended."""
    found = []
    for group in ("Instroom", "Doorstroom", "Uitstroom"):
        picked = [i for i, line in enumerate(current) if line.group == group and not is_reason(line)]
        found.append(_panel(group.lower(), group, [current[i] for i in picked], [previous[i] for i in picked], year))
    reasons = [i for i, line in enumerate(current) if is_reason(line)]
    found.append(
        _panel(
            "redenen",
            "Uitstroom: einde beschermingsbewind naar reden (U2)",
            [current[i] for i in reasons],
            [previous[i] for i in reasons],
            year,
        )
    )
    return found
