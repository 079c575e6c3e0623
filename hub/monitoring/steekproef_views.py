"""The contractmanager's steekproef pages: draw one, read it back (seed, population, result, verification), and
record the finding on each drawn case."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.db import transaction
from hub.errors import ValidationError
from hub.monitoring.compliance import Period
from hub.monitoring.compliance_views import today
from hub.monitoring.steekproef import Stratum, digest, format_rate, parse_rate
from hub.monitoring.steekproef_service import OUTCOMES, SteekproefService
from hub.web.forms import date_field, form_values, in_form_order, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

FIELDS = ("van", "tot", "rate_deelnemer", "rate_buiten")
NOTICES = {"getrokken": "De steekproef is getrokken.", "vastgelegd": "De bevinding is vastgelegd."}
RATE_MESSAGE = "Vul een percentage tussen 0 en 100 in, met hoogstens twee decimalen, bijvoorbeeld 10 of 2,5."


def service(request: Request, db: AsyncSession) -> SteekproefService:
    return SteekproefService(db, runtime(request).keyring)


def _notice(request: Request) -> str:
    return NOTICES.get(request.query_params.get("gelukt", ""), "")


async def _list_page(
    request: Request, errors: dict[str, str] | None = None, values: dict[str, str] | None = None, status: int = 200
) -> Response:
    now = today()
    defaults = {"van": date(now.year, 1, 1).isoformat(), "tot": now.isoformat(), "rate_deelnemer": "5",
                "rate_buiten": "20"}  # fmt: skip
    async with transaction(runtime(request).sessions) as db:
        draws = await service(request, db).draws(user_of(request).user)
    return render(
        request,
        "monitoring/steekproeven.html",
        {"draws": draws, "errors": errors or {}, "values": values or defaults, "format_rate": format_rate},
        status_code=status,
    )


@login_required(Action.DRAW_STEEKPROEF)
async def list_page(request: Request) -> Response:
    return await _list_page(request)


@login_required(Action.DRAW_STEEKPROEF)
async def draw_submit(request: Request) -> Response:
    form = await form_values(request)
    values = {k: form.get(k, "") for k in FIELDS}
    errors: dict[str, str] = {}
    start = date_field(values["van"], "van", errors, missing="Vul de begindatum in.", label="begindatum")
    end = date_field(values["tot"], "tot", errors, missing="Vul de einddatum in.", label="einddatum")
    if start is not None and end is not None and end < start:
        errors["tot"] = "De einddatum ligt voor de begindatum."
    rates = {name: parse_rate(values[name]) for name in ("rate_deelnemer", "rate_buiten")}
    for name, rate in rates.items():
        if rate is None:
            errors[name] = RATE_MESSAGE
    deelnemer, buiten = rates["rate_deelnemer"], rates["rate_buiten"]
    if errors or start is None or end is None or deelnemer is None or buiten is None:
        return await _list_page(request, in_form_order(errors, FIELDS), values, status=400)
    try:
        async with transaction(runtime(request).sessions) as db:
            row = await service(request, db).draw(user_of(request).user, Period(start, end), deelnemer, buiten)
    except ValidationError as exc:
        return await _list_page(request, in_form_order(exc.errors, FIELDS), values, status=400)
    return _to_draw(request, row.id, "getrokken")


def _to_draw(request: Request, steekproef_id: str, notice: str) -> RedirectResponse:
    path = request.url_for("monitoring.steekproef", steekproef_id=steekproef_id).path
    return RedirectResponse(f"{path}?gelukt={notice}", status_code=303)


async def _draw_page(
    request: Request, errors: dict[str, str] | None = None, failed_case: str = "", status: int = 200
) -> Response:
    async with transaction(runtime(request).sessions) as db:
        view = await service(request, db).view(user_of(request).user, request.path_params["steekproef_id"])
    return render(
        request,
        "monitoring/steekproef.html",
        {
            "view": view,
            "strata": list(Stratum),
            "outcomes": OUTCOMES,
            "format_rate": format_rate,
            "population_digest": digest(view.draw.population),
            "errors": errors or {},
            "failed_case": failed_case,
            "notice": "" if errors else _notice(request),
        },
        status_code=status,
    )


@login_required(Action.DRAW_STEEKPROEF)
async def draw_page(request: Request) -> Response:
    return await _draw_page(request)


@login_required(Action.DRAW_STEEKPROEF)
async def assess_submit(request: Request) -> Response:
    form = await form_values(request)
    steekproef_id, case_id = request.path_params["steekproef_id"], request.path_params["case_id"]
    try:
        async with transaction(runtime(request).sessions) as db:
            await service(request, db).assess(
                user_of(request).user, steekproef_id, case_id, form.get("outcome", ""), form.get("note", "")
            )
    except ValidationError as exc:
        return await _draw_page(request, exc.errors, case_id, status=400)
    return _to_draw(request, steekproef_id, "vastgelegd")


routes = [
    Route("/monitoring/steekproeven", list_page, methods=["GET"], name="monitoring.steekproeven"),
    Route("/monitoring/steekproeven", draw_submit, methods=["POST"], name="monitoring.steekproef_draw"),
    Route("/monitoring/steekproeven/{steekproef_id}", draw_page, methods=["GET"], name="monitoring.steekproef"),
    Route(
        "/monitoring/steekproeven/{steekproef_id}/dossiers/{case_id}",
        assess_submit,
        methods=["POST"],
        name="monitoring.steekproef_assess",
    ),
]
