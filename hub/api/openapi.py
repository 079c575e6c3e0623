"""The OpenAPI 3.1 document, generated from the operations and their pydantic models (never written by hand).

Served without a token at ``/api/v1/openapi.json``. Every response names the ``API-Version`` header; every error is
a problem (RFC 9457). A test compares this document with the app's routes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, cast

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.accounts.api_tokens import SCOPES
from hub.api import API_PREFIX, API_VERSION
from hub.api.operations import NoQuery, Operation
from hub.api.problems import PROBLEM_TYPE, TITLES
from hub.api.webhook_docs import TAG as WEBHOOK_TAG
from hub.api.webhook_docs import webhooks
from hub.runtime import Runtime

REF = "#/components/schemas/{model}"
PATH_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)}")
VERSION_HEADER = {"$ref": "#/components/headers/API-Version"}


def _problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "invalidParams": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "reason"],
                    "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
                },
            },
        },
    }


class _Schemas:
    """Collects the models' schemas (and the models they use) into components."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {"Problem": _problem_schema()}

    def ref(self, model: type[BaseModel]) -> dict[str, Any]:
        self.components[model.__name__] = self._schema(model)
        return {"$ref": REF.format(model=model.__name__)}

    def properties(self, model: type[BaseModel]) -> tuple[dict[str, Any], set[str]]:
        schema = self._schema(model)
        return schema.get("properties", {}), set(schema.get("required", []))

    def _schema(self, model: type[BaseModel]) -> dict[str, Any]:
        schema = without_null_branches(model.model_json_schema(by_alias=True, ref_template=REF))
        for name, sub in schema.pop("$defs", {}).items():
            self.components[name] = sub
        return cast(dict[str, Any], schema)


def without_null_branches(schema: Any) -> Any:
    """Pydantic writes an optional field as ``anyOf: [{type: string, format: date}, {type: null}]``; the same as one
    schema with ``type: [string, "null"]`` (JSON Schema 2020-12), which keeps the ``format`` where readers (and the
    API Design Rules' date rules) look for it. A ``$ref`` or richer ``anyOf`` stays as it is."""
    if isinstance(schema, list):
        return [without_null_branches(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: without_null_branches(value) for key, value in schema.items()}
    branches = schema.get("anyOf")
    if isinstance(branches, list) and len(branches) == 2 and {"type": "null"} in branches:
        other = branches[0] if branches[1] == {"type": "null"} else branches[1]
        if isinstance(other.get("type"), str) and not set(other) & set(schema):
            del schema["anyOf"]
            return {**schema, **other, "type": [other["type"], "null"]}
    return schema


def _problem(status: int) -> dict[str, Any]:
    return {
        "description": TITLES.get(status, "Fout"),
        "headers": {"API-Version": VERSION_HEADER},
        "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _operation(op: Operation, schemas: _Schemas) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": op.path_pattern(name)}}
        for name in PATH_PARAM.findall(op.path)
    ]
    params += [
        {"name": name, "in": "header", "required": True, "description": text, "schema": {"type": "string"}}
        for name, text in op.request_headers.items()
    ]
    params += [
        {"name": name, "in": "header", "required": False, "description": text,
         "schema": {"type": "string", "pattern": pattern}}
        for name, (text, pattern) in op.optional_headers.items()
    ]  # fmt: skip
    if op.query is not NoQuery:
        props, required = schemas.properties(op.query)
        for name, schema in props.items():
            entry = {"name": name, "in": "query", "required": name in required, "schema": schema}
            if "description" in schema:
                entry["description"] = schema["description"]
            params.append(entry)
    ok: dict[str, Any] = {"description": "OK", "headers": {"API-Version": VERSION_HEADER}}
    if op.response is not None:
        ok["content"] = {"application/json": {"schema": schemas.ref(op.response)}}
    elif op.response_media:
        ok["content"] = {op.response_media: {"schema": {"type": "string", "format": "binary"}}}
    statuses = {*op.extra_statuses}
    if not op.is_open:
        statuses |= {401, 403, 429}
    if params and any(p["in"] == "path" for p in params):
        statuses.add(404)
    if op.body is not None or op.request_media or params:  # a malformed id too (hub.api.operations.parse_path)
        statuses.add(400)
    doc: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": params,
        "responses": {str(op.status): ok, **{str(s): _problem(s) for s in sorted(statuses)}},
    }
    for status, answer in sorted(op.extra_responses.items()):
        headers = {"API-Version": VERSION_HEADER, **answer.get("headers", {})}
        doc["responses"][str(status)] = {**answer, "headers": headers}
    if op.description or op.scope:
        doc["description"] = " ".join(x for x in (op.description, f"Scope: `{op.scope}`." if op.scope else "") if x)
    doc["security"] = [] if op.is_open else [{"apiToken": []}]
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {"application/json": {"schema": schemas.ref(op.body)}}}
    elif op.request_media:
        doc["requestBody"] = {
            "required": True,
            "content": {op.request_media: {"schema": {"type": "string", "format": "binary"}}},
        }
    return doc


def document(operations: Sequence[Operation], *, base_url: str, contact_email: str) -> dict[str, Any]:
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, schemas)
    scope_list = "; ".join(f"`{name}`: {label}" for name, label in SCOPES.items())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hub API",
            "version": API_VERSION,
            "description": (
                "De API van de hub tussen gemeenten en beschermingsbewindvoerders: dezelfde regels, rechten en "
                f"audit als de pagina's. Authenticatie met een API-sleutel als Bearer-token. Scopes: {scope_list}."
            ),
            "contact": {
                "name": "Beheer van deze hub",
                "url": f"{base_url}/.well-known/security.txt",
                **({"email": contact_email} if contact_email else {}),
            },
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "servers": [{"url": f"{base_url}{API_PREFIX}"}],
        "tags": [*_tags(operations), {"name": WEBHOOK_TAG}],
        "paths": paths,
        "webhooks": webhooks(schemas.ref),
        "components": {
            "schemas": dict(sorted(schemas.components.items())),
            "headers": {
                "API-Version": {
                    "description": "De volledige versie van de API.",
                    "schema": {"type": "string", "example": API_VERSION},
                }
            },
            "securitySchemes": {"apiToken": {"type": "http", "scheme": "bearer", "description": "Een API-sleutel."}},
        },
    }


def _tags(operations: Sequence[Operation]) -> list[dict[str, str]]:
    return [{"name": tag} for tag in dict.fromkeys(op.tag for op in operations)]


def openapi_operation(all_operations: Callable[[], Sequence[Operation]]) -> Operation:
    async def openapi_json(request: Request) -> Response:
        settings = cast(Runtime, request.app.state.hub).settings
        return JSONResponse(
            document(all_operations(), base_url=settings.base_url, contact_email=settings.api_contact_email)
        )

    return Operation(
        method="GET",
        path="/openapi.json",
        operation_id="getOpenApi",
        summary="Dit OpenAPI-document",
        handler=openapi_json,
        tag="API",
    )
