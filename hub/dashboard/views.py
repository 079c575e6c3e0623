"""The start page: a greeting, what waits for the user (case workers), and a card for each thing this user's roles
let them do."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts.authz import Action, may
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.calendars.services import calendar_source
from hub.dashboard.worklist import work_for
from hub.db import transaction, utcnow
from hub.web.forms import runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render


@login_required()
async def start_page(request: Request) -> Response:
    user = user_of(request).user
    now = utcnow()
    context: dict[str, Any] = {}
    async with transaction(runtime(request).sessions) as db:
        orgs = OrganisationService(db)
        organisation = await orgs.get(user.organisation_id)
        if may(user, Action.MANAGE_ORGANISATIONS):
            context["counts"] = {
                "organisations": await orgs.count(),
                "convenants": await ConvenantService(db).count(),
                "users": await UserService(db).count(),
            }
        if may(user, Action.MANAGE_OWN_USERS) and not may(user, Action.MANAGE_ALL_USERS):
            context["own_users"] = len(await UserService(db).in_organisation(organisation.id))
        if may(user, Action.VIEW_ROUTEKAART):
            _, entries = await orgs.routekaart_for(user, now)
            context["routekaart"] = {"total": len(entries), "overdue": sum(1 for e in entries if e.overdue)}
        if may(user, Action.CONFIRM_OWN_CONTACTS):
            context["own_contacts"] = (await orgs.own_contacts(user, now)).status
        if may(user, Action.VIEW_CASES):
            calendars = calendar_source(runtime(request).settings.decree_days_file)
            context["work"] = await work_for(db, user, calendars, now)
    context["organisation"] = organisation
    context["audit_log"] = may(user, Action.VIEW_AUDIT_LOG)
    context["roles"] = sorted(user.role_set)
    return render(request, "dashboard/start.html", context)


routes = [Route("/", start_page, methods=["GET"], name="dashboard.start")]
