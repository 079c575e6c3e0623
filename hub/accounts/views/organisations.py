"""The functioneel beheerder's organisations and convenants. The rights are checked by the services."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts.authz import Action, may
from hub.accounts.organisations import CONVENANT_STATUSES, ConvenantService, OrganisationService
from hub.accounts.roles import OrgKind
from hub.accounts.views.admin_common import notice, redirect_to
from hub.db import transaction
from hub.errors import ValidationError
from hub.web.forms import date_field, form_values, in_form_order, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

CONVENANT_STATUS_LABELS = {"concept": "Concept", "actief": "Actief", "beeindigd": "Beëindigd"}
ORGANISATION_NOTICES = {"toegevoegd": "De organisatie is toegevoegd."}
CONVENANT_NOTICES = {"toegevoegd": "Het convenant is toegevoegd."}
KIND_OPTIONS = [(k.value, k.label) for k in (OrgKind.GEMEENTE, OrgKind.KANTOOR, OrgKind.BEHEER)]
ORGANISATION_FIELDS = ("kind", "name", "contact_person", "contact_email", "contact_phone")
CONVENANT_FIELDS = ("gemeente_id", "kantoor_id", "start_date", "end_date", "status")


# -- organisations -------------------------------------------------------------------------------------------


async def _organisations_page(
    request: Request,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    actor = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        rows = await OrganisationService(db).overview(actor)
    return render(
        request,
        "admin/organisations.html",
        {
            "rows": rows,
            "kind_options": KIND_OPTIONS,
            "errors": errors or {},
            "values": values or {},
            "notice": "" if errors else notice(request, ORGANISATION_NOTICES),
        },
        status_code=status,
    )


@login_required(Action.MANAGE_ORGANISATIONS)
async def organisations_page(request: Request) -> Response:
    return await _organisations_page(request)


@login_required(Action.MANAGE_ORGANISATIONS)
async def organisations_add(request: Request) -> Response:
    actor = user_of(request).user
    form = await form_values(request)
    values = {k: form.get(k, "") for k in ORGANISATION_FIELDS}
    errors: dict[str, str] = {}
    try:
        kind = OrgKind(values["kind"])
    except ValueError:
        kind = OrgKind.GEMEENTE  # a stand-in so the other fields are checked too; nothing is kept
        errors["kind"] = "Kies het soort organisatie."
    try:
        async with transaction(runtime(request).sessions) as db:
            await OrganisationService(db).add(
                actor,
                kind,
                values["name"],
                contact_person=values["contact_person"],
                contact_email=values["contact_email"],
                contact_phone=values["contact_phone"],
            )
            if errors:
                raise ValidationError(errors)
    except ValidationError as exc:
        ordered = in_form_order({**exc.errors, **errors}, ORGANISATION_FIELDS)
        return await _organisations_page(request, ordered, values, status=400)
    return redirect_to(request, "admin.organisations", gelukt="toegevoegd")


# -- convenants ----------------------------------------------------------------------------------------------


async def _convenants_page(
    request: Request,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    actor = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        rows = await ConvenantService(db).overview(actor)
        organisations = [entry.organisation for entry in await OrganisationService(db).overview(actor)]
    return render(
        request,
        "admin/convenants.html",
        {
            "rows": rows,
            "status_labels": CONVENANT_STATUS_LABELS,
            "gemeente_options": [(o.id, o.name) for o in organisations if o.org_kind == OrgKind.GEMEENTE],
            "kantoor_options": [(o.id, o.name) for o in organisations if o.org_kind == OrgKind.KANTOOR],
            "status_options": [(s, CONVENANT_STATUS_LABELS[s]) for s in CONVENANT_STATUSES],
            "errors": errors or {},
            "values": values or {"status": "actief"},
            "notice": "" if errors else notice(request, CONVENANT_NOTICES),
        },
        status_code=status,
    )


@login_required()
async def convenants_page(request: Request) -> Response:
    user = user_of(request).user
    if not may(user, Action.MANAGE_ORGANISATIONS) and may(user, Action.READ_CONVENANTS):
        return redirect_to(request, "accounts.convenants")  # the contractmanager reads their own, read-only
    return await _convenants_page(request)  # the services refuse everyone else


@login_required(Action.MANAGE_ORGANISATIONS)
async def convenants_add(request: Request) -> Response:
    actor = user_of(request).user
    form = await form_values(request)
    values = {k: form.get(k, "") for k in CONVENANT_FIELDS}
    errors: dict[str, str] = {}
    start = date_field(values["start_date"], "start_date", errors, missing="Vul de begindatum in.", label="begindatum")
    end = date_field(values["end_date"], "end_date", errors, label="einddatum")
    try:
        async with transaction(runtime(request).sessions) as db:
            # With a wrong begindatum the other fields are still checked against a stand-in; nothing is kept.
            await ConvenantService(db).add(
                actor,
                values["gemeente_id"],
                values["kantoor_id"],
                start or date.today(),
                end if start else None,
                values["status"],
            )
            if errors:
                raise ValidationError(errors)
    except ValidationError as exc:
        ordered = in_form_order({**exc.errors, **errors}, CONVENANT_FIELDS)
        return await _convenants_page(request, ordered, values, status=400)
    return redirect_to(request, "admin.convenants", gelukt="toegevoegd")


routes = [
    Route("/beheer/organisaties", organisations_page, methods=["GET"], name="admin.organisations"),
    Route("/beheer/organisaties", organisations_add, methods=["POST"], name="admin.organisations_add"),
    Route("/beheer/convenanten", convenants_page, methods=["GET"], name="admin.convenants"),
    Route("/beheer/convenanten", convenants_add, methods=["POST"], name="admin.convenants_add"),
]
