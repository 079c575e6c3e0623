"""The functioneel beheerder's user search (hub.accounts.user_directory). The typed name or address is posted, never
put in a URL; the organisation and role filters and the page number are query parameters (ids only), and the
paging buttons of a search with text post it again."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.accounts.organisations import OrganisationService
from hub.accounts.roles import Role
from hub.accounts.user_directory import QUERY_MAX, UserDirectory
from hub.db import transaction
from hub.web.forms import form_values, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render


def _page_number(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 1


async def _search(request: Request, params: dict[str, str]) -> Response:
    actor = user_of(request).user
    role = params.get("rol", "")
    chosen_role = Role(role) if role in {r.value for r in Role} else None
    async with transaction(runtime(request).sessions) as db:
        result = await UserDirectory(db).search(
            actor,
            text=params.get("zoek", ""),
            organisation_id=params.get("organisatie", "")[:32],
            role=chosen_role,
            page=_page_number(params.get("pagina", "")),
        )
        organisations = await OrganisationService(db).all()
    return render(
        request,
        "admin/user_search.html",
        {
            "result": result,
            "text": params.get("zoek", "")[:QUERY_MAX],
            "organisation_options": [(o.id, o.name) for o in sorted(organisations, key=lambda o: o.name.lower())],
            "role_options": [(r.value, r.label) for r in Role],
            "organisation_id": params.get("organisatie", ""),
            "role": chosen_role.value if chosen_role else "",
        },
    )


@login_required(Action.MANAGE_ALL_USERS)
async def search_page(request: Request) -> Response:
    return await _search(request, {k: request.query_params.get(k, "") for k in ("organisatie", "rol", "pagina")})


@login_required(Action.MANAGE_ALL_USERS)
async def search_submit(request: Request) -> Response:
    return await _search(request, await form_values(request))


routes = [
    Route("/beheer/gebruikers", search_page, methods=["GET"], name="admin.user_search"),
    Route("/beheer/gebruikers", search_submit, methods=["POST"], name="admin.user_search_submit"),
]
