"""The monitoring report as a spreadsheet: CSV and OpenDocument (odfpy). Aggregated figures only: the gemeente's and
each kantoor's counts per figure, for the chosen year and the year before, small counts as "< 5" and the counts that
would give one away as "x" (hub.monitoring.suppression). No case, no name, no BSN, no reference, no message text is
read to make them.
"""

from __future__ import annotations

import csv
import io

from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

from hub.monitoring.figures import Line
from hub.monitoring.queries import Report
from hub.monitoring.suppression import protect_report

Cell = str | int


def export_rows(report: Report) -> list[list[Cell]]:
    """The header and one row per figure, for the whole gemeente and then per kantoor. A count is an int, or the text
    "< 5" or "x" when it is hidden."""
    year = report.year
    header: list[Cell] = ["Onderdeel", "Code", "Indicator", str(year - 1), str(year)]
    table = protect_report(report)
    parts = [(f"{report.gemeente.name} (alle kantoren)", table.total(year), table.total(year - 1))]
    for kantoor_id, name in report.kantoren:
        parts.append((name, table.kantoor(kantoor_id, year), table.kantoor(kantoor_id, year - 1)))
    rows = [header]
    for part, now, before in parts:
        for line, earlier in zip(now, before, strict=True):
            rows.append([part, line.code, line.label, _count(earlier), _count(line)])
    return rows


def _count(line: Line) -> Cell:
    return line.text if line.hidden else line.value


def _safe_text(value: str) -> str:
    """A text cell that a spreadsheet will not read as a formula (an organisation's name is typed in by people). The
    ODS export applies it too: its string cells are no formula, but a value copied out of one may become one."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def as_csv(report: Report) -> bytes:
    """Semicolon-separated UTF-8 with a byte order mark: what Dutch spreadsheet programs open without asking."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in export_rows(report):
        writer.writerow([_safe_text(c) if isinstance(c, str) else c for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_ods(report: Report) -> bytes:
    doc = OpenDocumentSpreadsheet()
    table = Table(name=f"Monitoring {report.year}")
    for row in export_rows(report):
        table_row = TableRow()
        for value in row:
            if isinstance(value, int):
                cell = TableCell(valuetype="float", value=value)
                cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=_safe_text(value)))
            table_row.addElement(cell)
        table.addElement(table_row)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()
