"""Jinja2 rendering for the Dutch pages: autoescaped, with the user, CSRF token and navigation in every page.

The menu comes from the navigation builder the app wired in (:class:`hub.web.site.Site`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates
from starlette.types import Scope

from hub.resources import TEMPLATE_DIR
from hub.terms import AMSTERDAM
from hub.terms.wording import MAANDEN
from hub.web.form_fill import fill_form
from hub.web.forms import DATE_FORMAT_HINT, date_text
from hub.web.kept_forms import KEPT_NOTICE
from hub.web.session import LoadedSession


def datum(value: date | datetime | None) -> str:
    """29 april 2026 (dates) or 29 april 2026 16:05 (moments, in Dutch time)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        local = value.astimezone(AMSTERDAM)
        return f"{local.day} {MAANDEN[local.month - 1]} {local.year} {local:%H:%M}"
    return f"{value.day} {MAANDEN[value.month - 1]} {value.year}"


# The context keys under which pages hand problems to their templates.
PROBLEM_KEYS = ("errors", "error", "action_error")


def form_failed(name: str, status_code: int, context: dict[str, Any]) -> bool:
    """A page that shows a refused submit or search: its title starts with "Fout: " (WCAG 3.3.1). The error page of
    a 404 or 403 keeps its own title: it is not a form."""
    if name == "error.html":
        return False
    return 400 <= status_code < 500 or any(context.get(key) for key in PROBLEM_KEYS)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["datum"] = datum
    env.filters["invoerdatum"] = date_text  # a date field's value: 13-03-2026
    env.globals["DATE_FORMAT_HINT"] = DATE_FORMAT_HINT
    return env


templates = Jinja2Templates(env=_environment())


def _session_seconds(active: LoadedSession | None) -> int:
    """Seconds until the full session ends without a further request (0: unknown, no idle warning)."""
    ends = getattr(active, "expires_at", None) if active is not None and active.is_full else None
    if ends is None:
        return 0
    return max(0, int((ends - datetime.now(UTC)).total_seconds()))


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    active: LoadedSession | None = request.state.active if hasattr(request.state, "active") else None
    site = getattr(request.app.state, "site", None)
    ctx: dict[str, Any] = {
        "active": active,
        "user": active.user if active else None,
        "nav": site.navigation(request, active) if site is not None else [],
        # The version helps a user report a problem; an anonymous visitor learns nothing of what the hub runs.
        "version": site.version if site is not None and active is not None and active.is_full else "",
        "csrf_token": request.state.csrf_token
        if hasattr(request.state, "csrf_token")
        else (active.session.csrf_token if active else ""),
        "path": request.url.path,
        "errors": {},
        "values": {},
        "kept_notice": "",
        "session_seconds": _session_seconds(active),
        "session_warning": site.session_warning_seconds if site is not None else 0,
    }
    kept = getattr(request.state, "kept_form", None)
    if kept is not None:
        ctx["kept_notice"] = KEPT_NOTICE
    ctx.update(context or {})
    ctx["form_failed"] = form_failed(name, status_code, ctx)
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
    if kept is None:
        return response
    request.state.kept_form = None  # one page gets it back, once
    filled, _ = fill_form(bytes(response.body).decode("utf-8"), request.url.path, kept.form_path, kept.fields)
    kept_headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return HTMLResponse(filled, status_code=status_code, headers=kept_headers)


def render_error(scope: Scope, status: int, title: str, message: str) -> Response:
    request = Request(scope)
    if "state" not in scope:
        scope["state"] = {}
    try:
        return render(request, "error.html", {"title": title, "message": message, "status": status}, status_code=status)
    except Exception:  # the error page must never fail itself
        return HTMLResponse(f"<h1>{status}</h1>", status_code=status)
