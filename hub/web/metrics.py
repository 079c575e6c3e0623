"""Request metrics for Prometheus: a count and a latency histogram per method, route *template* and status (never the
raw path: an id in a URL must not become a label, one time series per document), and the uploads in progress.

Pure ASGI, just inside the request-id middleware. The registry is the app's own (hub.ops.metrics_server serves it on a
port of its own); these metrics live in one server process, and Prometheus adds them up over the servers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.web.access_log import route_template

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Pages answer in milliseconds; an upload of 100 MiB through the scanner may take half a minute.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class RequestMetrics:
    def __init__(self, registry: CollectorRegistry, upload_routes: Iterable[str] = ()) -> None:
        self.upload_route_names = frozenset(upload_routes)
        self.requests = Counter(
            "hub_http_requests", "HTTP requests handled", ("method", "route", "status"), registry=registry
        )
        self.latency = Histogram(
            "hub_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response",
            ("method", "route"),
            buckets=BUCKETS,
            registry=registry,
        )
        self.uploads = Gauge("hub_uploads_in_progress", "Uploads being received by this server", registry=registry)
        self._upload_templates: frozenset[str] | None = None

    def is_upload(self, scope: Scope) -> bool:
        if scope.get("method") != "POST":
            return False
        if self._upload_templates is None:
            routes = getattr(scope.get("app"), "routes", [])
            self._upload_templates = frozenset(
                getattr(r, "path", "") for r in routes if getattr(r, "name", None) in self.upload_route_names
            )
        return route_template(scope) in self._upload_templates


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        upload = self.metrics.is_upload(scope)
        if upload:
            self.metrics.uploads.inc()
        try:
            await self.app(scope, receive, recording_send)
        finally:
            if upload:
                self.metrics.uploads.dec()
            method = scope.get("method", "")
            method = method if method in METHODS else "OTHER"
            route = route_template(scope)
            self.metrics.requests.labels(method, route, str(status or 500)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
