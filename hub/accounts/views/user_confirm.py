"""Confirm pages before an administrator blocks a user, resets their second factor or their password: the GET page
says what will happen, and only its form (with ``bevestigd=ja``) does it. A POST without it, as the old buttons
sent, only leads to this page. No JavaScript is needed."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.authz import Action, may
from hub.accounts.models import Organisation, User
from hub.accounts.users import OwnAccount, UserService
from hub.accounts.views.admin_common import SELF_ACTION
from hub.db import transaction
from hub.web.forms import form_values, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

CONFIRMED = "ja"


@dataclass(frozen=True)
class Confirmation:
    title: str
    button: str
    post_route: str
    danger: bool = False

    def what_happens(self, target: User, operator: bool) -> list[str]:
        """What the action does, in the order the administrator should read it."""
        name = target.name
        if self.post_route == "admin.user_block":
            return [
                f"{name} kan daarna niet meer inloggen. Alle sessies van {name} worden direct beëindigd.",
                f"{name} krijgt hierover een e-mail. U kunt de gebruiker later weer deblokkeren.",
            ]
        if self.post_route == "admin.user_reset_mfa":
            return [
                f"De tweestapsverificatie en de herstelcodes van {name} worden gewist, en alle sessies van {name} "
                "worden direct beëindigd.",
                f"Bij de volgende keer inloggen stelt {name} de authenticator-app opnieuw in.",
                f"Doe dit alleen als u zeker weet dat het verzoek van {name} zelf komt, bijvoorbeeld door terug te "
                "bellen op een nummer dat u al kende.",
            ]
        if operator:
            return [
                f"Het wachtwoord van {name} werkt daarna niet meer en alle sessies worden direct beëindigd.",
                f"{name} krijgt een e-mail met een nieuwe activeringslink om zelf een wachtwoord te kiezen.",
            ]
        return [
            f"Het wachtwoord van {name} werkt daarna niet meer en alle sessies worden direct beëindigd.",
            f"U ziet één keer een nieuw tijdelijk wachtwoord (72 uur geldig). Geef het aan {name} via een ander "
            "kanaal dan e-mail, bijvoorbeeld telefonisch.",
        ]


CONFIRMATIONS = {
    "admin.user_block_confirm": Confirmation("Gebruiker blokkeren?", "Ja, blokkeren", "admin.user_block", True),
    "admin.user_reset_mfa_confirm": Confirmation(
        "Tweestapsverificatie herstellen?", "Ja, tweestapsverificatie herstellen", "admin.user_reset_mfa", True
    ),
    "admin.user_reset_password_confirm": Confirmation(
        "Nieuw wachtwoord geven?", "Ja, wachtwoord herstellen", "admin.user_reset_password", True
    ),
}
# The action's POST route -> its confirm page.
CONFIRM_PAGE_OF = {c.post_route: page for page, c in CONFIRMATIONS.items()}


async def unconfirmed(request: Request, post_route: str) -> Response | None:
    """The way to the confirm page when a POST to ``post_route`` lacks the confirmation; None when confirmed."""
    if (await form_values(request)).get("bevestigd") == CONFIRMED:
        return None
    path = request.app.url_path_for(CONFIRM_PAGE_OF[post_route], user_id=request.path_params["user_id"])
    return RedirectResponse(str(path), status_code=303)


@login_required(Action.MANAGE_OWN_USERS)
async def confirm_page(request: Request) -> Response:
    name = request.scope["route"].name
    confirmation = CONFIRMATIONS[name]
    actor = user_of(request).user
    error = ""
    async with transaction(runtime(request).sessions) as db:
        users = UserService(db)
        try:
            target = await users.acting_on(
                actor, request.path_params["user_id"], blocking=confirmation.post_route == "admin.user_block"
            )  # another organisation's user: NotFound (404); the operator and a case-role account: Forbidden
        except OwnAccount:
            target = await users.managed(actor, request.path_params["user_id"])
            error = SELF_ACTION
        organisation = await db.get(Organisation, target.organisation_id)
    operator = may(actor, Action.MANAGE_ALL_USERS)
    return render(
        request,
        "admin/confirm_user_action.html",
        {
            "title": confirmation.title,
            "confirmation": confirmation,
            "target": target,
            "organisation": organisation,
            "what_happens": confirmation.what_happens(target, operator),
            "error": error,
        },
        status_code=400 if error else 200,
    )


routes = [
    Route("/gebruikers/{user_id}/blokkeren", confirm_page, methods=["GET"], name="admin.user_block_confirm"),
    Route("/gebruikers/{user_id}/mfa-herstellen", confirm_page, methods=["GET"], name="admin.user_reset_mfa_confirm"),
    Route(
        "/gebruikers/{user_id}/wachtwoord-herstellen",
        confirm_page,
        methods=["GET"],
        name="admin.user_reset_password_confirm",
    ),
]
