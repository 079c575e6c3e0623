"""The JSON API under ``/api/v1`` (issue 17): the composition layer for system integrations.

It calls the same services as the pages, with the same authorisation and audit; services never import it. One
module a job: :mod:`~hub.api.problems` (RFC 9457 errors), :mod:`~hub.api.authn` (who calls: the swappable
:class:`~hub.api.authn.Authenticator`), :mod:`~hub.api.operations` (a typed operation and how it is served),
:mod:`~hub.api.openapi` (the document, generated from the operations), :mod:`~hub.api.paging` (cursors),
:mod:`~hub.api.persons` (writes that name a person), and one module per resource or group of operations (cases,
case_writes, milestones, documents, messages, thread_writes, routekaart).
"""

from __future__ import annotations

# The full version of the API's contract (NL API Design Rules: the major in the path, all of it in API-Version).
API_VERSION = "1.0.0"
API_PREFIX = "/api/v1"
