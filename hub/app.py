"""create_app(settings) -> Starlette: the lifespan owns the engine and keyring; middleware and routes are wired here."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from hub.accounts import admin_views
from hub.accounts import views as account_views
from hub.calendars import views as calendar_views
from hub.cases import views as case_views
from hub.config import Settings
from hub.dashboard import views as dashboard_views
from hub.db import create_engine, session_factory
from hub.documents import views as document_views
from hub.documents.services import cleanup_orphan_blobs
from hub.keys import load_keyring
from hub.messaging import views as messaging_views
from hub.notifications import views as notification_views
from hub.runtime import Runtime
from hub.web.cookies import CookiePolicy
from hub.web.errors import EXCEPTION_HANDLERS
from hub.web.middleware import (
    CSRFMiddleware,
    ErrorShieldMiddleware,
    SecurityHeadersMiddleware,
    SessionMiddleware,
)
from hub.worker import start_worker, stop_worker

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Paths whose multipart bodies are parsed by a streaming handler that checks the CSRF token itself.
UPLOAD_PATHS: list[str] = [document_views.UPLOAD_PATH, messaging_views.REPLY_UPLOAD_PATH]


def routes() -> list[BaseRoute]:
    return [
        *account_views.routes,
        *admin_views.routes,
        *dashboard_views.routes,
        *case_views.routes,
        *document_views.routes,
        *notification_views.routes,
        *messaging_views.routes,
        *calendar_views.routes,
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def create_app(settings: Settings) -> Starlette:
    cookies = CookiePolicy(https=settings.https)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        runtime = Runtime(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            keyring=load_keyring(settings.keyring_path, settings.keyring_env),
            cookies=cookies,
        )
        app.state.hub = runtime
        await cleanup_orphan_blobs(runtime.sessions, runtime.blobs)  # left by a crash
        worker = start_worker(runtime) if settings.run_worker else None
        try:
            yield
        finally:
            if worker is not None:
                await stop_worker(*worker)
            await engine.dispose()

    handlers = {k: v for k, v in EXCEPTION_HANDLERS.items() if k is not Exception}
    return Starlette(
        routes=routes(),
        middleware=[
            Middleware(SecurityHeadersMiddleware, https=settings.https),
            Middleware(ErrorShieldMiddleware),
            Middleware(SessionMiddleware, cookies=cookies),
            Middleware(CSRFMiddleware, cookies=cookies, upload_paths=UPLOAD_PATHS),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
