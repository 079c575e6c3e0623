"""Reference (a) for the upload benchmark: the smallest honest streaming upload/download on the same stack.

No parsing, no encryption: the request body goes to a file in ~1 MiB writes, and back out in 1 MiB reads.
Run by uvicorn with uvloop and httptools, exactly like `hub serve`. ``POST /upload?fsync=1`` also fsyncs the file
before answering, as the hub does with every blob (a reference for what durability costs on this disk).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

STORE = Path(os.environ.get("BASELINE_DIR", "/tmp/baseline-store"))
BATCH = 1024 * 1024


async def upload(request: Request) -> Response:
    name = secrets.token_hex(8)
    await asyncio.to_thread(STORE.mkdir, parents=True, exist_ok=True)
    fh = open(STORE / name, "wb")  # noqa: ASYNC230
    buffer = bytearray()
    size = 0
    async for chunk in request.stream():
        buffer += chunk
        size += len(chunk)
        if len(buffer) >= BATCH:
            await asyncio.to_thread(fh.write, bytes(buffer))
            buffer.clear()
    if buffer:
        await asyncio.to_thread(fh.write, bytes(buffer))
    if request.query_params.get("fsync") == "1":
        await asyncio.to_thread(os.fsync, fh.fileno())
    await asyncio.to_thread(fh.close)
    return JSONResponse({"name": name, "size": size})


async def download(request: Request) -> Response:
    path = STORE / request.path_params["name"]

    async def chunks() -> AsyncIterator[bytes]:
        fh = await asyncio.to_thread(open, path, "rb")
        try:
            while data := await asyncio.to_thread(fh.read, BATCH):
                yield data
        finally:
            fh.close()

    return StreamingResponse(chunks(), media_type="application/octet-stream")


app = Starlette(routes=[Route("/upload", upload, methods=["POST"]), Route("/download/{name}", download)])
