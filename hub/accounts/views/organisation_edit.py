"""The functioneel beheerder's page of one organisation (change its name and contacts, end it) and of one convenant
(change its dates and status, end it). The rights are checked by hub.accounts.organisation_admin."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.accounts.organisation_admin import OrganisationAdmin
from hub.accounts.organisations import CONVENANT_STATUSES
from hub.accounts.views.admin_common import notice, redirect_to
from hub.accounts.views.organisations import CONVENANT_STATUS_LABELS
from hub.db import transaction
from hub.errors import ValidationError
from hub.web.forms import date_field, form_values, in_form_order, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

ORG_FIELDS = ("name", "contact_person", "contact_email", "contact_phone")
CONVENANT_FIELDS = ("start_date", "end_date", "status")
NOTICES = {
    "gewijzigd": "De wijzigingen zijn opgeslagen.",
    "beeindigd": "Beëindigd. Na de einddatum start er niets nieuws meer; alles wat er is, blijft bewaard.",
}
END_HINT = "Bijvoorbeeld 31-12-2026 (dag-maand-jaar). Tot en met deze dag kan er nog een dossier of vraag starten."


async def _organisation_page(
    request: Request, errors: dict[str, str] | None = None, values: dict[str, str] | None = None, status: int = 200
) -> Response:
    actor = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        admin = OrganisationAdmin(db)
        org = await admin.organisation(actor, request.path_params["org_id"])
        convenants = await admin.convenants_of(org)
        names = await admin.party_names(convenants)
    return render(
        request,
        "admin/organisation.html",
        {
            "org": org,
            "convenants": [(c, names.get(c.gemeente_id, ""), names.get(c.kantoor_id, "")) for c in convenants],
            "status_labels": CONVENANT_STATUS_LABELS,
            "errors": errors or {},
            "values": values or {k: getattr(org, k) for k in ORG_FIELDS},
            "notice": "" if errors else notice(request, NOTICES),
            "end_hint": END_HINT,
        },
        status_code=status,
    )


@login_required(Action.MANAGE_ORGANISATIONS)
async def organisation_page(request: Request) -> Response:
    return await _organisation_page(request)


@login_required(Action.MANAGE_ORGANISATIONS)
async def organisation_update(request: Request) -> Response:
    form = await form_values(request)
    values = {k: form.get(k, "") for k in ORG_FIELDS}
    org_id = request.path_params["org_id"]
    try:
        async with transaction(runtime(request).sessions) as db:
            await OrganisationAdmin(db).update_organisation(user_of(request).user, org_id, **values)
    except ValidationError as exc:
        return await _organisation_page(request, in_form_order(exc.errors, ORG_FIELDS), values, status=400)
    return redirect_to(request, "admin.organisation", gelukt="gewijzigd", org_id=org_id)


@login_required(Action.MANAGE_ORGANISATIONS)
async def organisation_end(request: Request) -> Response:
    errors: dict[str, str] = {}
    day = date_field(
        (await form_values(request)).get("end_on", ""), "end_on", errors, missing="Vul de einddatum in.",
        label="einddatum",
    )  # fmt: skip
    org_id = request.path_params["org_id"]
    if day is None:
        return await _organisation_page(request, errors, status=400)
    async with transaction(runtime(request).sessions) as db:
        await OrganisationAdmin(db).end_organisation(user_of(request).user, org_id, day)
    return redirect_to(request, "admin.organisation", gelukt="beeindigd", org_id=org_id)


async def _convenant_page(
    request: Request, errors: dict[str, str] | None = None, values: dict[str, str] | None = None, status: int = 200
) -> Response:
    actor = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        admin = OrganisationAdmin(db)
        convenant = await admin.convenant(actor, request.path_params["convenant_id"])
        names = await admin.party_names([convenant])
    return render(
        request,
        "admin/convenant.html",
        {
            "convenant": convenant,
            "gemeente_name": names.get(convenant.gemeente_id, ""),
            "kantoor_name": names.get(convenant.kantoor_id, ""),
            "status_options": [(s, CONVENANT_STATUS_LABELS[s]) for s in CONVENANT_STATUSES],
            "status_labels": CONVENANT_STATUS_LABELS,
            "errors": errors or {},
            "values": values
            or {
                "start_date": convenant.start_date.isoformat(),
                "end_date": convenant.end_date.isoformat() if convenant.end_date else "",
                "status": convenant.status,
            },
            "notice": "" if errors else notice(request, NOTICES),
            "end_hint": END_HINT,
        },
        status_code=status,
    )


@login_required(Action.MANAGE_ORGANISATIONS)
async def convenant_page(request: Request) -> Response:
    return await _convenant_page(request)


@login_required(Action.MANAGE_ORGANISATIONS)
async def convenant_update(request: Request) -> Response:
    form = await form_values(request)
    values = {k: form.get(k, "") for k in CONVENANT_FIELDS}
    errors: dict[str, str] = {}
    start = date_field(values["start_date"], "start_date", errors, missing="Vul de begindatum in.", label="begindatum")
    end = date_field(values["end_date"], "end_date", errors, label="einddatum")
    convenant_id = request.path_params["convenant_id"]
    try:
        async with transaction(runtime(request).sessions) as db:
            # With a wrong date the other fields are still checked against a stand-in; nothing is kept.
            await OrganisationAdmin(db).update_convenant(
                user_of(request).user, convenant_id, start=start or date.min, end=end, status=values["status"]
            )
            if errors:
                raise ValidationError(errors)
    except ValidationError as exc:
        ordered = in_form_order({**exc.errors, **errors}, CONVENANT_FIELDS)
        return await _convenant_page(request, ordered, values, status=400)
    return redirect_to(request, "admin.convenant", gelukt="gewijzigd", convenant_id=convenant_id)


@login_required(Action.MANAGE_ORGANISATIONS)
async def convenant_end(request: Request) -> Response:
    errors: dict[str, str] = {}
    day = date_field(
        (await form_values(request)).get("end_on", ""), "end_on", errors, missing="Vul de einddatum in.",
        label="einddatum",
    )  # fmt: skip
    convenant_id = request.path_params["convenant_id"]
    try:
        if day is None:
            raise ValidationError(errors)
        async with transaction(runtime(request).sessions) as db:
            await OrganisationAdmin(db).end_convenant(user_of(request).user, convenant_id, day)
    except ValidationError as exc:
        return await _convenant_page(request, exc.errors, status=400)
    return redirect_to(request, "admin.convenant", gelukt="beeindigd", convenant_id=convenant_id)


routes = [
    Route("/beheer/organisaties/{org_id}", organisation_page, methods=["GET"], name="admin.organisation"),
    Route("/beheer/organisaties/{org_id}", organisation_update, methods=["POST"], name="admin.organisation_update"),
    Route(
        "/beheer/organisaties/{org_id}/beeindigen", organisation_end, methods=["POST"], name="admin.organisation_end"
    ),
    Route("/beheer/convenanten/{convenant_id}", convenant_page, methods=["GET"], name="admin.convenant"),
    Route("/beheer/convenanten/{convenant_id}", convenant_update, methods=["POST"], name="admin.convenant_update"),
    Route("/beheer/convenanten/{convenant_id}/beeindigen", convenant_end, methods=["POST"], name="admin.convenant_end"),
]
