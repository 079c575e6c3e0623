"""The metrics endpoint on a port of its own (``HUB_METRICS_PORT``; off when empty), bound to ``HUB_METRICS_HOST``
(127.0.0.1 unless set). Not on the site's port: the site faces the internet through the ingress, the metrics port is
reached only from inside the pod or, with ``HUB_METRICS_HOST=0.0.0.0``, through the network policy that admits the
monitoring namespace alone (deploy/kubernetes/networkpolicy.yaml). It is prometheus-client's own small HTTP server
in a thread; the database gauges are read on the app's loop at scrape time (hub.ops.gauges)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, ProcessCollector, start_http_server
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.ops.gauges import DatabaseCollector


@contextmanager
def serving_metrics(
    registry: CollectorRegistry,
    sessions: async_sessionmaker[AsyncSession],
    loop: asyncio.AbstractEventLoop,
    *,
    host: str,
    port: int,
) -> Iterator[WSGIServer]:
    """Serve ``registry`` plus the database gauges and the process's own (memory, CPU, open files) until the block
    ends."""
    database = DatabaseCollector(sessions, loop)
    process = ProcessCollector(registry=None)
    registry.register(database)
    registry.register(process)
    server, thread = start_http_server(port, addr=host, registry=registry)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        if isinstance(thread, threading.Thread):
            thread.join(timeout=5)
        registry.unregister(process)
        registry.unregister(database)
