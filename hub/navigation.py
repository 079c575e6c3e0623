"""The main menu for a user's roles: the navigation builder create_app() hands to the web layer."""

from __future__ import annotations

from starlette.requests import Request

from hub.accounts.authz import Action, may
from hub.web.session import LoadedSession

# (route name, or a path for a route not yet named; label; the action that shows the entry, None: everyone).
MENU: tuple[tuple[str, str, Action | None], ...] = (
    ("dashboard.start", "Start", None),
    ("cases.list", "Dossiers", Action.VIEW_CASES),
    ("/berichten", "Berichten", Action.VIEW_CASES),
    ("/routekaart", "Routekaart", Action.VIEW_ROUTEKAART),
    ("/beheer/organisaties", "Organisaties", Action.MANAGE_ORGANISATIONS),
    ("/beheer/convenanten", "Convenanten", Action.MANAGE_ORGANISATIONS),
    ("/instellingen/sluitingsdagen", "Sluitingsdagen", Action.MANAGE_CLOSING_DAYS),
    ("/beheer/mail", "E-mail", Action.VIEW_OPERATIONS),
    ("/gebruikers", "Gebruikers", Action.MANAGE_OWN_USERS),
    ("/organisatie/contactgegevens", "Contactgegevens", Action.CONFIRM_OWN_CONTACTS),
    ("/account", "Mijn account", None),
)


def navigation(request: Request, active: LoadedSession | None) -> list[tuple[str, str]]:
    """The menu for this user's roles: (path, label)."""
    if active is None or not active.is_full:
        return []
    return [
        (target if target.startswith("/") else request.app.url_path_for(target), label)
        for target, label, action in MENU
        if action is None or may(active.user, action)
    ]
