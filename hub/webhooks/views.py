"""The webhooks page beside Organisatie → API-sleutels: the organisation's administrator adds endpoints (choosing
the events), pauses, resumes or removes them, and replaces a signing secret. A new secret is shown once, on the
answer to the form that made it (never in a URL or a redirect). Each endpoint shows its last attempt and failures."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.accounts.models import User
from hub.db import transaction
from hub.errors import ValidationError
from hub.web.forms import form_lists, form_values, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render
from hub.webhooks.endpoints import WebhookService
from hub.webhooks.models import EVENT_LABELS

DONE = {
    "gepauzeerd": "De webhook is gepauzeerd: nieuwe gebeurtenissen worden niet meer verstuurd.",
    "hervat": "De webhook is hervat.",
    "verwijderd": "De webhook is verwijderd.",
}


def _service(request: Request, db: AsyncSession) -> WebhookService:
    hub = runtime(request)
    return WebhookService(db, hub.keyring, allow_private=hub.settings.webhook_allow_private)


async def _page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    new_secret: str = "",
    status: int = 200,
) -> Response:
    user: User = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        endpoints = await _service(request, db).list(user)
    return render(
        request,
        "webhooks/endpoints.html",
        {
            "endpoints": endpoints,
            "event_options": [(e.value, label) for e, label in EVENT_LABELS.items()],
            "event_labels": {e.value: label for e, label in EVENT_LABELS.items()},
            "errors": errors or {},
            "values": values or {},
            "new_secret": new_secret,
            "notice": DONE.get(request.query_params.get("gelukt", ""), ""),
        },
        status_code=status,
    )


@login_required(Action.MANAGE_ORGANISATION_TOKENS)
async def page(request: Request) -> Response:
    return await _page(request)


@login_required(Action.MANAGE_ORGANISATION_TOKENS)
async def create(request: Request) -> Response:
    user: User = user_of(request).user
    form = await form_values(request)
    values: dict[str, Any] = {"url": form.get("url", "")[:600], "events": await form_lists(request, "events")}
    try:
        async with transaction(runtime(request).sessions) as db:
            _, secret = await _service(request, db).add(user, url=values["url"], event_types=values["events"])
    except ValidationError as exc:
        return await _page(request, errors=exc.errors, values=values, status=400)
    return await _page(request, new_secret=secret)


@login_required(Action.MANAGE_ORGANISATION_TOKENS)
async def rotate(request: Request) -> Response:
    user: User = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        secret = await _service(request, db).rotate(user, request.path_params["endpoint_id"])  # another's: 404
    return await _page(request, new_secret=secret)


async def _change(request: Request, done: str) -> Response:
    user: User = user_of(request).user
    endpoint_id = request.path_params["endpoint_id"]
    async with transaction(runtime(request).sessions) as db:
        service = _service(request, db)
        if done == "verwijderd":
            await service.remove(user, endpoint_id)  # another organisation's endpoint: NotFound (404)
        else:
            await service.set_active(user, endpoint_id, active=done == "hervat")
    return RedirectResponse(request.app.url_path_for("admin.webhooks") + f"?gelukt={done}", status_code=303)


@login_required(Action.MANAGE_ORGANISATION_TOKENS)
async def pause(request: Request) -> Response:
    return await _change(request, "gepauzeerd")


@login_required(Action.MANAGE_ORGANISATION_TOKENS)
async def resume(request: Request) -> Response:
    return await _change(request, "hervat")


@login_required(Action.MANAGE_ORGANISATION_TOKENS)
async def remove(request: Request) -> Response:
    return await _change(request, "verwijderd")


routes = [
    Route("/organisatie/webhooks", page, methods=["GET"], name="admin.webhooks"),
    Route("/organisatie/webhooks", create, methods=["POST"], name="admin.webhooks_create"),
    Route("/organisatie/webhooks/{endpoint_id}/pauzeren", pause, methods=["POST"], name="admin.webhook_pause"),
    Route("/organisatie/webhooks/{endpoint_id}/hervatten", resume, methods=["POST"], name="admin.webhook_resume"),
    Route("/organisatie/webhooks/{endpoint_id}/verwijderen", remove, methods=["POST"], name="admin.webhook_remove"),
    Route(
        "/organisatie/webhooks/{endpoint_id}/geheim-vernieuwen", rotate, methods=["POST"], name="admin.webhook_rotate"
    ),
]
