"""What the administration pages share: redirects after a POST, notices, error order, the date field."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse

SELF_ACTION = "Dit kunt u niet voor uw eigen account doen. Vraag een andere beheerder."


def redirect_to(request: Request, name: str, *, gelukt: str = "", **params: Any) -> RedirectResponse:
    """303 to a named route. Redirects after a successful POST carry a fixed key (`?gelukt=...`), never a name or
    address."""
    path = str(request.app.url_path_for(name, **params))
    return RedirectResponse(f"{path}?gelukt={gelukt}" if gelukt else path, status_code=303)


def notice(request: Request, notices: dict[str, str]) -> str:
    return notices.get(request.query_params.get("gelukt", ""), "")
