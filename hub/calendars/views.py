"""The closing-days page of a gemeente (its contractmanager keeps them).

A closing day moves the running reaction clocks of the gemeente's threads and the terms of its cases' paths: the page
wires messaging's recompute and the cases' re-computation into the service as its ``on_change`` (the calendars
package itself imports neither).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.calendars.services import CalendarSource, ClosingDayChange, ClosingDayService, calendar_source
from hub.cases.case_terms import closing_day_changed
from hub.db import transaction
from hub.errors import ValidationError
from hub.messaging.due_moments import DueMoments
from hub.web.forms import date_field, form_values, in_form_order, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

CLOSING_NOTICES = {"toegevoegd": "De sluitingsdag is toegevoegd.", "verwijderd": "De sluitingsdag is verwijderd."}
FIELDS = ("day", "description")


def calendars_of(request: Request) -> CalendarSource:
    """The process's calendar source for the hub's decree-day file."""
    return calendar_source(runtime(request).settings.decree_days_file)


def closing_days(request: Request, db: AsyncSession) -> ClosingDayService:
    """The service, with the running clocks of messaging recomputed when a closing day comes or goes."""
    clocks = DueMoments(db, runtime(request).keyring, calendars=calendars_of(request))

    async def on_change(change: ClosingDayChange) -> None:
        await clocks.recompute_due(change)
        await closing_day_changed(db, change.gemeente_id, change.day)

    return ClosingDayService(db, on_change=on_change)


def _redirect(request: Request, notice: str) -> RedirectResponse:
    return RedirectResponse(f"{request.url_for('calendars.closing_days').path}?gelukt={notice}", status_code=303)


async def _page(
    request: Request, errors: dict[str, str] | None = None, values: dict[str, str] | None = None, status: int = 200
) -> Response:
    user = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        days = await closing_days(request, db).days(user)
    notice = "" if errors else CLOSING_NOTICES.get(request.query_params.get("gelukt", ""), "")
    return render(
        request,
        "calendars/closing_days.html",
        {"days": days, "errors": errors or {}, "values": values or {}, "notice": notice},
        status_code=status,
    )


@login_required(Action.MANAGE_CLOSING_DAYS)
async def closing_days_page(request: Request) -> Response:
    return await _page(request)


@login_required(Action.MANAGE_CLOSING_DAYS)
async def closing_days_add(request: Request) -> Response:
    user = user_of(request).user
    form = await form_values(request)
    values = {"day": form.get("day", ""), "description": form.get("description", "")}
    errors: dict[str, str] = {}
    day = date_field(values["day"], "day", errors, missing="Vul de datum van de sluitingsdag in.")
    try:
        async with transaction(runtime(request).sessions) as db:
            svc = closing_days(request, db)
            if errors:
                await svc.own_gemeente(user)  # the permission check comes first
                raise ValidationError(errors)
            await svc.add(user, day, values["description"])
    except ValidationError as exc:
        return await _page(request, in_form_order(exc.errors, FIELDS), values, status=400)
    return _redirect(request, "toegevoegd")


@login_required(Action.MANAGE_CLOSING_DAYS)
async def closing_days_remove(request: Request) -> Response:
    user = user_of(request).user
    try:
        async with transaction(runtime(request).sessions) as db:
            await closing_days(request, db).remove(user, request.path_params["day_id"])
    except ValidationError as exc:
        return await _page(request, exc.errors, status=400)
    return _redirect(request, "verwijderd")


routes = [
    Route("/instellingen/sluitingsdagen", closing_days_page, methods=["GET"], name="calendars.closing_days"),
    Route("/instellingen/sluitingsdagen", closing_days_add, methods=["POST"], name="calendars.closing_days_add"),
    Route(
        "/instellingen/sluitingsdagen/{day_id}/verwijderen",
        closing_days_remove,
        methods=["POST"],
        name="calendars.closing_days_remove",
    ),
]
