"""The gemeente's lists over its cases' paths: the consulent bijzondere bijstand's applications (§2.2) and the
contractmanager's monthly check of the aanmelding schuldhulpverlening (§2.3). Read-only pages; each lists the
reference and the kantoor, never a client name, and links to the case."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.calendars.services import calendar_source
from hub.cases.bijstand_list import applications_for
from hub.cases.records import local_today
from hub.cases.schuldhulp_check import schuldhulp_check
from hub.db import transaction
from hub.web.forms import runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render


@login_required(Action.VIEW_BIJSTAND_APPLICATIONS)
async def bijstand_page(request: Request) -> Response:
    user = user_of(request).user
    calendars = calendar_source(runtime(request).settings.decree_days_file)
    async with transaction(runtime(request).sessions) as db:
        found = await applications_for(db, user, calendars)
    return render(request, "cases/bijstand.html", {"applications": found})


@login_required(Action.VIEW_SCHULDHULP_CHECK)
async def schuldhulp_check_page(request: Request) -> Response:
    user = user_of(request).user
    warn_months = runtime(request).settings.schuldhulp_warn_months
    async with transaction(runtime(request).sessions) as db:
        check = await schuldhulp_check(db, user, warn_months=warn_months, today=local_today())
    return render(request, "cases/schuldhulp_check.html", {"check": check, "warn_months": warn_months})


routes = [
    Route("/bijzondere-bijstand", bijstand_page, methods=["GET"], name="cases.bijstand"),
    Route("/aanmelding-schuldhulp", schuldhulp_check_page, methods=["GET"], name="cases.schuldhulp_check"),
]
