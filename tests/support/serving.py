"""Waiting for a `hub serve` process a test started itself."""

from __future__ import annotations

import asyncio

import httpx
import pytest


async def wait_until_serving(client: httpx.AsyncClient, attempts: int = 200) -> None:
    """Poll ``/healthz`` through ``client`` (its base URL the server's) until it answers 200; fail the test after
    ``attempts`` tries 50 ms apart."""
    for _ in range(attempts):
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    pytest.fail("hub serve did not start")
