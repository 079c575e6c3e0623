"""What the administration pages share: redirects after a POST, notices, error order, the date field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SELF_ACTION = "Dit kunt u niet voor uw eigen account doen. Vraag een andere beheerder."


def redirect_to(request: Request, name: str, *, gelukt: str = "", **params: Any) -> RedirectResponse:
    """303 to a named route. Redirects after a successful POST carry a fixed key (`?gelukt=...`), never a name or
    address."""
    path = str(request.app.url_path_for(name, **params))
    return RedirectResponse(f"{path}?gelukt={gelukt}" if gelukt else path, status_code=303)


def notice(request: Request, notices: dict[str, str]) -> str:
    return notices.get(request.query_params.get("gelukt", ""), "")


def in_form_order(errors: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """The error summary lists the problems in the order of the form's fields."""
    ordered = {k: errors[k] for k in fields if k in errors}
    ordered.update({k: v for k, v in errors.items() if k not in ordered})
    return ordered


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
