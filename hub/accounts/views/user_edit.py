"""One user's page for their administrator: edit name, address and roles; the open cases and threads, handed to a
colleague in one step; removing the user (after a confirmation page that lists their open work). The rights are
checked by the services (hub.accounts.user_admin, hub.handover): another organisation's user is 404."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts.addresses import AddressRefused, record_address_refused
from hub.accounts.auth import AuthService
from hub.accounts.authz import Action, may
from hub.accounts.roles import ROLES_FOR_KIND, Role
from hub.accounts.user_admin import UserAdmin
from hub.accounts.users import has_case_role
from hub.accounts.views.account import origin_of
from hub.accounts.views.admin_common import notice, redirect_to
from hub.db import transaction
from hub.errors import Forbidden, ValidationError
from hub.handover.services import HandOverService
from hub.notifications.accountmail import OutboxAccountMailer
from hub.web.forms import form_lists, form_values, in_form_order, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

EDIT_FIELDS = ("name", "email", "roles")
NOTICES = {
    "gewijzigd": "De gegevens zijn opgeslagen. De gebruiker krijgt daarover een e-mail.",
    "overgedragen": "De open dossiers en gesprekken zijn overgedragen.",
}
REMOVED_NOTICE = "verwijderd"


def _roles_from(raw_roles: list[str], errors: dict[str, str]) -> set[Role]:
    roles: set[Role] = set()
    for raw in raw_roles:
        try:
            roles.add(Role(raw))
        except ValueError:
            errors["roles"] = "Kies een geldige rol."
    return roles


async def _user_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
    template: str = "admin/user.html",
) -> Response:
    actor = user_of(request).user
    rt = runtime(request)
    operator = may(actor, Action.MANAGE_ALL_USERS)
    async with transaction(rt.sessions) as db:
        admin = UserAdmin(db)
        target, organisation = await admin.target(actor, request.path_params["user_id"])
        work = successors = None
        if not operator:
            handover = HandOverService(db, rt.keyring)
            work = await handover.open_assignments(actor, target.id)
            successors = await handover.successors(actor, target.id)
    editable = target.removed_at is None and not (operator and has_case_role(target))
    return render(
        request,
        template,
        {
            "target": target,
            "organisation": organisation,
            "editable": editable,
            "removable": editable and not operator,
            "work": work,
            "successor_options": [(u.id, u.name) for u in successors or []],
            "role_options": [(r.value, r.label) for r in Role if r in ROLES_FOR_KIND[organisation.org_kind]],
            "errors": errors or {},
            "values": values
            or {"name": target.name, "email": target.email, "roles": [r.value for r in target.role_set]},
            "notice": "" if errors else notice(request, NOTICES),
        },
        status_code=status,
    )


@login_required(Action.MANAGE_OWN_USERS)
async def user_page(request: Request) -> Response:
    return await _user_page(request)


@login_required(Action.MANAGE_OWN_USERS)
async def user_edit(request: Request) -> Response:
    actor = user_of(request).user
    form = await form_values(request)
    raw_roles = await form_lists(request, "roles")
    values: dict[str, Any] = {"name": form.get("name", ""), "email": form.get("email", ""), "roles": raw_roles}
    errors: dict[str, str] = {}
    roles = _roles_from(raw_roles, errors)
    try:
        async with transaction(runtime(request).sessions) as db:
            await UserAdmin(db, OutboxAccountMailer(db), origin=origin_of(request)).edit(
                actor, request.path_params["user_id"], name=values["name"], email=values["email"], roles=roles
            )
            if errors:  # nothing is kept: the transaction rolls back
                raise ValidationError(errors)
    except ValidationError as exc:
        if isinstance(exc, AddressRefused):  # audited apart: the form's own transaction was rolled back
            async with transaction(runtime(request).sessions) as db:
                await record_address_refused(db, actor, exc, origin_of(request))
        ordered = in_form_order({**exc.errors, **errors}, EDIT_FIELDS)
        return await _user_page(request, errors=ordered, values=values, status=400)
    return redirect_to(request, "admin.user_detail", gelukt="gewijzigd", user_id=request.path_params["user_id"])


@login_required(Action.MANAGE_OWN_USERS)
async def user_hand_over(request: Request) -> Response:
    actor = user_of(request).user
    rt = runtime(request)
    successor_id = (await form_values(request)).get("successor_id", "")
    try:
        async with transaction(rt.sessions) as db:
            await HandOverService(db, rt.keyring, OutboxAccountMailer(db), origin=origin_of(request)).hand_over(
                actor, request.path_params["user_id"], successor_id
            )
    except ValidationError as exc:
        return await _user_page(request, errors=exc.errors, status=400)
    return redirect_to(request, "admin.user_detail", gelukt="overgedragen", user_id=request.path_params["user_id"])


@login_required(Action.MANAGE_OWN_USERS)
async def user_remove_confirm(request: Request) -> Response:
    if may(user_of(request).user, Action.MANAGE_ALL_USERS):
        raise Forbidden("the organisation removes its own users")
    return await _user_page(request, template="admin/user_remove.html")


@login_required(Action.MANAGE_OWN_USERS)
async def user_remove(request: Request) -> Response:
    actor = user_of(request).user
    rt = runtime(request)
    successor_id = (await form_values(request)).get("successor_id", "")
    try:
        async with transaction(rt.sessions) as db:
            await HandOverService(db, rt.keyring, OutboxAccountMailer(db), origin=origin_of(request)).remove_user(
                actor, request.path_params["user_id"], successor_id, AuthService(db, rt.keyring)
            )
    except ValidationError as exc:
        return await _user_page(request, errors=exc.errors, status=400, template="admin/user_remove.html")
    return redirect_to(request, "admin.users", gelukt=REMOVED_NOTICE)


routes = [
    Route("/gebruikers/{user_id}", user_page, methods=["GET"], name="admin.user_detail"),
    Route("/gebruikers/{user_id}/bewerken", user_edit, methods=["POST"], name="admin.user_edit"),
    Route("/gebruikers/{user_id}/overdragen", user_hand_over, methods=["POST"], name="admin.user_hand_over"),
    Route("/gebruikers/{user_id}/verwijderen", user_remove_confirm, methods=["GET"], name="admin.user_remove_confirm"),
    Route("/gebruikers/{user_id}/verwijderen", user_remove, methods=["POST"], name="admin.user_remove"),
]
