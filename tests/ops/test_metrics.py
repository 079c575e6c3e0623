"""Prometheus metrics on a port of their own: request counts and latencies per route template (an id in the URL never
becomes a label), the database gauges read at scrape time (outbox, overdue clocks, worker lag, the same on every
server because the heartbeat is in the database), uploads in progress; not served on the site's port, and bound to
127.0.0.1 unless HUB_METRICS_HOST says otherwise. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.db import utcnow
from hub.worker import worker_for
from tests.messaging.world import build_world
from tests.support.hubclient import HubUnderTest, running_hub
from tests.support.postgres import free_port


@pytest.fixture
async def measured_hub(database_url: str, tmp_path: Path) -> AsyncIterator[HubUnderTest]:
    async with running_hub(tmp_path / "data", database_url, HUB_METRICS_PORT=str(free_port())) as hub:
        yield hub


async def scrape(hub: HubUnderTest) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the metrics port (read in a thread: the database gauges need this loop to be free)."""
    url = f"http://127.0.0.1:{hub.settings.metrics_port}/metrics"
    response = await asyncio.to_thread(httpx.get, url, timeout=10)
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def test_requests_are_counted_per_route_template_and_gauges_read_at_scrape_time(
    measured_hub: HubUnderTest,
) -> None:
    hub = measured_hub
    world = await build_world(hub)
    client = await hub.client_for(world.bewindvoerder)
    for _ in range(2):
        assert (await client.get(f"/dossiers/{world.case.id}")).status_code == 200
    assert (await client.get("/dossiers/00000000000000000000000000000000")).status_code == 404
    week_ago = utcnow() - timedelta(days=7)
    await world.call(
        "start_thread", world.bewindvoerder, subject="Vraag", body="Kunt u dit nakijken?", case=world.case, now=week_ago
    )

    samples = await scrape(hub)
    route = "/dossiers/{case_id}"
    assert value(samples, "hub_http_requests_total", method="GET", route=route, status="200") == 2
    assert value(samples, "hub_http_requests_total", method="GET", route=route, status="404") == 1
    assert value(samples, "hub_http_request_duration_seconds_count", method="GET", route=route) == 3
    text = repr(samples)
    assert world.case.id not in text and "0000000000000000" not in text  # ids never become labels
    assert value(samples, "hub_metrics_database_up") == 1
    assert value(samples, "hub_uploads_in_progress") == 0
    assert (value(samples, "hub_outbox_depth") or 0) >= 1  # the new thread's notification waits for a worker
    assert (value(samples, "hub_outbox_oldest_pending_age_seconds") or 0) >= 6 * 24 * 3600
    overdue = value(samples, "hub_clock_oldest_overdue_seconds")
    assert overdue is not None and 4 * 24 * 3600 < overdue < 7 * 24 * 3600  # 2 werkdagen after a week ago
    assert value(samples, "hub_worker_lag_seconds") is None  # no sweep yet

    await worker_for(hub.runtime).sweep()
    lag = value(await scrape(hub), "hub_worker_lag_seconds")
    assert lag is not None and 0 <= lag < 30


async def test_metrics_are_not_on_the_sites_port_and_listen_on_loopback(measured_hub: HubUnderTest) -> None:
    assert (await measured_hub.client().get("/metrics")).status_code == 404
    host, port = measured_hub.app.state.metrics_server.server_address[:2]
    assert (host, port) == ("127.0.0.1", measured_hub.settings.metrics_port)


async def test_an_upload_in_progress_is_counted_until_it_ends(hub_sqlite: HubUnderTest, tmp_path: Path) -> None:
    """The gauge counts requests to the upload routes while their body is being received."""
    async with running_hub(tmp_path / "m", hub_sqlite.settings.database_url, HUB_METRICS_PORT=str(free_port())) as hub:
        world = await build_world(hub)
        client = await hub.client_for(world.bewindvoerder)
        release = asyncio.Event()

        async def slow_body() -> AsyncIterator[bytes]:
            yield b'--x\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            await release.wait()
            yield client.csrf_token.encode() + b"\r\n--x--\r\n"

        upload = asyncio.create_task(
            client.post(
                f"/dossiers/{world.case.id}/documenten",
                content=slow_body(),
                headers={"Content-Type": "multipart/form-data; boundary=x"},
            )
        )
        for _ in range(100):
            if value(await scrape(hub), "hub_uploads_in_progress") == 1:
                break
            await asyncio.sleep(0.02)
        assert value(await scrape(hub), "hub_uploads_in_progress") == 1
        release.set()
        await upload
        assert value(await scrape(hub), "hub_uploads_in_progress") == 0
