"""The main menu for a user's roles: the navigation builder create_app() hands to the web layer."""

from __future__ import annotations

from starlette.requests import Request

from hub.accounts.authz import Action, may
from hub.web.session import LoadedSession

# (route name; label; the action that shows the entry, None: everyone).
MENU: tuple[tuple[str, str, Action | None], ...] = (
    ("dashboard.start", "Start", None),
    ("cases.list", "Dossiers", Action.VIEW_CASES),
    ("messaging.inbox", "Berichten", Action.VIEW_CASES),
    ("cases.bijstand", "Bijzondere bijstand", Action.VIEW_BIJSTAND_APPLICATIONS),
    ("cases.schuldhulp_check", "Aanmelding schuldhulp", Action.VIEW_SCHULDHULP_CHECK),
    ("admin.routekaart", "Routekaart", Action.VIEW_ROUTEKAART),
    ("accounts.convenants", "Convenanten", Action.READ_CONVENANTS),
    ("orgdocs.quality", "Kwaliteitsdocumenten", Action.VIEW_QUALITY_DOCUMENTS),
    ("monitoring.page", "Monitoring", Action.VIEW_MONITORING),
    ("admin.organisations", "Organisaties", Action.MANAGE_ORGANISATIONS),
    ("admin.convenants", "Convenanten", Action.MANAGE_ORGANISATIONS),
    ("monitoring.compliance", "Termijnen", Action.VIEW_TERM_COMPLIANCE),
    ("monitoring.steekproeven", "Steekproeven", Action.DRAW_STEEKPROEF),
    ("calendars.closing_days", "Sluitingsdagen", Action.MANAGE_CLOSING_DAYS),
    ("notifications.outbox", "E-mail", Action.VIEW_OPERATIONS),
    ("admin.users", "Gebruikers", Action.MANAGE_OWN_USERS),
    ("admin.api_tokens", "API-sleutels", Action.MANAGE_ORGANISATION_TOKENS),
    ("admin.webhooks", "Webhooks", Action.MANAGE_ORGANISATION_TOKENS),
    ("admin.user_search", "Gebruikers zoeken", Action.MANAGE_ALL_USERS),
    ("admin.contacts", "Contactgegevens", Action.CONFIRM_OWN_CONTACTS),
    ("oversight.auditlog", "Auditlog", Action.VIEW_AUDIT_LOG),
    ("accounts.account", "Mijn account", None),
)


def navigation(request: Request, active: LoadedSession | None) -> list[tuple[str, str]]:
    """The menu for this user's roles: (path, label)."""
    if active is None or not active.is_full:
        return []
    return [
        (request.app.url_path_for(name), label)
        for name, label, action in MENU
        if action is None or may(active.user, action)
    ]
