"""What every command shares: its error type, the data dir, and the ONE way a command reaches the database."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring
from hub.config import Settings
from hub.runtime import Runtime, open_runtime

T = TypeVar("T")


class CliError(Exception):
    pass


def prepare_data_dir(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)


def on_runtime(settings: Settings, work: Callable[[Runtime], Awaitable[T]], *, keyring: Keyring | None = None) -> T:
    """Run ``work`` on an opened runtime (engine, sessions, keyring on first use) and close it afterwards."""

    async def run() -> T:
        async with open_runtime(settings, keyring=keyring) as runtime:
            return await work(runtime)

    return asyncio.run(run())


def in_transaction(settings: Settings, work: Callable[[AsyncSession, Runtime], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction: committed when it returns, rolled back when it raises."""

    async def unit(runtime: Runtime) -> T:
        async with runtime.transaction() as db:
            return await work(db, runtime)

    return on_runtime(settings, unit)
