"""Virus scanning through clamd's INSTREAM command, fed while the upload streams in.

One upload is one :class:`ScanSession`: it connects when the upload starts (so an unreachable scanner refuses the
upload before a byte of the file is read), :meth:`ScanSession.feed` sends each plaintext piece as a length-
prefixed INSTREAM chunk while the same piece is being encrypted and written, and :meth:`ScanSession.verdict` sends
the terminator and reads clamd's answer. Flow control is clamd's: ``feed`` waits only when the socket's buffer is
full.

``HUB_CLAMD`` names clamd: a unix socket path (``/run/clamav/clamd.ctl``, or ``unix:/path``) or ``host:port``
(``127.0.0.1:3310``, ``[::1]:3310``). Empty means no scanning (:class:`NoScanner`). When it is set, a scanner that
cannot be reached or answers with an error raises :class:`ScanUnavailable`, one that does not answer in time
:class:`ScanTimedOut`, and the upload is refused: never waved through.

How long the hub waits (:class:`ScanTimeouts`, from ``HUB_CLAMD_CONNECT_TIMEOUT``, ``HUB_CLAMD_TIMEOUT`` and
``HUB_CLAMD_TIMEOUT_MAX``): the connection and the command get the connect timeout; clamd must take each piece of the
stream within the base timeout (a stopped or hung clamd stops reading, and the upload must not hang with it); the
verdict after the last byte gets the base timeout plus :data:`VERDICT_SECONDS_PER_MIB` per MiB streamed, capped at
the maximum. A paused clamd therefore holds a small upload for about the base timeout, never for clamd's own
``MaxScanTime``.

Protocol (clamd(8)): ``zINSTREAM\\0``, then chunks each prefixed by their length as 4 bytes big-endian, then four
zero bytes; the answer, ended by a NUL byte, is ``stream: OK``, ``stream: <signature> FOUND`` or ``... ERROR``
(``INSTREAM size limit exceeded. ERROR`` when the stream passes clamd's ``StreamMaxLength``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NoReturn, Protocol

__all__ = [
    "ClamdScanner",
    "NoScanner",
    "ScanSession",
    "ScanTimedOut",
    "ScanTimeouts",
    "ScanTooLarge",
    "ScanUnavailable",
    "ScanVerdict",
    "Scanner",
    "scanner_for",
]

log = logging.getLogger("hub.documents.scanner")

CONNECT_TIMEOUT = 5.0
SCAN_TIMEOUT = 10.0
SCAN_TIMEOUT_MAX = 60.0
# The verdict's wait grows with the stream: clamd scans a plain file at tens of MiB/s, archives and PDFs with many
# objects more slowly. Half a second per MiB (2 MiB/s) on top of the base covers a slow machine; the cap bounds it.
VERDICT_SECONDS_PER_MIB = 0.5
MIB = 1024 * 1024
MAX_CHUNK = 1024 * 1024  # clamd reads chunks of any size up to StreamMaxLength; keep each one modest
_LENGTH = struct.Struct(">I")
_REPLY_LIMIT = 4096


class ScanUnavailable(Exception):
    """The configured scanner could not give a verdict. The upload is refused."""


class ScanTimedOut(ScanUnavailable):
    """The configured scanner did not answer in time (stopped, hung or overloaded). The upload is refused."""


class ScanTooLarge(ScanUnavailable):
    """clamd refused the stream as larger than its StreamMaxLength. The upload is refused."""


@dataclass(frozen=True)
class ScanTimeouts:
    """How long to wait for clamd, in seconds (see the module text)."""

    connect: float = CONNECT_TIMEOUT
    base: float = SCAN_TIMEOUT
    maximum: float = SCAN_TIMEOUT_MAX

    def verdict(self, streamed: int) -> float:
        """The wait for the verdict on a stream of ``streamed`` bytes."""
        return min(self.maximum, self.base + VERDICT_SECONDS_PER_MIB * streamed / MIB)


@dataclass(frozen=True)
class ScanVerdict:
    clean: bool
    signature: str = ""
    scanned: bool = True  # a scanner looked at the stream; False: no scanner (HUB_CLAMD=off), "clean" unchecked


class ScanSession(Protocol):
    async def feed(self, data: bytes) -> None: ...

    async def verdict(self) -> ScanVerdict: ...

    async def abort(self) -> None: ...


class Scanner(Protocol):
    enabled: bool

    async def session(self) -> ScanSession:
        """Start scanning one stream; ScanUnavailable when the scanner cannot be reached."""
        ...


class _NoScanSession:
    async def feed(self, data: bytes) -> None:
        return None

    async def verdict(self) -> ScanVerdict:
        return ScanVerdict(clean=True, scanned=False)

    async def abort(self) -> None:
        return None


class NoScanner:
    """HUB_CLAMD=off (or unset outside `hub serve`): every stream is taken as clean, and is marked as not scanned so
    that no page claims a scan (the README says so)."""

    enabled = False

    async def session(self) -> ScanSession:
        return _NoScanSession()


def parse_address(address: str) -> tuple[str, int] | str:
    """``host:port`` → (host, port); anything else (a path, or ``unix:/path``) → the socket path."""
    value = address.strip()
    if value.startswith("unix:"):
        return value[len("unix:") :]
    if value.startswith("/") or value.startswith("."):
        return value
    host, sep, port = value.rpartition(":")
    if not sep or not (port.isascii() and port.isdigit()) or not host:
        raise ValueError(f"clamd address {address!r} is neither a socket path nor host:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    number = int(port)
    if not 0 < number < 65536:
        raise ValueError(f"clamd port {number} is out of range")
    return host, number


class ClamdScanner:
    enabled = True

    def __init__(self, address: str, timeouts: ScanTimeouts | None = None) -> None:
        self.address = address
        self.target = parse_address(address)
        self.timeouts = timeouts or ScanTimeouts()
        self.connect_timeout = self.timeouts.connect

    async def session(self) -> ClamdSession:
        try:
            async with asyncio.timeout(self.connect_timeout):
                if isinstance(self.target, str):
                    reader, writer = await asyncio.open_unix_connection(self.target)
                else:
                    reader, writer = await asyncio.open_connection(*self.target)
                writer.write(b"zINSTREAM\0")
                await writer.drain()
        except TimeoutError:
            log.warning("clamd at %s did not accept a scan within %s s", self.address, self.connect_timeout)
            raise ScanTimedOut("clamd did not answer") from None
        except OSError as exc:
            log.warning("clamd at %s is unreachable: %s", self.address, type(exc).__name__)
            raise ScanUnavailable("clamd unreachable") from None
        return ClamdSession(reader, writer, self.timeouts, self.address, self.ping)

    async def ping(self) -> bool:
        """True when clamd answers PING (for health checks)."""
        try:
            async with asyncio.timeout(self.connect_timeout):
                if isinstance(self.target, str):
                    reader, writer = await asyncio.open_unix_connection(self.target)
                else:
                    reader, writer = await asyncio.open_connection(*self.target)
                try:
                    writer.write(b"zPING\0")
                    await writer.drain()
                    return await reader.readuntil(b"\0") == b"PONG\0"
                finally:
                    writer.close()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return False


class ClamdSession:
    """One INSTREAM conversation. clamd's answer is read by a task that runs alongside the feeding: clamd answers
    early (and closes) when the stream passes its StreamMaxLength, and that answer must be caught before the
    connection reset that follows it hides it."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        timeouts: ScanTimeouts,
        address: str,
        ping: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._ping = ping
        self._writer = writer
        self._timeouts = timeouts
        self._address = address
        self._closed = False
        self._streamed = 0
        self._reply: asyncio.Future[bytes] = asyncio.ensure_future(reader.readuntil(b"\0"))

    async def feed(self, data: bytes) -> None:
        if self._closed:
            raise ScanUnavailable("scan session closed")
        if self._reply.done():  # clamd answered before the stream ended: an error
            await self._fail_with_reply()
        view = memoryview(data)
        try:
            for start in range(0, len(view), MAX_CHUNK):
                piece = view[start : start + MAX_CHUNK]
                self._writer.writelines((_LENGTH.pack(len(piece)), piece))
            self._streamed += len(view)
            async with asyncio.timeout(self._timeouts.base):  # a stopped clamd reads nothing: do not wait forever
                await self._writer.drain()
        except TimeoutError:
            await self._timed_out("took no data")
        except (OSError, RuntimeError):
            await self._fail_with_reply()

    async def _timed_out(self, what: str) -> NoReturn:
        await self.abort()
        log.warning("clamd at %s %s in time (%d bytes streamed)", self._address, what, self._streamed)
        raise ScanTimedOut(what)

    async def _fail_with_reply(self) -> NoReturn:
        reply = ""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                reply = (await asyncio.shield(self._reply)).rstrip(b"\0").decode("utf-8", "replace")
        await self.abort()
        if "size limit" in reply.lower():
            raise ScanTooLarge(reply)
        if not reply and self._ping is not None and await self._ping():
            # clamd drops a stream that passes its StreamMaxLength right after saying so; when it resets the
            # connection, that answer can be lost on the way. A clamd that still answers PING dropped the stream
            # on purpose: refused as too large to scan (it is refused either way).
            log.warning(
                "clamd at %s dropped a stream but is up: is its StreamMaxLength below HUB_MAX_UPLOAD_MB?", self._address
            )
            raise ScanTooLarge("stream dropped by a running clamd")
        log.warning("clamd at %s broke off a scan: %r", self._address, reply[:80])
        raise ScanUnavailable("clamd connection lost")

    async def verdict(self) -> ScanVerdict:
        if self._closed:
            raise ScanUnavailable("scan session closed")
        if self._reply.done():
            await self._fail_with_reply()
        try:
            self._writer.write(b"\0\0\0\0")
            await self._writer.drain()
        except (OSError, RuntimeError):
            await self._fail_with_reply()
        try:
            async with asyncio.timeout(self._timeouts.verdict(self._streamed)):
                raw = await asyncio.shield(self._reply)
        except TimeoutError:
            await self._timed_out("gave no verdict")
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            await self.abort()
            log.warning("clamd at %s gave no verdict: %s", self._address, type(exc).__name__)
            raise ScanUnavailable("no verdict") from None
        await self.abort()
        return parse_reply(raw.rstrip(b"\0").decode("utf-8", "replace"))

    async def abort(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._reply.done():
            self._reply.cancel()
        else:
            with contextlib.suppress(BaseException):
                self._reply.exception()  # retrieved: a reset after the answer is not worth a log line
        if self._writer.transport.get_write_buffer_size():
            self._writer.transport.abort()  # a clamd that reads nothing would hold a graceful close forever
        else:
            self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()


def parse_reply(reply: str) -> ScanVerdict:
    """Turn clamd's answer to INSTREAM into a verdict; ScanUnavailable for errors and anything unexpected."""
    text = reply.strip()
    if text.endswith("ERROR"):
        if "size limit" in text.lower():
            raise ScanTooLarge(text)
        raise ScanUnavailable(text)
    _, sep, result = text.partition(": ")
    if not sep:
        raise ScanUnavailable(f"unexpected clamd reply {text[:80]!r}")
    if result == "OK":
        return ScanVerdict(clean=True)
    if result.endswith(" FOUND"):
        return ScanVerdict(clean=False, signature=result[: -len(" FOUND")].strip()[:200])
    raise ScanUnavailable(f"unexpected clamd reply {text[:80]!r}")


def scanner_for(address: str, timeouts: ScanTimeouts | None = None) -> Scanner:
    """The scanner for a HUB_CLAMD value: NoScanner when empty."""
    return ClamdScanner(address, timeouts) if address.strip() else NoScanner()
