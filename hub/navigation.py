"""The main menu for a user's roles: the navigation builder create_app() hands to the web layer."""

from __future__ import annotations

from starlette.requests import Request

from hub.authz import Action, may
from hub.web.session import LoadedSession


def navigation(request: Request, active: LoadedSession | None) -> list[tuple[str, str]]:
    """The menu for this user's roles: (path, label)."""
    if active is None or not active.is_full:
        return []
    user = active.user
    items = [("/", "Start")]
    if may(user, Action.VIEW_CASES):
        items.append(("/dossiers", "Dossiers"))
        items.append(("/berichten", "Berichten"))
    if may(user, Action.VIEW_ROUTEKAART):
        items.append(("/routekaart", "Routekaart"))
    if may(user, Action.MANAGE_ORGANISATIONS):
        items += [("/beheer/organisaties", "Organisaties"), ("/beheer/convenanten", "Convenanten")]
    if may(user, Action.MANAGE_CLOSING_DAYS):
        items.append(("/instellingen/sluitingsdagen", "Sluitingsdagen"))
    if may(user, Action.VIEW_OPERATIONS):
        items.append(("/beheer/mail", "E-mail"))
    if may(user, Action.MANAGE_OWN_USERS):
        items.append(("/gebruikers", "Gebruikers"))
    if may(user, Action.CONFIRM_OWN_CONTACTS):
        items.append(("/organisatie/contactgegevens", "Contactgegevens"))
    items.append(("/account", "Mijn account"))
    return items
