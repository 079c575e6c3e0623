"""The clamd INSTREAM client against a real clamd (Debian's clamav-daemon, test signatures made at run time)."""

from __future__ import annotations

import asyncio
import os

import pytest

from hub.documents.scanner import (
    ClamdScanner,
    NoScanner,
    ScanTimedOut,
    ScanTimeouts,
    ScanTooLarge,
    ScanUnavailable,
    ScanVerdict,
    parse_address,
    parse_reply,
    scanner_for,
)
from tests.support.clamd import STREAM_MAX_MB, Clamd, eicar
from tests.support.postgres import free_port


async def scan(scanner: ClamdScanner, data: bytes, piece: int = 64 * 1024) -> ScanVerdict:
    session = await scanner.session()
    for start in range(0, len(data), piece):
        await session.feed(data[start : start + piece])
    return await session.verdict()


async def test_clean_and_infected(clamd: Clamd) -> None:
    scanner = ClamdScanner(clamd.address)
    clean = await scan(scanner, b"%PDF-1.7\n" + os.urandom(300_000))
    assert clean.clean and clean.signature == ""
    found = await scan(scanner, eicar(), piece=10)
    assert not found.clean
    assert found.signature.startswith("Test.EICAR")
    embedded = await scan(scanner, b"%PDF-1.7\n" + os.urandom(100_000) + eicar() + os.urandom(1000))
    assert not embedded.clean
    assert await scanner.ping()


async def test_stream_size_limit_is_an_error_not_a_pass(clamd: Clamd) -> None:
    scanner = ClamdScanner(clamd.address)
    with pytest.raises(ScanTooLarge):
        await scan(scanner, os.urandom((STREAM_MAX_MB + 1) * 1024 * 1024), piece=256 * 1024)


async def test_unreachable_scanner() -> None:
    scanner = ClamdScanner(f"127.0.0.1:{free_port()}", ScanTimeouts(connect=2))
    with pytest.raises(ScanUnavailable):
        await scanner.session()
    assert not await scanner.ping()
    with pytest.raises(ScanUnavailable):
        await ClamdScanner("/nonexistent/clamd.ctl").session()


async def test_scanner_that_dies_mid_stream() -> None:
    async def accept_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(10)
        writer.close()

    server = await asyncio.start_server(accept_then_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(ScanUnavailable):
            await scan(ClamdScanner(f"127.0.0.1:{port}"), os.urandom(4 * 1024 * 1024))
    finally:
        server.close()
        await server.wait_closed()


async def test_scanner_that_never_answers() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(65536):
            pass
        await asyncio.sleep(5)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(ScanTimedOut):  # a kind of ScanUnavailable: refused, with its own message
            await scan(ClamdScanner(f"127.0.0.1:{port}", ScanTimeouts(base=0.3, maximum=0.3)), b"abc")
    finally:
        server.close()


def test_replies() -> None:
    assert parse_reply("stream: OK").clean
    verdict = parse_reply("stream: Win.Test.EICAR_HDB-1 FOUND")
    assert not verdict.clean and verdict.signature == "Win.Test.EICAR_HDB-1"
    with pytest.raises(ScanTooLarge):
        parse_reply("INSTREAM size limit exceeded. ERROR")
    for bad in ("stream: Can't allocate memory ERROR", "", "UNKNOWN COMMAND", "stream: maybe"):
        with pytest.raises(ScanUnavailable):
            parse_reply(bad)


def test_addresses() -> None:
    assert parse_address("127.0.0.1:3310") == ("127.0.0.1", 3310)
    assert parse_address("[::1]:3310") == ("::1", 3310)
    assert parse_address("clamd.internal:3310") == ("clamd.internal", 3310)
    assert parse_address("/run/clamav/clamd.ctl") == "/run/clamav/clamd.ctl"
    assert parse_address("unix:/run/clamav/clamd.ctl") == "/run/clamav/clamd.ctl"
    for bad in ("clamd", "host:port", "host:99999"):
        with pytest.raises(ValueError):
            parse_address(bad)
    assert isinstance(scanner_for(""), NoScanner)
    assert isinstance(scanner_for("127.0.0.1:3310"), ClamdScanner)
