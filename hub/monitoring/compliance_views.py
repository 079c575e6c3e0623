"""The term-compliance pages: the figures per partner for a period, and the late items of one partner."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.calendars.services import calendar_source
from hub.cases.milestones import MilestoneKind
from hub.db import transaction, utcnow
from hub.messaging.models import ClockKind
from hub.monitoring.compliance import Period
from hub.monitoring.compliance_service import ComplianceService
from hub.terms import AMSTERDAM
from hub.web.forms import date_field, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

CLOCK_KINDS = {k.value: k.label for k in ClockKind}
MILESTONE_KINDS = {k.value: k.label for k in MilestoneKind}


def today() -> date:
    return utcnow().astimezone(AMSTERDAM).date()


def period_from(request: Request) -> tuple[Period, dict[str, str], dict[str, str]]:
    """The period of the query (``van``, ``tot``; by default this year up to today), its values and its errors. With
    an error the default period is shown beside the message."""
    now = today()
    default = Period(date(now.year, 1, 1), now)
    values = {
        "van": request.query_params.get("van", "") or default.start.isoformat(),
        "tot": request.query_params.get("tot", "") or default.end.isoformat(),
    }
    errors: dict[str, str] = {}
    start = date_field(values["van"], "van", errors, label="begindatum")
    end = date_field(values["tot"], "tot", errors, label="einddatum")
    if start is not None and end is not None and end < start:
        errors["tot"] = "De einddatum ligt voor de begindatum."
    if errors or start is None or end is None:
        return default, values, errors
    return Period(start, end), values, errors


def kind_label(kind: str) -> str:
    return CLOCK_KINDS.get(kind) or MILESTONE_KINDS.get(kind) or kind


def service(request: Request, db: AsyncSession) -> ComplianceService:
    return ComplianceService(db, calendar_source(runtime(request).settings.decree_days_file))


@login_required(Action.VIEW_TERM_COMPLIANCE)
async def compliance_page(request: Request) -> Response:
    period, values, errors = period_from(request)
    async with transaction(runtime(request).sessions) as db:
        report = await service(request, db).report(user_of(request).user, period, today())
    return render(
        request,
        "monitoring/compliance.html",
        {"report": report, "values": values, "errors": errors, "query": f"van={period.start}&tot={period.end}"},
        status_code=400 if errors else 200,
    )


@login_required(Action.VIEW_TERM_COMPLIANCE)
async def late_page(request: Request) -> Response:
    period, values, errors = period_from(request)
    async with transaction(runtime(request).sessions) as db:
        report = await service(request, db).late(
            user_of(request).user, request.path_params["partner_id"], period, today()
        )
    return render(
        request,
        "monitoring/compliance_late.html",
        {"report": report, "values": values, "errors": errors, "kind_label": kind_label},
        status_code=400 if errors else 200,
    )


routes = [
    Route("/monitoring/termijnen", compliance_page, methods=["GET"], name="monitoring.compliance"),
    Route("/monitoring/termijnen/{partner_id}", late_page, methods=["GET"], name="monitoring.compliance_late"),
]
