"""The last line of defence: an unhandled exception becomes the Dutch 500 page and a log line without its text."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ErrorShieldMiddleware:
    """Turns an unhandled exception into the Dutch 500 page and a log line without the exception's text.

    Exception messages can carry personal data (a value that failed to parse, an SQL parameter), so neither the
    message nor the traceback's locals are logged; only the type and where it was raised.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            from hub.web.errors import server_error

            response = await server_error(Request(scope), exc)
            if not started:
                await response(scope, receive, send)
