"""API tokens in the pages: one's own on *Mijn account* (acting as oneself), and the organisation's for system
integrations (made by its administrator, acting with a chosen role). A new token is shown once, on the answer to
the form that made it (never in a URL or a redirect); afterwards only its name, scopes, expiry and last use are
listed. Revoking takes effect on the next call."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.api_tokens import LIFETIMES, SCOPES, ApiTokenService, org_token_roles
from hub.accounts.authz import CASE_WORKERS, Action
from hub.accounts.models import Organisation, User
from hub.db import transaction
from hub.errors import ValidationError
from hub.web.forms import form_lists, form_values, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

OWN, ORGANISATION = "own", "organisation"
DONE = {"ingetrokken": "De API-sleutel is ingetrokken. Hij werkt niet meer."}


async def _page(
    request: Request,
    mode: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    new_token: str = "",
    status: int = 200,
) -> Response:
    user: User = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        service = ApiTokenService(db)
        org = await db.get(Organisation, user.organisation_id)
        assert org is not None  # foreign key
        tokens = await service.user_tokens(user) if mode == OWN else await service.organisation_tokens(user)
    roles = [(r.value, r.label) for r in org_token_roles(org)] if mode == ORGANISATION else []
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "mode": mode,
            "tokens": tokens,
            "may_create": mode == ORGANISATION or user.has_role(*CASE_WORKERS),
            "scope_options": list(SCOPES.items()),
            "scope_labels": SCOPES,
            "lifetime_options": [(str(d), f"{d} dagen") for d in LIFETIMES],
            "role_options": roles,
            "role_labels": dict(roles),
            "errors": errors or {},
            "values": values or {"days": str(LIFETIMES[0])},
            "new_token": new_token,
            "notice": DONE.get(request.query_params.get("gelukt", ""), ""),
        },
        status_code=status,
    )


async def _create(request: Request, mode: str) -> Response:
    user: User = user_of(request).user
    form = await form_values(request)
    scopes = await form_lists(request, "scopes")
    values: dict[str, Any] = {k: form.get(k, "")[:200] for k in ("name", "days", "role")}
    values["scopes"] = scopes
    try:
        days = int(form.get("days", ""))
    except ValueError:
        days = 0
    try:
        async with transaction(runtime(request).sessions) as db:
            service = ApiTokenService(db)
            if mode == OWN:
                token, _ = await service.create_for_user(user, name=values["name"], scopes=scopes, days=days)
            else:
                token, _ = await service.create_for_organisation(
                    user, name=values["name"], role=values["role"], scopes=scopes, days=days
                )
    except ValidationError as exc:
        return await _page(request, mode, errors=exc.errors, values=values, status=400)
    return await _page(request, mode, new_token=token)


async def _revoke(request: Request, mode: str, route: str) -> Response:
    user: User = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        await ApiTokenService(db).revoke(user, request.path_params["token_id"])  # another's: NotFound (404)
    return RedirectResponse(request.app.url_path_for(route) + "?gelukt=ingetrokken", status_code=303)


@login_required()
async def own_page(request: Request) -> Response:
    return await _page(request, OWN)


@login_required()
async def own_create(request: Request) -> Response:
    return await _create(request, OWN)


@login_required()
async def own_revoke(request: Request) -> Response:
    return await _revoke(request, OWN, "accounts.api_tokens")


@login_required(Action.MANAGE_ORGANISATION_TOKENS)
async def organisation_page(request: Request) -> Response:
    return await _page(request, ORGANISATION)


@login_required(Action.MANAGE_ORGANISATION_TOKENS)
async def organisation_create(request: Request) -> Response:
    return await _create(request, ORGANISATION)


@login_required(Action.MANAGE_ORGANISATION_TOKENS)
async def organisation_revoke(request: Request) -> Response:
    return await _revoke(request, ORGANISATION, "admin.api_tokens")


routes = [
    Route("/account/api-sleutels", own_page, methods=["GET"], name="accounts.api_tokens"),
    Route("/account/api-sleutels", own_create, methods=["POST"], name="accounts.api_tokens_create"),
    Route("/account/api-sleutels/{token_id}/intrekken", own_revoke, methods=["POST"], name="accounts.api_token_revoke"),
    Route("/organisatie/api-sleutels", organisation_page, methods=["GET"], name="admin.api_tokens"),
    Route("/organisatie/api-sleutels", organisation_create, methods=["POST"], name="admin.api_tokens_create"),
    Route(
        "/organisatie/api-sleutels/{token_id}/intrekken",
        organisation_revoke,
        methods=["POST"],
        name="admin.api_token_revoke",
    ),
]
