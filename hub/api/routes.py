"""Every API operation, and the mounted app that serves them below ``/api/v1``."""

from __future__ import annotations

from starlette.routing import Mount, Router

from hub.api import API_PREFIX
from hub.api import cases as case_api
from hub.api import documents as document_api
from hub.api import messages as message_api
from hub.api.openapi import openapi_operation
from hub.api.operations import Operation, api_routes, not_found


def operations() -> list[Operation]:
    """The API's operations, in the order the document lists them."""
    return [OPENAPI, *case_api.OPERATIONS, *document_api.OPERATIONS, *message_api.OPERATIONS]


OPENAPI = openapi_operation(operations)


def mount() -> Mount:
    # No redirect for a trailing slash: the API has none, and an unknown path is a problem (404), not a page.
    router = Router(routes=api_routes(operations()), redirect_slashes=False, default=not_found)
    return Mount(API_PREFIX, app=router, name="api")
