"""Where the work being done came from: the client address and user agent of the request being handled.

A leaf that the web layer and the audit log both import: the access-log middleware sets :data:`request_origin` for
each request, and every audit record written while it is handled carries it (hub.audit.services), so a record of a
page view names the address and browser it came from without the request being passed down to every service. Work
without a request (the worker, the command line) has no origin: empty strings.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    """Where a request came from. ``NO_ORIGIN`` for work without a request (the worker, the command line)."""

    client_address: str = ""
    user_agent: str = ""


NO_ORIGIN = Origin()

# (client address, user agent) of the request being handled; empty strings outside a request.
request_origin: ContextVar[tuple[str, str]] = ContextVar("request_origin", default=("", ""))

# The id of the request being handled (hub.web.request_id), on every log line written while it is; "" outside one.
request_id: ContextVar[str] = ContextVar("request_id", default="")


def current_origin() -> Origin:
    """The origin of the request being handled, or ``NO_ORIGIN``."""
    return Origin(*request_origin.get())
