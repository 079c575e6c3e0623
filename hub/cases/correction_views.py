"""The correction page of a case: the fields the user's side may correct (hub.cases.corrections), their current
values, an optional reason, and the duplicate rule's link or confirmation for a corrected BSN.

The values are posted, never put in a URL. Another organisation's case does not exist for the user (404).
"""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.cases.checks import RECHTBANKEN
from hub.cases.corrections import DATE_FIELDS, FORM_FIELD, IDENTITY_FIELDS, Value, correctable_fields
from hub.cases.duplicates import CONFIRM_FIELD, DuplicateCase
from hub.cases.models import BewindKind
from hub.cases.services import CaseService
from hub.db import transaction
from hub.errors import Forbidden, ValidationError
from hub.web.forms import date_field, form_values, in_form_order, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

NOTICE_KEY = "gecorrigeerd"  # the case page's notice (hub.cases.views.CASE_NOTICES)


def _form_value(value: str | date) -> str:
    return value.isoformat() if isinstance(value, date) else value


async def _page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    duplicate: DuplicateCase | None = None,
    status: int = 200,
) -> Response:
    user = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        svc = CaseService(db, runtime(request).keyring)
        case = await svc.get_case(user, request.path_params["case_id"])
        fields = correctable_fields(user, case)
        if not fields:
            raise Forbidden(Action.CORRECT_CASE.value)
        current = {k: _form_value(v) for k, v in svc.current_values(case).items()}
    return render(
        request,
        "cases/correct.html",
        {
            "case": case,
            "fields": fields,
            "identity_only": set(fields) <= set(IDENTITY_FIELDS),
            "values": values if values is not None else current,
            "errors": errors or {},
            "duplicate": duplicate,
            "kind_options": [(k.value, k.label) for k in BewindKind],
            "rechtbank_options": [(r, r) for r in RECHTBANKEN],
        },
        status_code=status,
    )


@login_required(Action.CORRECT_CASE)
async def correct_page(request: Request) -> Response:
    return await _page(request)


@login_required(Action.CORRECT_CASE)
async def correct_submit(request: Request) -> Response:
    user = user_of(request).user
    case_id = request.path_params["case_id"]
    form = await form_values(request)
    async with transaction(runtime(request).sessions) as db:
        fields = correctable_fields(user, await CaseService(db, runtime(request).keyring).get_case(user, case_id))
    values = {k: form.get(k, "") for k in (*fields, "reason", CONFIRM_FIELD)}
    errors: dict[str, str] = {}
    changes: dict[str, Value] = {}
    for field in fields:
        if field in DATE_FIELDS:
            day = date_field(values[field], field, errors)
            changes[field] = day
            if day is not None:
                values[field] = day.isoformat()  # what a date input shows again
        else:
            changes[field] = values[field]
    try:
        async with transaction(runtime(request).sessions) as db:
            await CaseService(db, runtime(request).keyring).correct_case(
                user, case_id, changes, reason=values["reason"], confirm_duplicate=values[CONFIRM_FIELD] == "ja"
            )
            if errors:  # cannot happen (an unreadable date is None, which the service refuses); never keep it
                raise ValidationError(errors)
    except ValidationError as exc:
        merged = in_form_order({**exc.errors, **errors}, (*fields, CONFIRM_FIELD, "reason", FORM_FIELD))
        duplicate = exc if isinstance(exc, DuplicateCase) else None
        return await _page(request, values=values, errors=merged, duplicate=duplicate, status=400)
    path = request.app.url_path_for("cases.detail", case_id=case_id)
    return RedirectResponse(f"{path}?gelukt={NOTICE_KEY}", status_code=303)


routes = [
    Route("/dossiers/{case_id}/corrigeren", correct_page, methods=["GET"], name="cases.correct"),
    Route("/dossiers/{case_id}/corrigeren", correct_submit, methods=["POST"], name="cases.correct_submit"),
]
