"""The contractmanager's read-only view of their gemeente's convenants: the parties and their contact details, the
dates and status, and the terms of the convenant that apply (hub.terms.catalogue). The functioneel beheerder keeps
them (organisations.py); nobody else reads another organisation's convenant."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.accounts.organisations import ConvenantService
from hub.accounts.views.organisations import CONVENANT_STATUS_LABELS
from hub.db import transaction
from hub.terms.catalogue import CONVENANT_TERMS
from hub.web.forms import runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render


@login_required(Action.READ_CONVENANTS)
async def own_convenants_page(request: Request) -> Response:
    async with transaction(runtime(request).sessions) as db:
        rows = await ConvenantService(db).own_convenants(user_of(request).user)
    return render(
        request,
        "admin/own_convenants.html",
        {"rows": rows, "status_labels": CONVENANT_STATUS_LABELS, "terms": CONVENANT_TERMS},
    )


routes = [Route("/convenanten", own_convenants_page, methods=["GET"], name="accounts.convenants")]
