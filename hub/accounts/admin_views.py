"""User management, organisations and convenants, the routekaart and an organisation's own contact details.

Who may do what:
- the functioneel beheerder manages every organisation, convenant and user;
- a kantoorbeheerder manages the users of their own organisation only; any other user does not exist for
  them (404);
- a contractmanager keeps the routekaart (the partners' contact details, checked at least once a year, §1a.1);
- a kantoorbeheerder or contractmanager confirms or corrects their own organisation's contact details.

Redirects after a successful POST carry a fixed key (`?gelukt=...`), never a name or address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.auth import AuthService
from hub.accounts.models import Organisation, User
from hub.accounts.roles import ROLES_FOR_KIND, OrgKind, Role
from hub.accounts.services import (
    CONVENANT_STATUSES,
    ConvenantService,
    OrganisationService,
    PartnerContact,
    UserService,
)
from hub.authz import Action, may, require
from hub.db import transaction, utcnow
from hub.errors import NotFound, ValidationError
from hub.web.forms import form_lists, form_values, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

CONVENANT_STATUS_LABELS = {"concept": "Concept", "actief": "Actief", "beeindigd": "Beëindigd"}
# A partner whose yearly check falls due within this period is mentioned, not yet flagged.
CHECK_SOON = timedelta(days=30)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

USER_NOTICES = {
    "geblokkeerd": "De gebruiker is geblokkeerd. Alle sessies van deze gebruiker zijn beëindigd.",
    "gedeblokkeerd": "De gebruiker is gedeblokkeerd en kan weer inloggen.",
    "mfa-hersteld": "De tweestapsverificatie is hersteld. De gebruiker is uitgelogd en stelt bij de volgende "
    "keer inloggen opnieuw tweestapsverificatie in.",
}
ORGANISATION_NOTICES = {"toegevoegd": "De organisatie is toegevoegd."}
CONVENANT_NOTICES = {"toegevoegd": "Het convenant is toegevoegd."}
CONTACT_NOTICES = {
    "bevestigd": "De contactgegevens zijn bevestigd.",
    "gewijzigd": "De contactgegevens zijn gewijzigd en bevestigd.",
}
SELF_ACTION = "Dit kunt u niet voor uw eigen account doen. Vraag een andere beheerder."


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _notice(request: Request, notices: dict[str, str]) -> str:
    return notices.get(request.query_params.get("gelukt", ""), "")


def _in_form_order(errors: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """The error summary lists the problems in the order of the form's fields."""
    ordered = {k: errors[k] for k in fields if k in errors}
    ordered.update({k: v for k, v in errors.items() if k not in ordered})
    return ordered


# -- users -------------------------------------------------------------------------------------------------


def _role_options(manage_all: bool, own: Organisation) -> list[tuple[str, str]]:
    """Checkbox (value, label) pairs: every role with its kind of organisation, or the own organisation's."""
    if not manage_all:
        allowed = ROLES_FOR_KIND[own.org_kind]
        return [(r.value, r.label) for r in Role if r in allowed]
    return [
        (r.value, f"{r.label} ({kind.label.lower()})")
        for kind in (OrgKind.KANTOOR, OrgKind.GEMEENTE, OrgKind.BEHEER)
        for r in Role
        if r in ROLES_FOR_KIND[kind]
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
    manage_all = may(actor, Action.MANAGE_ALL_USERS)
    async with transaction(runtime(request).sessions) as db:
        orgs = OrganisationService(db)
        own = await orgs.get(actor.organisation_id)
        users = UserService(db)
        if manage_all:
            organisations = await orgs.all()
            by_org: dict[str, list[User]] = {o.id: [] for o in organisations}
            for u, o in await users.all():
                by_org.setdefault(o.id, []).append(u)
            groups = [(o, by_org[o.id]) for o in sorted(organisations, key=lambda o: o.name.lower())]
        else:
            organisations = [own]
            groups = [(own, await users.in_organisation(own.id))]
    return render(
        request,
        "admin/users.html",
        {
            "manage_all": manage_all,
            "own": own,
            "groups": groups,
            "organisation_options": [(o.id, f"{o.name} ({o.org_kind.label.lower()})") for o in organisations],
            "role_options": _role_options(manage_all, own),
            "errors": errors or {},
            "values": values or {"roles": []},
            "notice": "" if errors or action_error else _notice(request, USER_NOTICES),
            "action_error": action_error,
        },
        status_code=status,
    )


@login_required(Action.MANAGE_OWN_USERS)
async def users_page(request: Request) -> Response:
    return await _users_page(request)


@login_required(Action.MANAGE_OWN_USERS)
async def users_add(request: Request) -> Response:
    actor = user_of(request).user
    manage_all = may(actor, Action.MANAGE_ALL_USERS)
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
    try:
        async with transaction(runtime(request).sessions) as db:
            org_id = values["organisation_id"] if manage_all else actor.organisation_id
            organisation = await db.get(Organisation, org_id) if org_id else None
            if organisation is None:
                raise ValidationError({"organisation_id": "Kies een organisatie."})
            user, password = await UserService(db).create(
                organisation,
                name=values["name"],
                email=values["email"],
                roles=roles,
                password=None,
                must_change_password=True,
            )
            if errors:  # nothing is kept: the transaction rolls back
                raise ValidationError(errors)
    except ValidationError as exc:
        ordered = _in_form_order({**exc.errors, **errors}, ("organisation_id", "name", "email", "roles"))
        return await _users_page(request, errors=ordered, values=values, status=400)
    return render(
        request,
        "admin/one_time_password.html",
        {"target": user, "organisation": organisation, "password": password, "created": True},
    )


async def _target(db: AsyncSession, actor: User, user_id: str) -> User:
    """The user to act on. A kantoorbeheerder's view ends at their own organisation: others are NotFound."""
    target = await db.get(User, user_id)
    if target is None:
        raise NotFound("User")
    if not may(actor, Action.MANAGE_ALL_USERS):
        require(actor, Action.MANAGE_OWN_USERS, target)
    return target


async def _user_action(request: Request, action: str) -> Response:
    actor = user_of(request).user
    rt = runtime(request)
    password = ""
    organisation: Organisation | None = None
    async with transaction(rt.sessions) as db:
        target = await _target(db, actor, request.path_params["user_id"])
        if target.id == actor.id:
            self_action = True
        else:
            self_action = False
            users, auth = UserService(db), AuthService(db, rt.keyring)
            if action == "geblokkeerd":
                await users.set_disabled(target, True, auth)
            elif action == "gedeblokkeerd":
                await users.set_disabled(target, False, auth)
            elif action == "mfa-hersteld":
                await users.reset_mfa(target, auth)
            else:
                password = await users.reset_password(target, auth)
            organisation = await db.get(Organisation, target.organisation_id)
    if self_action:
        return await _users_page(request, action_error=SELF_ACTION, status=400)
    if password:
        return render(
            request,
            "admin/one_time_password.html",
            {"target": target, "organisation": organisation, "password": password, "created": False},
        )
    return _redirect(f"/gebruikers?gelukt={action}")


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


# -- organisations -------------------------------------------------------------------------------------------


KIND_OPTIONS = [(k.value, k.label) for k in (OrgKind.GEMEENTE, OrgKind.KANTOOR, OrgKind.BEHEER)]
ORGANISATION_FIELDS = ("kind", "name", "contact_person", "contact_email", "contact_phone")


async def _organisations_page(
    request: Request,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    async with transaction(runtime(request).sessions) as db:
        orgs = OrganisationService(db)
        rows = [orgs.contact_status(o) for o in await orgs.all()]
    return render(
        request,
        "admin/organisations.html",
        {
            "rows": rows,
            "kind_options": KIND_OPTIONS,
            "errors": errors or {},
            "values": values or {},
            "notice": "" if errors else _notice(request, ORGANISATION_NOTICES),
        },
        status_code=status,
    )


@login_required(Action.MANAGE_ORGANISATIONS)
async def organisations_page(request: Request) -> Response:
    return await _organisations_page(request)


@login_required(Action.MANAGE_ORGANISATIONS)
async def organisations_add(request: Request) -> Response:
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
            await OrganisationService(db).create(
                kind,
                values["name"],
                contact_person=values["contact_person"],
                contact_email=values["contact_email"],
                contact_phone=values["contact_phone"],
            )
            if errors:
                raise ValidationError(errors)
    except ValidationError as exc:
        ordered = _in_form_order({**exc.errors, **errors}, ORGANISATION_FIELDS)
        return await _organisations_page(request, ordered, values, status=400)
    return _redirect("/beheer/organisaties?gelukt=toegevoegd")


# -- convenants ----------------------------------------------------------------------------------------------


CONVENANT_FIELDS = ("gemeente_id", "kantoor_id", "start_date", "end_date", "status")


def parse_date(raw: str, field: str, label: str, errors: dict[str, str], *, required: bool) -> date | None:
    """A date from an <input type="date"> (YYYY-MM-DD); a Dutch error in `errors` if missing or wrong."""
    if not raw:
        if required:
            errors[field] = f"Vul de {label} in."
        return None
    try:
        if not ISO_DATE.match(raw):
            raise ValueError(raw)
        value = date.fromisoformat(raw)
        if not 1900 <= value.year <= 2200:
            raise ValueError(raw)
    except ValueError:
        errors[field] = f"Vul een geldige {label} in, bijvoorbeeld 2026-01-31 (jaar-maand-dag)."
        return None
    return value


async def _convenants_page(
    request: Request,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    async with transaction(runtime(request).sessions) as db:
        rows = await ConvenantService(db).for_organisation(None)
        organisations = await OrganisationService(db).all()
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
            "notice": "" if errors else _notice(request, CONVENANT_NOTICES),
        },
        status_code=status,
    )


@login_required(Action.MANAGE_ORGANISATIONS)
async def convenants_page(request: Request) -> Response:
    return await _convenants_page(request)


@login_required(Action.MANAGE_ORGANISATIONS)
async def convenants_add(request: Request) -> Response:
    form = await form_values(request)
    values = {k: form.get(k, "") for k in CONVENANT_FIELDS}
    errors: dict[str, str] = {}
    start = parse_date(values["start_date"], "start_date", "begindatum", errors, required=True)
    end = parse_date(values["end_date"], "end_date", "einddatum", errors, required=False)
    try:
        async with transaction(runtime(request).sessions) as db:
            # With a wrong begindatum the other fields are still checked against a stand-in; nothing is kept.
            await ConvenantService(db).create(
                values["gemeente_id"],
                values["kantoor_id"],
                start or date.today(),
                end if start else None,
                values["status"],
            )
            if errors:
                raise ValidationError(errors)
    except ValidationError as exc:
        ordered = _in_form_order({**exc.errors, **errors}, CONVENANT_FIELDS)
        return await _convenants_page(request, ordered, values, status=400)
    return _redirect("/beheer/convenanten?gelukt=toegevoegd")


# -- routekaart ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutekaartRow:
    entry: PartnerContact
    status: str
    tag: str

    @property
    def flagged(self) -> bool:
        return self.entry.overdue


def routekaart_row(entry: PartnerContact, now: datetime) -> RoutekaartRow:
    if entry.organisation.contacts_confirmed_at is None:
        return RoutekaartRow(entry, "Nooit bevestigd", "late")
    if entry.overdue:
        return RoutekaartRow(entry, "Controle nodig: langer dan een jaar niet bevestigd", "late")
    if entry.next_check is not None and entry.next_check - now < CHECK_SOON:
        return RoutekaartRow(entry, "Controle binnenkort", "soon")
    return RoutekaartRow(entry, "Bevestigd", "ok")


@login_required(Action.VIEW_ROUTEKAART)
async def routekaart_page(request: Request) -> Response:
    actor = user_of(request).user
    now = utcnow()
    async with transaction(runtime(request).sessions) as db:
        orgs = OrganisationService(db)
        own = await orgs.get(actor.organisation_id)
        require(actor, Action.VIEW_ROUTEKAART, own)
        rows = [routekaart_row(e, now) for e in await orgs.routekaart(own, now)]
    return render(
        request,
        "admin/routekaart.html",
        {"own": own, "rows": rows, "flagged": sum(1 for r in rows if r.flagged)},
    )


# -- own contact details -------------------------------------------------------------------------------------


CONTACT_FIELDS = ("contact_person", "contact_email", "contact_phone")


async def _contacts_page(
    request: Request,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    actor = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        orgs = OrganisationService(db)
        own = await orgs.get(actor.organisation_id)
        require(actor, Action.CONFIRM_OWN_CONTACTS, own)
        confirmed_by = None
        if own.contacts_confirmed_by:
            by = await db.get(User, own.contacts_confirmed_by)
            # Only a colleague's name: the confirming user belongs to the same organisation.
            confirmed_by = by.name if by is not None and by.organisation_id == own.id else None
        status_row = orgs.contact_status(own)
    return render(
        request,
        "admin/contacts.html",
        {
            "own": own,
            "confirmed_by": confirmed_by,
            "contact": status_row,
            "errors": errors or {},
            "values": values or {k: getattr(own, k) for k in CONTACT_FIELDS},
            "notice": "" if errors else _notice(request, CONTACT_NOTICES),
        },
        status_code=status,
    )


@login_required(Action.CONFIRM_OWN_CONTACTS)
async def contacts_page(request: Request) -> Response:
    return await _contacts_page(request)


@login_required(Action.CONFIRM_OWN_CONTACTS)
async def contacts_confirm(request: Request) -> Response:
    actor = user_of(request).user
    form = await form_values(request)
    values = {k: form.get(k, "") for k in CONTACT_FIELDS}
    try:
        async with transaction(runtime(request).sessions) as db:
            orgs = OrganisationService(db)
            own = await orgs.get(actor.organisation_id)
            require(actor, Action.CONFIRM_OWN_CONTACTS, own)
            before = (own.contact_person, own.contact_email, own.contact_phone)
            await orgs.update_contacts(
                own,
                person=values["contact_person"],
                email=values["contact_email"],
                phone=values["contact_phone"],
                by=actor,
            )
            changed = before != (own.contact_person, own.contact_email, own.contact_phone)
    except ValidationError as exc:
        ordered = _in_form_order(exc.errors, CONTACT_FIELDS)
        return await _contacts_page(request, ordered, values, status=400)
    return _redirect(f"/organisatie/contactgegevens?gelukt={'gewijzigd' if changed else 'bevestigd'}")


routes = [
    Route("/gebruikers", users_page, methods=["GET"]),
    Route("/gebruikers", users_add, methods=["POST"]),
    Route("/gebruikers/{user_id}/blokkeren", user_block, methods=["POST"]),
    Route("/gebruikers/{user_id}/deblokkeren", user_unblock, methods=["POST"]),
    Route("/gebruikers/{user_id}/mfa-herstellen", user_reset_mfa, methods=["POST"]),
    Route("/gebruikers/{user_id}/wachtwoord-herstellen", user_reset_password, methods=["POST"]),
    Route("/beheer/organisaties", organisations_page, methods=["GET"]),
    Route("/beheer/organisaties", organisations_add, methods=["POST"]),
    Route("/beheer/convenanten", convenants_page, methods=["GET"]),
    Route("/beheer/convenanten", convenants_add, methods=["POST"]),
    Route("/routekaart", routekaart_page, methods=["GET"]),
    Route("/organisatie/contactgegevens", contacts_page, methods=["GET"]),
    Route("/organisatie/contactgegevens", contacts_confirm, methods=["POST"]),
]
