"""Errors as ``application/problem+json`` (RFC 9457): ``type``, ``title``, ``status``, ``detail`` and, for a 400,
``invalidParams`` (one entry per field: ``name`` and ``reason``). Titles and details are Dutch, as in the pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.api import API_PREFIX, API_VERSION

PROBLEM_TYPE = "application/problem+json"
TITLES = {
    400: "Ongeldig verzoek",
    401: "Niet geauthenticeerd",
    403: "Geen toegang",
    404: "Niet gevonden",
    405: "Methode niet toegestaan",
    409: "Conflict",
    410: "Niet meer beschikbaar",
    413: "Te groot",
    415: "Mediatype niet ondersteund",
    416: "Bereik niet beschikbaar",
    422: "Niet verwerkt",
    429: "Te veel verzoeken",
    500: "Interne fout",
    503: "Tijdelijk niet beschikbaar",
}


class ApiProblem(Exception):
    """An answer other than success, raised anywhere below an operation and answered as a problem."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        invalid: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.invalid = invalid or {}
        self.headers = headers or {}


def problem_response(
    status: int, detail: str, *, invalid: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Fout"), "status": status}
    body["detail"] = detail
    if invalid:
        body["invalidParams"] = [{"name": name, "reason": reason} for name, reason in invalid.items()]
    return JSONResponse(
        body,
        status_code=status,
        media_type=PROBLEM_TYPE,
        headers={"API-Version": API_VERSION, **(headers or {})},
    )


def from_problem(problem: ApiProblem) -> JSONResponse:
    return problem_response(problem.status, problem.detail, invalid=problem.invalid, headers=problem.headers)


Handler = Callable[[Request, Exception], Coroutine[Any, Any, Response]]


def problems_below_api(pages: Handler) -> Handler:
    """The app's HTTPException handler, answering a problem for a path below /api that no API route took (a path
    the mount does not match, such as one with a line break in it, or another version) and the pages' answer
    anywhere else."""

    async def handle(request: Request, exc: Exception) -> Response:
        path = request.url.path
        # Below /api as a whole: a client asking for a version that does not exist (/api/v2) gets a problem too.
        api_root = API_PREFIX.rsplit("/", 1)[0]
        if isinstance(exc, HTTPException) and (path == api_root or path.startswith(api_root + "/")):
            return problem_response(exc.status_code, "Deze URL bestaat niet in de API.")
        return await pages(request, exc)

    return handle
