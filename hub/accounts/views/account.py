"""Login, second factor (enrolment, verification, recovery codes), logout and the user's own account page."""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import quote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts import totp
from hub.accounts.auth import ActiveSession, AuthService
from hub.accounts.credentials import CredentialService, ReauthenticationLimit
from hub.accounts.devices import own_sessions
from hub.accounts.kept_forms import user_hint
from hub.accounts.models import NOTIFY_MODES, Organisation, User
from hub.accounts.services import UserService
from hub.audit import auth_events as events
from hub.audit.auth_events import Origin
from hub.db import transaction, utcnow
from hub.errors import ValidationError
from hub.web.forms import client_address, form_values, runtime
from hub.web.guards import current, login_required, safe_next, user_of
from hub.web.site import cookies_of
from hub.web.templating import render

LOGIN_FAILED = "Het e-mailadres of het wachtwoord is niet juist."
THROTTLED = "Te veel mislukte pogingen. Wacht een kwartier en probeer het dan opnieuw."
EXPIRED = (
    "Uw tijdelijke wachtwoord is verlopen. Vraag de beheerder van uw organisatie om een nieuw tijdelijk wachtwoord."
)
CODE_FAILED = "Deze code is niet juist of is al gebruikt. Wacht op een nieuwe code en probeer het opnieuw."
LEGACY_CODE_EXPIRED = (
    "Deze herstelcode is van het oude soort (10 tekens) en werkt niet meer. Log in met de code uit uw app en maak "
    "daarna op Mijn account nieuwe herstelcodes aan. Hebt u de app niet meer? Vraag dan de beheerder van uw "
    "organisatie om uw tweestapsverificatie te herstellen."
)

# Why the login page is shown (set by logout and by hub.web.kept_forms), first match wins.
LOGIN_NOTICES = {
    "uitgelogd": "U bent uitgelogd.",
    "bewaard": "Uw sessie is verlopen. Log opnieuw in: daarna ziet u weer wat u had ingevuld, zodat u het kunt "
    "controleren en opnieuw versturen.",
    "verlopen": "Uw sessie is verlopen. Log opnieuw in om verder te gaan.",
}


def _next(request: Request, values: dict[str, str] | None = None) -> str:
    raw = (values or {}).get("volgende") or request.query_params.get("volgende")
    return safe_next(raw)


def _path(request: Request, name: str) -> str:
    return str(request.app.url_path_for(name))


def _with_next(request: Request, name: str, target: str) -> str:
    """The path of the named route, carrying where the user was going (if anywhere but the start page)."""
    path = _path(request, name)
    return path if target == "/" else f"{path}?volgende={quote(target)}"


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def origin_of(request: Request) -> Origin:
    """Where the request came from, for the audit record (no token, no cookie, nothing typed)."""
    return Origin(client_address=client_address(request), user_agent=request.headers.get("user-agent", ""))


def _reauthentication_limit(request: Request) -> Response:
    """Too many wrong current passwords: the sessions have ended; log in again."""
    response = _redirect(_path(request, "accounts.login"))
    cookies_of(request).clear_session(response)
    return response


def _step_for(active: ActiveSession) -> str:
    """The route where a half-finished login continues."""
    user = active.user
    if user.must_change_password:
        return "accounts.initial_password"
    if user.totp_secret is None:
        return "accounts.mfa_enrol"
    return "accounts.mfa_verify"


async def login_page(request: Request) -> Response:
    active = current(request)
    target = _next(request)
    if active is not None and active.is_full:
        return _redirect(target)
    if active is not None:
        request.state.csrf_token = active.session.csrf_token
        return _show_login(request, target)
    token = request.cookies.get(cookies_of(request).login_csrf_name) or secrets.token_urlsafe(32)
    request.state.csrf_token = token
    response = _show_login(request, target)
    cookies_of(request).set_login_csrf(response, token)
    return response


def _show_login(request: Request, target: str, error: str = "", email: str = "", status: int = 200) -> Response:
    notice = next((text for flag, text in LOGIN_NOTICES.items() if request.query_params.get(flag)), "")
    return render(
        request,
        "accounts/login.html",
        {"error": error, "email": email, "volgende": target, "notice": notice},
        status_code=status,
    )


async def login_submit(request: Request) -> Response:
    rt = runtime(request)
    values = await form_values(request)
    target = _next(request, values)
    email, password = values.get("email", ""), values.get("password", "")
    old = current(request)
    outcome = await CredentialService(rt.sessions, rt.keyring).login(
        email, password, origin_of(request), replace_token=request.state.session_token if old else ""
    )
    if outcome.user is None:
        request.state.csrf_token = (
            old.session.csrf_token if old else request.cookies.get(cookies_of(request).login_csrf_name, "")
        )
        error = THROTTLED if outcome.throttled else EXPIRED if outcome.expired else LOGIN_FAILED
        return _show_login(request, target, error, email, 401)
    response = _redirect(_with_next(request, "accounts.login_continue", target))
    cookies_of(request).set_session(response, outcome.token)
    return response


async def login_continue(request: Request) -> Response:
    active = current(request)
    target = _next(request)
    if active is None:
        return _redirect(_with_next(request, "accounts.login", target))
    if active.is_full:
        return _redirect(target)
    return _redirect(_with_next(request, _step_for(active), target))


def _partial(request: Request, step: str) -> ActiveSession | Response:
    """The half-logged-in session, if this is the step it is at; otherwise where to go."""
    active = current(request)
    target = _next(request)
    if active is None:
        return _redirect(_with_next(request, "accounts.login", target))
    if active.is_full:
        return _redirect(target)
    if _step_for(active) != step:
        return _redirect(_with_next(request, _step_for(active), target))
    return active


async def change_initial_password(request: Request) -> Response:
    active = _partial(request, "accounts.initial_password")
    if not isinstance(active, ActiveSession):
        return active
    target = _next(request)
    if request.method == "GET":
        return render(request, "accounts/initial_password.html", {"volgende": target})
    rt = runtime(request)
    values = await form_values(request)
    target = _next(request, values)
    try:
        await CredentialService(rt.sessions, rt.keyring).set_initial_password(
            active.user, values.get("password", ""), values.get("password_repeat", "")
        )
    except ValidationError as exc:
        return render(
            request,
            "accounts/initial_password.html",
            {"volgende": target, "errors": exc.errors},
            status_code=400,
        )
    return _redirect(_with_next(request, "accounts.login_continue", target))


async def mfa_enrol(request: Request) -> Response:
    active = _partial(request, "accounts.mfa_enrol")
    if not isinstance(active, ActiveSession):
        return active
    rt = runtime(request)
    values = await form_values(request) if request.method == "POST" else {}
    target = _next(request, values)
    async with transaction(rt.sessions) as db:
        auth = AuthService(db, rt.keyring)
        sess = await db.merge(active.session)
        live = ActiveSession(session=sess, user=await db.merge(active.user))
        secret = auth.begin_enrolment(live)
        codes: list[str] | None = None
        if request.method == "POST":
            codes = await auth.complete_enrolment(live, values.get("code", ""))
            if codes is not None:
                user = live.user
                await events.record_auth_event(
                    db, events.MFA_ENROLLED, origin_of(request), user_id=user.id, organisation_id=user.organisation_id
                )
                token, full = await auth.promote_session(live, origin_of(request))
                request.state.csrf_token = full.csrf_token  # the codes page's forms belong to the new session
    if codes is not None:
        response = render(
            request, "accounts/recovery_codes.html", {"codes": codes, "volgende": target, "first_time": True}
        )
        cookies_of(request).set_session(response, token)
        cookies_of(request).set_user_hint(response, user_hint(rt.keyring, live.user.id))
        return response
    uri = totp.provisioning_uri(secret, active.user.email)
    qr = await asyncio.to_thread(totp.qr_svg, uri)  # ~50 ms of CPU: not on the event loop
    context = {
        "qr": Markup(qr),  # noqa: S704  (segno's SVG, built from our own secret, no user input)
        "secret": " ".join(totp.secret_base32(secret)[i : i + 4] for i in range(0, 32, 4)),
        "volgende": target,
        "errors": {"code": CODE_FAILED} if request.method == "POST" else {},
    }
    return render(request, "accounts/mfa_enrol.html", context, status_code=400 if request.method == "POST" else 200)


async def mfa_verify(request: Request) -> Response:
    active = _partial(request, "accounts.mfa_verify")
    if not isinstance(active, ActiveSession):
        return active
    target = _next(request)
    if request.method == "GET":
        return render(request, "accounts/mfa_verify.html", {"volgende": target})
    rt = runtime(request)
    values = await form_values(request)
    target = _next(request, values)
    code = values.get("code", "")
    error = ""
    async with transaction(rt.sessions) as db:
        auth = AuthService(db, rt.keyring)
        user = await db.get(User, active.user.id)
        assert user is not None
        live = ActiveSession(session=await db.merge(active.session), user=user)
        if await auth.mfa_locked(user, origin_of(request)):
            error = THROTTLED
        else:
            digits = code.replace(" ", "")
            by_totp = digits.isascii() and digits.isdigit()
            ok = await auth.verify_totp(user, digits) if by_totp else await auth.use_recovery_code(user, code)
            if ok:
                if not by_totp:
                    await events.record_auth_event(
                        db, events.RECOVERY_CODE_USED, origin_of(request), user_id=user.id,
                        organisation_id=user.organisation_id,
                    )  # fmt: skip
                token, _ = await auth.promote_session(live, origin_of(request))
            else:
                await auth.record_mfa_failure(user, origin_of(request))
                expired = not by_totp and await auth.is_expired_legacy_code(user, code)
                error = LEGACY_CODE_EXPIRED if expired else CODE_FAILED
    if error:
        return render(
            request, "accounts/mfa_verify.html", {"volgende": target, "errors": {"code": error}}, status_code=401
        )
    response = _redirect(target)
    cookies_of(request).set_session(response, token)
    cookies_of(request).set_user_hint(response, user_hint(rt.keyring, active.user.id))
    return response


async def logout(request: Request) -> Response:
    rt = runtime(request)
    active = current(request)
    if request.state.session_token and active is not None:
        async with transaction(rt.sessions) as db:
            await AuthService(db, rt.keyring).end_session(request.state.session_token)
            user = active.user
            await events.record_auth_event(
                db, events.LOGOUT, origin_of(request), user_id=user.id, organisation_id=user.organisation_id
            )
    response = _redirect(_path(request, "accounts.login") + "?uitgelogd=1")
    cookies_of(request).clear_session(response)
    return response


@login_required()
async def account_page(request: Request) -> Response:
    return await _account(request)


async def _account(
    request: Request,
    errors: dict[str, str] | None = None,
    notice: str = "",
    codes: list[str] | None = None,
    status: int = 200,
) -> Response:
    active = user_of(request)
    rt = runtime(request)
    async with transaction(rt.sessions) as db:
        org = await db.get(Organisation, active.user.organisation_id)
        auth = AuthService(db, rt.keyring)
        remaining = await auth.remaining_recovery_codes(active.user)
        legacy_until = await auth.legacy_codes_until(active.user)
        sessions = await own_sessions(db, active.user, active.session.id)
    return render(
        request,
        "accounts/account.html",
        {
            "organisation": org,
            "remaining_codes": remaining,
            "legacy_codes_until": legacy_until,
            "legacy_codes_expired": legacy_until is not None and legacy_until <= utcnow(),
            "own_sessions": sessions,
            "errors": errors or {},
            "notice": notice,
            "codes": codes,
            "notify_options": list(NOTIFY_MODES.items()),
        },
        status_code=status,
    )


@login_required()
async def account_password(request: Request) -> Response:
    active = user_of(request)
    rt = runtime(request)
    values = await form_values(request)
    try:
        token = await CredentialService(rt.sessions, rt.keyring).change_password(
            active.user,
            values.get("current_password", ""),
            values.get("password", ""),
            values.get("password_repeat", ""),
            origin_of(request),
        )
    except ReauthenticationLimit:
        return _reauthentication_limit(request)
    except ValidationError as exc:
        return await _account(request, exc.errors, status=400)
    response = _redirect(_path(request, "accounts.account") + "?gelukt=wachtwoord")
    cookies_of(request).set_session(response, token)
    return response


@login_required()
async def account_notifications(request: Request) -> Response:
    active = user_of(request)
    rt = runtime(request)
    values = await form_values(request)
    try:
        async with transaction(rt.sessions) as db:
            user = await db.get(User, active.user.id)
            assert user is not None
            await UserService(db).set_notify_mode(user, values.get("notify_mode", ""))
    except ValidationError as exc:
        return await _account(request, exc.errors, status=400)
    return _redirect(_path(request, "accounts.account") + "?gelukt=meldingen")


@login_required()
async def account_recovery_codes(request: Request) -> Response:
    active = user_of(request)
    rt = runtime(request)
    values = await form_values(request)
    try:
        codes = await CredentialService(rt.sessions, rt.keyring).new_recovery_codes(
            active.user, values.get("codes_password", ""), origin_of(request)
        )
    except ReauthenticationLimit:
        return _reauthentication_limit(request)
    except ValidationError as exc:
        return await _account(request, exc.errors, status=400)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "volgende": _path(request, "accounts.account"), "first_time": False},
    )


routes = [
    Route("/inloggen", login_page, methods=["GET"], name="accounts.login"),
    Route("/inloggen", login_submit, methods=["POST"], name="accounts.login_submit"),
    Route("/inloggen/vervolg", login_continue, methods=["GET"], name="accounts.login_continue"),
    Route("/inloggen/wachtwoord", change_initial_password, methods=["GET", "POST"], name="accounts.initial_password"),
    Route("/inloggen/mfa/instellen", mfa_enrol, methods=["GET", "POST"], name="accounts.mfa_enrol"),
    Route("/inloggen/mfa", mfa_verify, methods=["GET", "POST"], name="accounts.mfa_verify"),
    Route("/uitloggen", logout, methods=["POST"], name="accounts.logout"),
    Route("/account", account_page, methods=["GET"], name="accounts.account"),
    Route("/account/wachtwoord", account_password, methods=["POST"], name="accounts.password"),
    Route("/account/herstelcodes", account_recovery_codes, methods=["POST"], name="accounts.recovery_codes"),
    Route("/account/meldingen", account_notifications, methods=["POST"], name="accounts.notifications"),
]
