"""A TCP proxy on 127.0.0.1 between the hub and PostgreSQL that can lose the answer to a COMMIT.

Armed, it forwards the next COMMIT to the server, lets the server commit, and then cuts the connection instead of
passing the server's answer on: the transaction IS committed, but the hub never hears so. That is the fault of a
network or a database failing at the worst moment.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass
class CuttingProxy:
    target_port: int
    port: int = 0
    armed: bool = False
    cuts: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def url(self, database_url: str) -> str:
        return database_url.replace(f":{self.target_port}/", f":{self.port}/")

    async def _connection(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        commit_sent = asyncio.Event()

        async def upstream() -> None:  # hub -> PostgreSQL
            while data := await client_reader.read(65536):
                if self.armed and b"COMMIT" in data.upper():
                    self.armed = False
                    commit_sent.set()
                server_writer.write(data)
                await server_writer.drain()

        async def downstream() -> None:  # PostgreSQL -> hub
            while data := await server_reader.read(65536):
                if commit_sent.is_set():
                    # The server has answered the COMMIT: it is done. The hub never gets to know.
                    self.cuts += 1
                    break
                client_writer.write(data)
                await client_writer.drain()

        tasks = [asyncio.ensure_future(upstream()), asyncio.ensure_future(downstream())]
        for task in tasks:
            self._tasks.add(task)
        with contextlib.suppress(Exception):
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
            self._tasks.discard(task)
        for writer in (client_writer, server_writer):
            writer.close()
