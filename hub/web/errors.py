"""Dutch error pages. A NotFound from a service (including another organisation's object) is a plain 404."""

from __future__ import annotations

import errno
import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from hub.errors import Forbidden, NotFound, OutcomeUnknown, StorageUnavailable, exception_place
from hub.web.access_log import route_template
from hub.web.templating import render_error

log = logging.getLogger("hub.web")

NOT_FOUND = ("Pagina niet gevonden", "Deze pagina bestaat niet, of u heeft er geen toegang toe.")
FORBIDDEN = ("Geen toegang", "U heeft niet de rol die hiervoor nodig is. Vraag uw beheerder om hulp.")
# Whether anything was saved is not known here (the fault may have struck after a commit): say so, never "nothing".
SERVER_ERROR = (
    "Er ging iets mis",
    "Er ging iets mis aan onze kant. Misschien is uw wijziging niet opgeslagen: controleer het en probeer het zo "
    "nodig later opnieuw.",
)
STORAGE_FULL = (
    "Opslag vol",
    "De opslag van de beveiligde omgeving is op dit moment vol, daardoor kon dit niet worden opgeslagen. Probeer "
    "het later opnieuw; de beheerder van de omgeving is gewaarschuwd.",
)
STORAGE_UNAVAILABLE = (
    "Tijdelijk niet beschikbaar",
    "De opslag van de documenten is op dit moment niet bereikbaar, daardoor kon dit niet worden opgeslagen of "
    "geopend. Er is niets bewaard. Probeer het over een minuut opnieuw; de beheerder van de omgeving is gewaarschuwd.",
)
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def storage_full(exc: BaseException) -> OSError | None:
    """The 'no space left' error behind ``exc`` (itself, or what it was raised from), if there is one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL:
            return current
        current = current.__cause__ or current.__context__
    return None


async def not_found(request: Request, exc: Exception) -> Response:
    return render_error(request.scope, 404, *NOT_FOUND)


async def forbidden(request: Request, exc: Exception) -> Response:
    return render_error(request.scope, 403, *FORBIDDEN)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return await not_found(request, exc)
    if exc.status_code == 405:
        return render_error(request.scope, 405, "Niet toegestaan", "Deze handeling kan hier niet.")
    return render_error(request.scope, exc.status_code, "Fout", str(exc.detail))


async def outcome_unknown(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OutcomeUnknown)
    log.error("commit outcome unknown (%s) on %s %s", exception_place(exc.__cause__ or exc), request.method,
              route_template(request.scope))  # fmt: skip
    return render_error(
        request.scope,
        500,
        "Niet zeker of het is opgeslagen",
        f"De verbinding viel weg terwijl uw {exc.what} werd opgeslagen. We weten niet zeker of dat is gelukt: "
        "controleer het dossier of het gesprek voordat u het opnieuw probeert.",
    )


def storage_unavailable_page(request: Request, exc: StorageUnavailable) -> Response:
    """503 with Retry-After; the log names the store's error code, the method and the route template only."""
    log.error("blob store unavailable (%s) on %s %s", exc.code, request.method, route_template(request.scope))
    response = render_error(request.scope, 503, *STORAGE_UNAVAILABLE)
    response.headers["Retry-After"] = str(StorageUnavailable.RETRY_AFTER)
    return response


async def storage_unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StorageUnavailable)
    return storage_unavailable_page(request, exc)


async def server_error(request: Request, exc: Exception) -> Response:
    full = storage_full(exc)
    if full is not None:
        # For the operator: which storage is full (a server path of random names, never personal data).
        log.error("storage full (%s) at %s on %s", errno.errorcode.get(full.errno or 0, "?"), full.filename,
                  request.method)  # fmt: skip
        return render_error(request.scope, 507, *STORAGE_FULL)
    # The exception's text may contain personal data: log only its type and where it happened.
    # The route's template, never the path as sent: a path can hold a token (an enrolment link) or a typed value.
    log.error("unhandled %s on %s %s", exception_place(exc), request.method, route_template(request.scope))
    return render_error(request.scope, 500, *SERVER_ERROR)


EXCEPTION_HANDLERS = {
    NotFound: not_found,
    Forbidden: forbidden,
    HTTPException: http_error,
    OutcomeUnknown: outcome_unknown,
    StorageUnavailable: storage_unavailable,
    Exception: server_error,
}
