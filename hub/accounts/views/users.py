"""User management: an organisation's own administrator (kantoorbeheerder, gemeentebeheerder) manages the users of
their own organisation only (any other user does not exist for them: 404); the functioneel beheerder adds only an
organisation's first administrator (who gets an enrolment link by mail) and manages no case-role account. The
rights are checked by UserService."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts.addresses import AddressRefused, record_address_refused
from hub.accounts.auth import AuthService
from hub.accounts.authz import Action, may
from hub.accounts.enrolment import awaits_enrolment
from hub.accounts.models import Organisation
from hub.accounts.roles import ADMIN_ROLE, ROLES_FOR_KIND, OrgKind, Role
from hub.accounts.users import OwnAccount, UserService, has_case_role, is_org_admin
from hub.accounts.views.account import origin_of
from hub.accounts.views.admin_common import SELF_ACTION, notice, redirect_to
from hub.accounts.views.user_confirm import CONFIRM_PAGE_OF, unconfirmed
from hub.db import transaction
from hub.errors import Forbidden, ValidationError
from hub.notifications.accountmail import OutboxAccountMailer
from hub.web.forms import form_lists, form_values, in_form_order, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

USER_NOTICES = {
    "geblokkeerd": "De gebruiker is geblokkeerd. Alle sessies van deze gebruiker zijn beëindigd.",
    "gedeblokkeerd": "De gebruiker is gedeblokkeerd en kan weer inloggen.",
    "rollen-gewijzigd": "De rollen zijn gewijzigd. De gebruiker krijgt daarover een e-mail.",
    "mfa-hersteld": "De tweestapsverificatie is hersteld. De gebruiker is uitgelogd en stelt bij de volgende "
    "keer inloggen opnieuw tweestapsverificatie in.",
    "activeringslink": "Er is een nieuwe activeringslink gemaild naar het e-mailadres van de gebruiker. Eerdere "
    "links werken niet meer.",
    "verwijderd": "De gebruiker is verwijderd en kan niet meer inloggen. De naam blijft zichtbaar in berichten en in "
    "het auditlog.",
}
USER_FIELDS = ("organisation_id", "name", "email", "roles")
OPERATOR_REFUSED = (
    "Dit doet de beheerder van de organisatie zelf. Als functioneel beheerder voegt u alleen de eerste beheerder "
    "van een organisatie toe, en beheert u geen accounts met toegang tot dossiers."
)


def _role_options(manage_all: bool, own: Organisation) -> list[tuple[str, str]]:
    """Checkbox (value, label) pairs: every role with its kind of organisation, or the own organisation's."""
    if not manage_all:
        allowed = ROLES_FOR_KIND[own.org_kind]
        return [(r.value, r.label) for r in Role if r in allowed]
    # The operator adds an organisation's first administrator only.
    return [
        (ADMIN_ROLE[kind].value, f"{ADMIN_ROLE[kind].label} ({kind.label.lower()})")
        for kind in (OrgKind.KANTOOR, OrgKind.GEMEENTE, OrgKind.BEHEER)
    ]


async def _users_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    action_error: str = "",
    status: int = 200,
) -> Response:
    actor = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        managed = await UserService(db).manageable(actor)
    return render(
        request,
        "admin/users.html",
        {
            "manage_all": managed.manage_all,
            "own": managed.own,
            "groups": managed.groups,
            "organisation_options": [(o.id, f"{o.name} ({o.org_kind.label.lower()})") for o in managed.organisations],
            "role_options": _role_options(managed.manage_all, managed.own),
            "errors": errors or {},
            "values": values or {"roles": []},
            "notice": "" if errors or action_error else notice(request, USER_NOTICES),
            "action_error": action_error,
            "has_case_role": has_case_role,
            "is_org_admin": is_org_admin,
            "awaits_enrolment": awaits_enrolment,
        },
        status_code=status,
    )


@login_required(Action.MANAGE_OWN_USERS)
async def users_page(request: Request) -> Response:
    return await _users_page(request)


@login_required(Action.MANAGE_OWN_USERS)
async def users_add(request: Request) -> Response:
    actor = user_of(request).user
    form = await form_values(request)
    raw_roles = await form_lists(request, "roles")
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "email": form.get("email", ""),
        "organisation_id": form.get("organisation_id", ""),
        "roles": raw_roles,
    }
    errors: dict[str, str] = {}
    roles: set[Role] = set()
    for raw in raw_roles:
        try:
            roles.add(Role(raw))
        except ValueError:
            errors["roles"] = "Kies een geldige rol."
    # A kantoorbeheerder always adds to their own organisation, whatever the form says.
    org_id = values["organisation_id"] if may(actor, Action.MANAGE_ALL_USERS) else actor.organisation_id
    try:
        async with transaction(runtime(request).sessions) as db:
            user, password, organisation = await UserService(
                db, OutboxAccountMailer(db), origin=origin_of(request)
            ).add(actor, org_id, name=values["name"], email=values["email"], roles=roles)
            if errors:  # nothing is kept: the transaction rolls back
                raise ValidationError(errors)
    except ValidationError as exc:
        if isinstance(exc, AddressRefused):  # audited apart: the form's own transaction was rolled back
            async with transaction(runtime(request).sessions) as db:
                await record_address_refused(db, actor, exc, origin_of(request))
        ordered = in_form_order({**exc.errors, **errors}, USER_FIELDS)
        return await _users_page(request, errors=ordered, values=values, status=400)
    except Forbidden:
        return await _users_page(request, values=values, action_error=OPERATOR_REFUSED, status=403)
    return render(
        request,
        "admin/one_time_password.html",
        {"target": user, "organisation": organisation, "password": password, "created": True},
    )


async def _user_action(request: Request, action: str) -> Response:
    route = request.scope["route"].name
    if route in CONFIRM_PAGE_OF and (to_confirm := await unconfirmed(request, route)) is not None:
        return to_confirm  # blocking and resets only from their confirm page
    actor = user_of(request).user
    rt = runtime(request)
    user_id = request.path_params["user_id"]
    password = ""
    try:
        async with transaction(rt.sessions) as db:
            users, auth = (
                UserService(db, OutboxAccountMailer(db), origin=origin_of(request)),
                AuthService(db, rt.keyring),
            )
            if action == "geblokkeerd":
                target = await users.block(actor, user_id, auth)
            elif action == "gedeblokkeerd":
                target = await users.unblock(actor, user_id, auth)
            elif action == "mfa-hersteld":
                target = await users.reset_mfa_for(actor, user_id, auth)
            elif action == "activeringslink":
                target = await users.resend_enrolment(actor, user_id, auth)
            else:
                target, password = await users.reset_password_for(actor, user_id, auth)
            organisation = await db.get(Organisation, target.organisation_id)
    except OwnAccount:
        return await _users_page(request, action_error=SELF_ACTION, status=400)
    except Forbidden:
        return await _users_page(request, action_error=OPERATOR_REFUSED, status=403)
    if action == "wachtwoord-hersteld":
        return render(
            request,
            "admin/one_time_password.html",
            {"target": target, "organisation": organisation, "password": password, "created": False},
        )
    return redirect_to(request, "admin.users", gelukt=action)


@login_required(Action.MANAGE_OWN_USERS)
async def user_roles(request: Request) -> Response:
    actor = user_of(request).user
    roles: set[Role] = set()
    for raw in await form_lists(request, "roles"):
        try:
            roles.add(Role(raw))
        except ValueError:
            return await _users_page(request, action_error="Kies een geldige rol.", status=400)
    try:
        async with transaction(runtime(request).sessions) as db:
            await UserService(db, OutboxAccountMailer(db), origin=origin_of(request)).change_roles(
                actor, request.path_params["user_id"], roles
            )
    except ValidationError as exc:
        return await _users_page(request, action_error=" ".join(exc.errors.values()), status=400)
    except OwnAccount:
        return await _users_page(request, action_error=SELF_ACTION, status=400)
    except Forbidden:
        return await _users_page(request, action_error=OPERATOR_REFUSED, status=403)
    return redirect_to(request, "admin.users", gelukt="rollen-gewijzigd")


@login_required(Action.MANAGE_OWN_USERS)
async def user_block(request: Request) -> Response:
    return await _user_action(request, "geblokkeerd")


@login_required(Action.MANAGE_OWN_USERS)
async def user_unblock(request: Request) -> Response:
    return await _user_action(request, "gedeblokkeerd")


@login_required(Action.MANAGE_OWN_USERS)
async def user_reset_mfa(request: Request) -> Response:
    return await _user_action(request, "mfa-hersteld")


@login_required(Action.MANAGE_OWN_USERS)
async def user_reset_password(request: Request) -> Response:
    return await _user_action(request, "wachtwoord-hersteld")


@login_required(Action.MANAGE_ALL_USERS)
async def user_resend_enrolment(request: Request) -> Response:
    return await _user_action(request, "activeringslink")


routes = [
    Route("/gebruikers", users_page, methods=["GET"], name="admin.users"),
    Route("/gebruikers", users_add, methods=["POST"], name="admin.users_add"),
    Route("/gebruikers/{user_id}/rollen", user_roles, methods=["POST"], name="admin.user_roles"),
    Route("/gebruikers/{user_id}/blokkeren", user_block, methods=["POST"], name="admin.user_block"),
    Route("/gebruikers/{user_id}/deblokkeren", user_unblock, methods=["POST"], name="admin.user_unblock"),
    Route("/gebruikers/{user_id}/mfa-herstellen", user_reset_mfa, methods=["POST"], name="admin.user_reset_mfa"),
    Route(
        "/gebruikers/{user_id}/activeringslink",
        user_resend_enrolment,
        methods=["POST"],
        name="admin.user_resend_enrolment",
    ),
    Route(
        "/gebruikers/{user_id}/wachtwoord-herstellen",
        user_reset_password,
        methods=["POST"],
        name="admin.user_reset_password",
    ),
]
