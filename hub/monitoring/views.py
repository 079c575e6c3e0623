"""The contractmanager's monitoring page and its exports: /monitoring?jaar=2026, /monitoring.csv, /monitoring.ods.

Only the contractmanager of a gemeente reads them, and only their own gemeente's figures (hub.monitoring.queries);
every export is audited (``monitoring.export``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.cases.records import local_today
from hub.db import transaction
from hub.monitoring.charts import is_reason, panels
from hub.monitoring.exports import as_csv, as_ods
from hub.monitoring.figures import Figures, lines
from hub.monitoring.queries import FIRST_YEAR, Report, record_export, report
from hub.monitoring.suppression import Protected, protect_report
from hub.orgdocs.quality import needing_attention
from hub.orgdocs.services import OrgDocumentService
from hub.web.forms import runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"


def chosen_year(request: Request) -> tuple[int, str]:
    """The year of ``?jaar=`` (this year when absent), and the Dutch message when it is not a year we can show."""
    this_year = local_today().year
    raw = request.query_params.get("jaar", "").strip()
    if not raw:
        return this_year, ""
    if raw.isascii() and raw.isdigit() and FIRST_YEAR <= int(raw) <= this_year:  # not "²⁰²⁶": int() refuses it
        return int(raw), ""
    return this_year, f"Kies een jaar van {FIRST_YEAR} tot en met {this_year}. U ziet nu {this_year}."


async def _report(request: Request, year: int) -> Report:
    settings = runtime(request).settings
    async with transaction(runtime(request).sessions) as db:
        return await report(db, user_of(request).user, year, local_today(), settings.monitoring_term_months)


def per_kantoor(found: Report, table: Protected) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The chosen year's figures per kantoor: the column heads (short names) and a row per kantoor, shown."""
    year, term = found.year, found.term_months
    heads = [line.short for line in lines(Figures(), year, term) if not is_reason(line)]
    rows = []
    for kantoor_id, name in found.kantoren:
        rows.append((name, [line.text for line in table.kantoor(kantoor_id, year) if not is_reason(line)]))
    return heads, rows


@login_required(Action.VIEW_MONITORING)
async def monitoring_page(request: Request) -> Response:
    year, error = chosen_year(request)
    found = await _report(request, year)
    table = protect_report(found)
    current, previous = table.total(year), table.total(year - 1)
    heads, kantoor_rows = per_kantoor(found, table)
    this_year = local_today().year
    rt = runtime(request)
    async with transaction(rt.sessions) as db:
        attention = await needing_attention(
            OrgDocumentService(db, rt.keyring), user_of(request).user, decharge_months=rt.settings.decharge_months
        )
    return render(
        request,
        "monitoring/page.html",
        {
            "report": found,
            "year": year,
            "error": error,
            "running": year == this_year,
            "window_last": found.current.window.last,
            "years": list(range(this_year, max(FIRST_YEAR, this_year - 10) - 1, -1)),
            "panels": panels(current, previous, year),
            "kantoor_heads": heads,
            "kantoor_rows": kantoor_rows,
            "quality_attention": attention,
        },
        status_code=400 if error else 200,
    )


async def _export(request: Request, fmt: str) -> Response:
    year, error = chosen_year(request)
    if error:
        return PlainTextResponse(error, status_code=400)
    settings = runtime(request).settings
    user = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        found = await report(db, user, year, local_today(), settings.monitoring_term_months)
        await record_export(db, user, found.gemeente, year, fmt)
    body, media = (as_csv(found), "text/csv; charset=utf-8") if fmt == "csv" else (as_ods(found), ODS_TYPE)
    headers = {"Content-Disposition": f'attachment; filename="monitoring-{year}.{fmt}"', "Cache-Control": "no-store"}
    return Response(body, media_type=media, headers=headers)


@login_required(Action.VIEW_MONITORING)
async def monitoring_csv(request: Request) -> Response:
    return await _export(request, "csv")


@login_required(Action.VIEW_MONITORING)
async def monitoring_ods(request: Request) -> Response:
    return await _export(request, "ods")


routes = [
    Route("/monitoring", monitoring_page, methods=["GET"], name="monitoring.page"),
    Route("/monitoring.csv", monitoring_csv, methods=["GET"], name="monitoring.csv"),
    Route("/monitoring.ods", monitoring_ods, methods=["GET"], name="monitoring.ods"),
]
