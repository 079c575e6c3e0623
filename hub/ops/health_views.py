"""``GET /healthz`` (the process is alive and its event loop answers) and ``GET /readyz`` (it may take requests:
hub.ops.readiness). No session, no CSRF (GET only), no personal data; the access log writes them at debug level
(hub.web.access_log's quiet routes), so a probe every few seconds does not fill the log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.documents.components import blobs_of
from hub.ops.readiness import ReadinessProbe
from hub.runtime import Runtime

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
PROBE_PATHS = (HEALTH_PATH, READY_PATH)
# A name the store never generates for a document (it is all zeros): asking whether it exists reaches the store
# through its own protocol (a stat in a folder, a HEAD request on a bucket) without writing anything.
PROBE_BLOB = "0" * 32
NO_STORE = {"Cache-Control": "no-store"}


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


def readiness_of(runtime: Runtime) -> ReadinessProbe:
    return runtime.component(
        "ops.readiness", lambda rt: ReadinessProbe(rt.engine, lambda: blobs_of(rt).exists(PROBE_BLOB))
    )


async def readyz(request: Request) -> Response:
    verdict = await readiness_of(request.app.state.hub).check()
    body = {
        "status": "ready" if verdict.ready else "not ready",
        "checks": {name: "ok" if passed else "failed" for name, passed in verdict.checks.items()},
    }
    return JSONResponse(body, status_code=200 if verdict.ready else 503, headers=NO_STORE)


routes = [
    Route(HEALTH_PATH, healthz, methods=["GET"], name="ops.healthz"),
    Route(READY_PATH, readyz, methods=["GET"], name="ops.readyz"),
]
