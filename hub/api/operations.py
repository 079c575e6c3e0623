"""A typed API operation and how it is served.

An :class:`Operation` declares everything about one method on one path: its scope, its query, body and response
models (pydantic), its handler. The routes (:func:`api_routes`) and the OpenAPI document (hub.api.openapi) are both
made from the same list of operations, so they cannot drift apart.

Serving one call: authenticate (hub.api.authn; an open operation skips it), check the scope (403), check the path's
ids and parse the query and the body into their models (400 with ``invalidParams``), run the handler, answer JSON.
Every refusal the services raise becomes its problem: NotFound 404 (another organisation's object too), Forbidden
403, ValidationError 400. An unexpected error is logged by type and place only (its text may hold personal data).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as ModelError
from pydantic.alias_generators import to_camel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from hub.api import API_VERSION
from hub.api.authn import Authenticator, BearerTokens, Principal
from hub.api.problems import ApiProblem, from_problem, problem_response
from hub.errors import Forbidden, NotFound, OutcomeUnknown, StorageUnavailable, ValidationError, exception_place
from hub.runtime import Runtime

log = logging.getLogger("hub.api")
M = TypeVar("M", bound=BaseModel)
MAX_JSON_BYTES = 64 * 1024
ID_PATTERN = "^[0-9a-f]{32}$"  # every object's id (hub.db.new_id)


class ApiModel(BaseModel):
    """Every request and response model: camelCase names on the wire, unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class NoQuery(ApiModel):
    model_config = ConfigDict(extra="ignore")


@dataclass(frozen=True)
class Call:
    """What a handler gets: the request, who calls, the runtime and the parsed query and body."""

    request: Request
    principal: Principal
    runtime: Runtime
    query: BaseModel
    body: BaseModel | None

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])

    def query_as(self, model: type[M]) -> M:
        return cast(M, self.query)

    def body_as(self, model: type[M]) -> M:
        return cast(M, self.body)


Handler = Callable[[Call], Awaitable[BaseModel | Response]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # below /api/v1, path parameters in camelCase: /cases/{caseId}
    operation_id: str
    summary: str
    handler: Handler | Callable[[Request], Awaitable[Response]]
    tag: str
    scope: str | None = None  # None: open to anyone (the OpenAPI document only)
    query: type[BaseModel] = NoQuery
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    # A response that is not JSON (a download): its media type; a body that is not JSON (an upload): its media type.
    response_media: str | None = None
    request_media: str | None = None
    description: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)  # a required request header: its description
    optional_headers: dict[str, tuple[str, str]] = field(default_factory=dict)  # name: (description, pattern)
    extra_statuses: tuple[int, ...] = field(default=())
    # Answers that are no JSON and no plain problem (a download's 206, a 416 with Content-Range): the status and its
    # OpenAPI response object (the API-Version header is added).
    extra_responses: dict[int, dict[str, Any]] = field(default_factory=dict)
    path_patterns: dict[str, str] = field(default_factory=dict)  # a path parameter that is no object id: its pattern

    @property
    def is_open(self) -> bool:
        return self.scope is None

    def path_pattern(self, name: str) -> str:
        return self.path_patterns.get(name, ID_PATTERN)


def _invalid(error: ModelError) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "body"
        found.setdefault(name, item["msg"])
    return found


def parse_path(op: Operation, request: Request) -> None:
    """Every path parameter must fit its pattern (an object id unless the operation names another); anything else is
    a 400 naming it, without its value (the document gives the patterns)."""
    invalid = {
        name: f"Past niet in het patroon {op.path_pattern(name)}."
        for name, value in request.path_params.items()
        if not re.fullmatch(op.path_pattern(name).removeprefix("^").removesuffix("$"), str(value))
    }
    if invalid:
        raise ApiProblem(400, "Een of meer padparameters zijn ongeldig.", invalid=invalid)


def parse_query(op: Operation, request: Request) -> BaseModel:
    params = {k: request.query_params.getlist(k)[-1] for k in request.query_params.keys()}
    try:
        # As strings, strictly: a date parameter takes a date (2026-01-05), not a date-time that happens to be midnight.
        return op.query.model_validate_strings(params, strict=True)
    except ModelError as exc:
        raise ApiProblem(400, "Een of meer queryparameters zijn ongeldig.", invalid=_invalid(exc)) from None


async def parse_body(op: Operation, request: Request) -> BaseModel | None:
    if op.body is None:
        return None
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise ApiProblem(415, "Stuur de gegevens als application/json.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON_BYTES:
            raise ApiProblem(413, "Het verzoek is te groot.")
    # Parsed and validated in one step by pydantic's own JSON parser, strictly: it bounds the nesting depth (the
    # standard library's parser recursed into a 500), refuses invalid UTF-8 and lone surrogates, and takes a date,
    # a time or a flag only as JSON spells them (never the number 0 as 1970-01-01, nor "true" as a flag).
    try:
        return op.body.model_validate_json(bytes(raw), strict=True)
    except ModelError as exc:
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            raise ApiProblem(400, "De inhoud is geen geldige JSON.") from None
        raise ApiProblem(400, "Een of meer velden zijn ongeldig.", invalid=_invalid(exc)) from None


def json_response(model: BaseModel, status: int = 200) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json", by_alias=True), status_code=status)


def authenticator_of(request: Request) -> Authenticator:
    """The app's authenticator (app.py may set another, e.g. mutual TLS); bearer tokens by default."""
    return cast(Authenticator, getattr(request.app.state, "api_authenticator", None) or BearerTokens())


async def serve(op: Operation, request: Request) -> Response:
    runtime = cast(Runtime, request.app.state.hub)
    try:
        if op.is_open:
            response = await cast(Callable[[Request], Awaitable[Response]], op.handler)(request)
        else:
            principal = await authenticator_of(request).authenticate(request, runtime)
            if op.scope not in principal.scopes:
                raise ApiProblem(403, f"Deze API-sleutel heeft de bevoegdheid {op.scope} niet.")
            parse_path(op, request)
            query = parse_query(op, request)
            body = await parse_body(op, request)
            call = Call(request=request, principal=principal, runtime=runtime, query=query, body=body)
            result = await cast(Handler, op.handler)(call)
            response = result if isinstance(result, Response) else json_response(result, op.status)
    except ApiProblem as problem:
        response = from_problem(problem)
    except NotFound:
        response = problem_response(404, "Dit object bestaat niet of is niet van uw organisatie.")
    except Forbidden:
        response = problem_response(403, "Uw rol staat deze handeling niet toe.")
    except ValidationError as exc:
        # The service names its form fields; the API names them as its JSON does.
        invalid = {to_camel(name): reason for name, reason in exc.errors.items()}
        response = problem_response(400, "Een of meer velden zijn ongeldig.", invalid=invalid)
    except OutcomeUnknown as exc:
        response = problem_response(
            503, f"Niet bekend of {exc.what} is opgeslagen. Controleer het en probeer zo nodig opnieuw."
        )
    except StorageUnavailable as exc:
        log.error("blob store unavailable (%s) in %s", exc.code, op.operation_id)
        response = problem_response(
            503,
            "De opslag van de documenten is tijdelijk niet bereikbaar; er is niets bewaard. Probeer het later opnieuw.",
            headers={"Retry-After": str(StorageUnavailable.RETRY_AFTER)},
        )
    except Exception as exc:  # the text may hold personal data: only its type and place are logged
        log.error("API error in %s: %s", op.operation_id, exception_place(exc))
        response = problem_response(500, "Er ging iets mis op de server. Probeer het later opnieuw.")
    response.headers["API-Version"] = API_VERSION
    return response


class ApiRoute(Route):
    """One path with its operations; a method it does not offer is answered 405 as a problem (with Allow)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            allow = ", ".join(sorted(self.methods))
            response = problem_response(405, "Deze methode kan hier niet.", headers={"Allow": allow})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def api_routes(operations: Sequence[Operation]) -> list[Route]:
    """One route per path, dispatching on the method to its operation."""
    by_path: dict[str, dict[str, Operation]] = defaultdict(dict)
    for op in operations:
        if op.method in by_path[op.path]:
            raise ValueError(f"two operations for {op.method} {op.path}")
        by_path[op.path][op.method] = op

    def endpoint_for(ops: dict[str, Operation]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            return await serve(ops[method], request)

        return endpoint

    return [
        ApiRoute(path, endpoint_for(ops), methods=list(ops), name=f"api.{next(iter(ops.values())).operation_id}")
        for path, ops in by_path.items()
    ]


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    """Any other path below /api/v1 (also one with a trailing slash: the API never redirects)."""
    await problem_response(404, "Deze URL bestaat niet in de API.")(scope, receive, send)


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)
