"""A clamd that stops answering (here: a real clamd stopped with SIGSTOP) holds an upload for the scanner's timeout
(HUB_CLAMD_TIMEOUT, a few seconds), not for clamd's own MaxScanTime: the upload is refused with a Dutch "De
virusscanner antwoordt niet" and nothing is stored."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.documents.scanner import MIB, ClamdScanner, ScanTimedOut, ScanTimeouts
from tests.documents.conftest import pdf_bytes, post_upload
from tests.support.clamd import Clamd, start_clamd

SILENT = "De virusscanner antwoordt niet; probeer het later opnieuw."


def test_the_verdict_wait_grows_with_the_size_up_to_the_cap() -> None:
    timeouts = ScanTimeouts()
    assert (timeouts.connect, timeouts.base, timeouts.maximum) == (5, 10, 60)
    assert timeouts.verdict(0) == 10
    assert timeouts.verdict(10 * MIB) == 15
    assert timeouts.verdict(100 * MIB) == timeouts.verdict(10_000 * MIB) == 60
    assert ScanTimeouts(base=2, maximum=3).verdict(50 * MIB) == 3


@pytest.fixture
def paused_clamd(tmp_path: Path) -> Iterator[Clamd]:
    """A clamd of this test's own, stopped with SIGSTOP: it accepts connections (the kernel does) and reads nothing."""
    server = start_clamd(tmp_path / "clamd")
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield server
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


@pytest.mark.clamd
async def test_a_stopped_clamd_times_out_the_verdict_and_the_stream(paused_clamd: Clamd) -> None:
    scanner = ClamdScanner(paused_clamd.address, ScanTimeouts(connect=1, base=1, maximum=2))
    started = time.monotonic()
    session = await scanner.session()
    await session.feed(b"%PDF-1.7\n" + os.urandom(1000))  # fits in the socket's buffers
    with pytest.raises(ScanTimedOut):
        await session.verdict()
    assert time.monotonic() - started < 4

    started = time.monotonic()
    session = await scanner.session()
    with pytest.raises(ScanTimedOut):  # more than the buffers hold: the feeding stalls, and gives up
        for _ in range(64):
            await session.feed(os.urandom(MIB))
    assert time.monotonic() - started < 4


@pytest.mark.clamd
async def test_an_upload_while_clamd_is_stopped_is_refused_in_seconds(make_vault: Any, paused_clamd: Clamd) -> None:
    settings = {"HUB_CLAMD": paused_clamd.address, "HUB_CLAMD_TIMEOUT": "1", "HUB_CLAMD_TIMEOUT_MAX": "2"}
    async with make_vault(**settings) as vault:
        bea = await vault.hub.client_for(vault.bewindvoerder)
        started = time.monotonic()
        response = await post_upload(bea, vault.case.id, "besluit.pdf", pdf_bytes(300_000))
        assert time.monotonic() - started < 6
        assert response.status_code == 503
        assert SILENT in response.text
        await vault.assert_nothing_kept()
