"""The enrolment link (hub.accounts.enrolment): the user chooses their own password, then enrols MFA as at any first
login. The token is in the path; the page's response carries no referrer (security headers), and an unknown, used or
expired link gets one answer that says nothing about which."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.enrolment import EnrolmentService
from hub.accounts.views.account import origin_of
from hub.errors import ValidationError
from hub.web.forms import form_values, runtime
from hub.web.guards import current
from hub.web.site import cookies_of
from hub.web.templating import render

LINK_INVALID = (
    "Deze link werkt niet (meer): hij is al gebruikt of verlopen. Vraag de beheerder van uw organisatie om een nieuwe. "
    "Bent u zelf de eerste beheerder van uw organisatie? Vraag het dan de functioneel beheerder van de beveiligde "
    "omgeving."
)


def _csrf(request: Request) -> str:
    """The token the CSRF check expects: the session's, or (without one) the login-form cookie's."""
    active = current(request)
    if active is not None:
        token: str = active.session.csrf_token
        return token
    return request.cookies.get(cookies_of(request).login_csrf_name) or secrets.token_urlsafe(32)


def _page(request: Request, *, valid: bool, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    token = _csrf(request)
    request.state.csrf_token = token
    response = render(
        request,
        "accounts/enrol.html",
        {"valid": valid, "error": "" if valid else LINK_INVALID, "errors": errors or {}},
        status_code=status,
    )
    if current(request) is None:
        cookies_of(request).set_login_csrf(response, token)
    return response


async def enrol(request: Request) -> Response:
    rt = runtime(request)
    service = EnrolmentService(rt.sessions, rt.keyring)
    token = request.path_params["token"]
    if request.method == "GET":
        user = await service.user_for(token)
        return _page(request, valid=user is not None, status=200 if user is not None else 404)
    values = await form_values(request)
    try:
        session_token = await service.complete(
            token, values.get("password", ""), values.get("password_repeat", ""), origin=origin_of(request)
        )
    except ValidationError as exc:
        return _page(request, valid=True, errors=exc.errors, status=400)
    if session_token is None:
        return _page(request, valid=False, status=404)
    response = RedirectResponse(str(request.app.url_path_for("accounts.login_continue")), status_code=303)
    cookies_of(request).set_session(response, session_token)
    return response


routes = [Route("/activeren/{token}", enrol, methods=["GET", "POST"], name="accounts.enrol")]
