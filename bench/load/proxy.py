"""A round-robin TCP proxy on 127.0.0.1, as a load balancer in front of the servers: each new client connection
goes to the next backend; a backend that refuses the connection (a killed server) is skipped, so the run goes on
through the others. A connection is pinned to its backend: when that backend dies, the connection breaks, and the
client's next connection goes elsewhere."""

from __future__ import annotations

import asyncio
import itertools
import threading
from contextlib import suppress


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(256 * 1024):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with suppress(ConnectionError, OSError, RuntimeError):
            writer.close()


class RoundRobinProxy:
    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self._turn = itertools.count()
        self.skipped = 0  # connections that found a backend dead and went to the next one
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        first = next(self._turn)  # this connection's turn; on a dead backend it tries the following ones in order
        for offset in range(len(self.backends)):
            port = self.backends[(first + offset) % len(self.backends)]
            try:
                backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                self.skipped += 1
                continue
            await asyncio.gather(_pipe(client_reader, backend_writer), _pipe(backend_reader, client_writer))
            return
        client_writer.close()  # no backend alive

    def start(self) -> int:
        """Serve on a free port in a thread of its own (the client's event loop stays the client's); returns it."""
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=512))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=serve, name="load-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self.port

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
