"""Searching the organisation's cases by a part of the client's name (hub.cases.name_search).

The name is posted, never put in a URL or a query string, and the results are shown directly (no redirect carrying
it). It is not logged: the access log holds the route template only, and the audit record says only that a search
was done.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.accounts.services import OrganisationService
from hub.cases.name_search import NAME_FIELD, SHOWN
from hub.cases.services import CaseService
from hub.cases.views import partner_label
from hub.db import transaction
from hub.errors import ValidationError
from hub.web.forms import form_values, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

QUERY_MAX = 200


@login_required(Action.VIEW_CASES)
async def name_search(request: Request) -> Response:
    user = user_of(request).user
    form = await form_values(request)
    text = form.get(NAME_FIELD, "")[:QUERY_MAX]
    async with transaction(runtime(request).sessions) as db:
        own = await OrganisationService(db).get(user.organisation_id)
        context = {"value": text, "partner_label": partner_label(own), "shown": SHOWN}
        try:
            result = await CaseService(db, runtime(request).keyring).find_by_name(user, text)
        except ValidationError as exc:
            return render(
                request, "cases/name_search.html", {**context, "errors": exc.errors, "result": None}, status_code=400
            )
    return render(request, "cases/name_search.html", {**context, "errors": {}, "result": result})


routes = [
    Route("/dossiers/zoeken-op-naam", name_search, methods=["POST"], name="cases.search_name"),
]
