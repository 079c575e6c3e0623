"""Dutch error pages. A NotFound from a service (including another organisation's object) is a plain 404."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from hub.errors import Forbidden, NotFound, exception_place
from hub.web.templating import render_error

log = logging.getLogger("hub.web")

NOT_FOUND = ("Pagina niet gevonden", "Deze pagina bestaat niet, of u heeft er geen toegang toe.")
FORBIDDEN = ("Geen toegang", "U heeft niet de rol die hiervoor nodig is. Vraag uw beheerder om hulp.")
SERVER_ERROR = (
    "Er ging iets mis",
    "Er ging iets mis aan onze kant. Er is niets opgeslagen. Probeer het later opnieuw.",
)


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


async def server_error(request: Request, exc: Exception) -> Response:
    # The exception's text may contain personal data: log only its type and where it happened.
    log.error("unhandled %s on %s %s", exception_place(exc), request.method, request.url.path)
    return render_error(request.scope, 500, *SERVER_ERROR)


EXCEPTION_HANDLERS = {
    NotFound: not_found,
    Forbidden: forbidden,
    HTTPException: http_error,
    Exception: server_error,
}
