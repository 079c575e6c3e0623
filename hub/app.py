"""create_app(settings) -> Starlette: the lifespan opens the runtime; middleware, routes and the web layer's
domain hooks (session loader, permission check, navigation) are wired here, so hub/web imports no domain package."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from hub.accounts import views as account_views
from hub.accounts.auth import ActiveSession, AuthService
from hub.accounts.authz import may
from hub.accounts.kept_forms import StoredForms
from hub.accounts.views import convenants as convenant_views
from hub.api import API_PREFIX
from hub.api import routes as api_routes
from hub.api.authn import BearerTokens
from hub.api.problems import Handler, problems_below_api
from hub.audit import head as audit_head
from hub.calendars import views as calendar_views
from hub.cases import correction_views as case_correction_views
from hub.cases import search_views as case_search_views
from hub.cases import views as case_views
from hub.cases import worklist_views as case_worklist_views
from hub.cases.name_index import index_missing_names
from hub.config import Settings
from hub.dashboard import views as dashboard_views
from hub.db import transaction
from hub.disclosure import views as disclosure_views
from hub.documents import views as document_views
from hub.documents import withdrawal_views as document_withdrawal_views
from hub.documents.components import blobs_of
from hub.documents.services import cleanup_orphan_blobs
from hub.messaging import views as messaging_views
from hub.monitoring import compliance_views as monitoring_compliance_views
from hub.monitoring import steekproef_views as monitoring_steekproef_views
from hub.monitoring import views as monitoring_views
from hub.navigation import navigation
from hub.notes import views as note_views
from hub.notifications import views as notification_views
from hub.ops import health_views as ops_health_views
from hub.ops.metrics_server import serving_metrics
from hub.orgdocs import views as orgdocs_views
from hub.origin import current_origin
from hub.oversight import views as oversight_views
from hub.resources import STATIC_DIR
from hub.retention import views as retention_views
from hub.runtime import Runtime, open_runtime
from hub.version import VERSION
from hub.web.access_log import AccessLogMiddleware
from hub.web.cookies import CookiePolicy
from hub.web.csrf import CSRFMiddleware
from hub.web.error_shield import ErrorShieldMiddleware
from hub.web.errors import EXCEPTION_HANDLERS, http_error
from hub.web.kept_forms import KeptFormMiddleware
from hub.web.metrics import RequestMetrics, RequestMetricsMiddleware
from hub.web.request_id import RequestIdMiddleware
from hub.web.security_headers import SecurityHeadersMiddleware
from hub.web.session import EndedSession, SessionMiddleware
from hub.web.site import Site
from hub.webhooks import views as webhook_views
from hub.worker import start_worker, stop_worker

# Routes whose multipart bodies are parsed by a streaming handler that checks the CSRF token itself.
UPLOAD_ROUTES: list[str] = [
    document_views.UPLOAD_ROUTE,
    messaging_views.REPLY_UPLOAD_ROUTE,
    messaging_views.NEW_UPLOAD_ROUTE,
    convenant_views.UPLOAD_ROUTE,
    orgdocs_views.UPLOAD_ROUTE,
]


def routes() -> list[BaseRoute]:
    return [
        *ops_health_views.routes,
        *account_views.routes,
        *dashboard_views.routes,
        *case_views.routes,
        *case_correction_views.routes,
        *case_search_views.routes,
        *case_worklist_views.routes,
        *document_views.routes,
        *document_withdrawal_views.routes,
        *orgdocs_views.routes,
        *notification_views.routes,
        *messaging_views.routes,
        *note_views.routes,
        *monitoring_compliance_views.routes,
        *monitoring_steekproef_views.routes,
        *calendar_views.routes,
        *disclosure_views.routes,
        *oversight_views.routes,
        *retention_views.routes,
        *monitoring_views.routes,
        *webhook_views.routes,
        *api_routes.routes(),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def create_app(settings: Settings) -> Starlette:
    cookies = CookiePolicy(https=settings.https)
    registry = CollectorRegistry()  # the app's own: several apps in one process (tests) never share a series

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime:
            runtime.keyring  # noqa: B018 -- load it now: a missing or unreadable keyring stops the start
            app.state.hub = runtime
            async with runtime.transaction() as db:
                await audit_head.anchor(db, settings.audit_head_file)  # a hub upgraded to the head file
            await cleanup_orphan_blobs(runtime.sessions, blobs_of(runtime))  # left by a crash
            await index_missing_names(runtime.sessions, runtime.keyring)  # cases opened before the name index
            worker = start_worker(runtime) if settings.run_worker else None
            try:
                async with contextlib.AsyncExitStack() as stack:
                    if settings.metrics_port is not None:
                        loop = asyncio.get_running_loop()
                        metrics_server = serving_metrics(
                            registry, runtime.sessions, loop, host=settings.metrics_host, port=settings.metrics_port
                        )
                        app.state.metrics_server = stack.enter_context(metrics_server)
                    yield
            finally:
                if worker is not None:
                    await stop_worker(*worker)

    async def load_session(token: str) -> ActiveSession | EndedSession | None:
        runtime: Runtime = app.state.hub
        async with transaction(runtime.sessions) as db:
            # The origin, for the record of an expired session.
            auth = AuthService(db, runtime.keyring, idle=settings.session_idle)
            active, ended_user_id = await auth.look_up_session(token, origin=current_origin())
        return EndedSession(ended_user_id) if ended_user_id is not None else active

    handlers: dict[type[Exception], Handler] = {k: v for k, v in EXCEPTION_HANDLERS.items() if k is not Exception}
    handlers[HTTPException] = problems_below_api(http_error)
    app_routes = routes()
    named = {getattr(route, "name", None) for route in app_routes}
    if missing := [name for name in UPLOAD_ROUTES if name not in named]:
        # A misspelt name would leave that upload refused (403) until its first use: stop at once instead.
        raise LookupError(f"upload route(s) not found: {', '.join(missing)}")
    measuring = (
        [Middleware(RequestMetricsMiddleware, metrics=RequestMetrics(registry, UPLOAD_ROUTES))]
        if settings.metrics_port is not None
        else []
    )
    app = Starlette(
        routes=app_routes,
        middleware=[
            Middleware(RequestIdMiddleware),
            *measuring,
            Middleware(AccessLogMiddleware, quiet=ops_health_views.PROBE_PATHS),
            Middleware(SecurityHeadersMiddleware, https=settings.https),
            Middleware(ErrorShieldMiddleware),
            # A session cookie never authenticates an API call, and bearer-token calls carry no CSRF token.
            Middleware(SessionMiddleware, cookies=cookies, loader=load_session, skip_prefix=API_PREFIX),
            Middleware(KeptFormMiddleware, cookies=cookies, keeper=StoredForms(lambda: app.state.hub)),
            Middleware(CSRFMiddleware, cookies=cookies, upload_routes=UPLOAD_ROUTES, exempt_prefix=API_PREFIX),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.api_authenticator = BearerTokens()  # the seam for mutual TLS or OAuth (hub.api.authn)
    app.state.site = Site(
        cookies=cookies,
        may=may,
        navigation=navigation,
        version=VERSION,
        session_warning_seconds=settings.session_warning_seconds,
    )
    return app
