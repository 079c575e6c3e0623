"""`/.well-known/security.txt` and the disclosure page it points to; both public, no session needed."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hub.config import Settings
from hub.disclosure import policy
from hub.disclosure.security_txt import SecurityTxt
from hub.web.forms import runtime
from hub.web.templating import render

POLICY_ROUTE = "disclosure.policy"
SECURITY_TXT_ROUTE = "disclosure.security_txt"


def _absolute(request: Request, settings: Settings, route: str) -> str:
    """The public URL of a route: the operator's HUB_BASE_URL, never the Host header a client sent."""
    return settings.base_url + request.app.url_path_for(route)


async def security_txt(request: Request) -> Response:
    settings = runtime(request).settings
    document = SecurityTxt(
        contacts=settings.security_contacts,
        policy=settings.security_policy_url or _absolute(request, settings, POLICY_ROUTE),
        canonical=_absolute(request, settings, SECURITY_TXT_ROUTE),
    )
    return PlainTextResponse(document.render(datetime.now(UTC)))  # text/plain; charset=utf-8


async def policy_page(request: Request) -> Response:
    settings = runtime(request).settings
    contacts = [(contact, contact.removeprefix("mailto:")) for contact in settings.security_contacts]
    return render(
        request,
        "disclosure/policy.html",
        {
            "title": "Kwetsbaarheid melden",
            "contacts": contacts,
            "own_policy": settings.security_policy_url,
            "acknowledge_werkdagen": policy.ACKNOWLEDGE_WERKDAGEN,
            "assess_werkdagen": policy.ASSESS_WERKDAGEN,
            "fix_within_days": policy.FIX_WITHIN_DAYS,
        },
    )


routes = [
    Route("/.well-known/security.txt", security_txt, methods=["GET"], name=SECURITY_TXT_ROUTE),
    Route("/kwetsbaarheid-melden", policy_page, methods=["GET"], name=POLICY_ROUTE),
]
