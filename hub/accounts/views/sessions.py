"""Mijn account: ending one's other sessions (a lost phone, a shared computer; the list is on the account page), and
staying logged in when the idle warning asks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.auth import AuthService
from hub.accounts.devices import end_other_sessions, end_own_session
from hub.accounts.views.account import origin_of
from hub.audit import auth_events as events
from hub.db import transaction, utcnow
from hub.web.forms import runtime
from hub.web.guards import login_required, user_of


def _back(request: Request, done: str) -> Response:
    return RedirectResponse(request.app.url_path_for("accounts.account") + f"?gelukt={done}#sessies", status_code=303)


@login_required()
async def end_session(request: Request) -> Response:
    active = user_of(request)
    session_id = request.path_params["session_id"]
    async with transaction(runtime(request).sessions) as db:
        await end_own_session(db, active.user, session_id, active.session.id)  # another's: NotFound (404)
        await events.record_auth_event(
            db, events.SESSION_ENDED, origin_of(request), user_id=active.user.id,
            organisation_id=active.user.organisation_id, object_type="session", object_id=session_id,
        )  # fmt: skip
    return _back(request, "sessie")


@login_required()
async def end_others(request: Request) -> Response:
    active = user_of(request)
    async with transaction(runtime(request).sessions) as db:
        await end_other_sessions(db, active.user, active.session.id)
        await events.record_auth_event(
            db, events.SESSION_ENDED, origin_of(request), user_id=active.user.id,
            organisation_id=active.user.organisation_id,
        )  # fmt: skip
    return _back(request, "sessies")


@login_required()
async def keep_alive(request: Request) -> Response:
    """ "Ingelogd blijven" in the idle warning (static/session-timeout.js): the idle time starts again."""
    active = user_of(request)
    rt = runtime(request)
    async with transaction(rt.sessions) as db:
        ends = await AuthService(db, rt.keyring, idle=rt.settings.session_idle).keep_alive(active)
    return JSONResponse({"seconds": max(0, int((ends - utcnow()).total_seconds()))})


routes = [
    Route("/sessie/verlengen", keep_alive, methods=["POST"], name="accounts.session_keep_alive"),
    Route("/account/sessies/andere-beeindigen", end_others, methods=["POST"], name="accounts.sessions_end_others"),
    Route("/account/sessies/{session_id}/beeindigen", end_session, methods=["POST"], name="accounts.session_end"),
]
