"""Small helpers for reading posted forms and the runtime from a request."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request

from hub.runtime import Runtime


def runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.hub)


async def form_values(request: Request) -> dict[str, str]:
    """The posted fields as plain strings (files are never posted to these forms)."""
    form = await request.form()
    return {k: v.strip() if isinstance(v, str) else "" for k, v in form.items()}


async def form_lists(request: Request, name: str) -> list[str]:
    form = await request.form()
    return [v for v in form.getlist(name) if isinstance(v, str)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
