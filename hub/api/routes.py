"""Every API operation, and the mounted app that serves them below ``/api/v1``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, Router

from hub.api import API_PREFIX, case_writes, milestones, routekaart, thread_writes
from hub.api import cases as case_api
from hub.api import documents as document_api
from hub.api import downloads as download_api
from hub.api import messages as message_api
from hub.api.openapi import openapi_operation
from hub.api.operations import Operation, api_routes, not_found
from hub.api.problems import problem_response


def operations() -> list[Operation]:
    """The API's operations, in the order the document lists them."""
    return [
        OPENAPI, *case_api.OPERATIONS, *case_writes.OPERATIONS, *milestones.OPERATIONS, *document_api.OPERATIONS,
        *download_api.OPERATIONS,
        *message_api.OPERATIONS, *thread_writes.OPERATIONS, *routekaart.OPERATIONS,
    ]  # fmt: skip


OPENAPI = openapi_operation(operations)


async def _bare_prefix(request: Request) -> Response:
    return problem_response(404, "Deze URL bestaat niet in de API. Het OpenAPI-document staat op /api/v1/openapi.json.")


def routes() -> list[BaseRoute]:
    """The mounted API, and its bare prefix as a 404 (else the app would redirect /api/v1 to /api/v1/)."""
    # No redirect for a trailing slash: the API has none, and an unknown path is a problem (404), not a page.
    router = Router(routes=api_routes(operations()), redirect_slashes=False, default=not_found)
    return [Route(API_PREFIX, _bare_prefix), Mount(API_PREFIX, app=router, name="api")]
