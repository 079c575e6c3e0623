"""What a running hub holds for its lifetime: settings, database engine and sessions, keyring, and components.

A leaf: it imports only config, db, keys and crypto. The app's lifespan, every CLI command that touches the database
and the worker all open it the same way, with :func:`open_runtime`. Parts that belong to a domain package (the
document vault's blob store and scanner) are made on first use by that package through :meth:`Runtime.component`,
so this module never imports them.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction
from hub.keys import load_keyring

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    _keyring: Keyring | None = None
    _components: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def keyring(self) -> Keyring:
        """The keyring given to open_runtime, else loaded from the settings on first use (the audit check and
        the migrations need none)."""
        if self._keyring is None:
            self._keyring = load_keyring(self.settings.keyring_path, self.settings.keyring_env)
        return self._keyring

    @keyring.setter
    def keyring(self, keyring: Keyring) -> None:
        self._keyring = keyring

    def component(self, key: str, factory: Callable[[Runtime], T]) -> T:
        """The component under ``key``, made by ``factory(self)`` on first use and kept for the runtime's life."""
        if key not in self._components:
            self._components[key] = factory(self)
        return cast(T, self._components[key])

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """One unit of work on this runtime's database (see hub.db.transaction)."""
        return transaction(self.sessions)

    async def close(self) -> None:
        """Close every component that has an async ``close`` (the object storage client), then the engine."""
        for component in self._components.values():
            close = getattr(component, "close", None)
            if close is not None and inspect.iscoroutinefunction(close):
                await close()
        await self.engine.dispose()


@asynccontextmanager
async def open_runtime(settings: Settings, *, keyring: Keyring | None = None) -> AsyncIterator[Runtime]:
    """The one way to set up the database and keys: ``async with open_runtime(settings) as rt: ...``."""
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine, audit_head_file=settings.audit_head_file)
    runtime = Runtime(settings=settings, engine=engine, sessions=sessions, _keyring=keyring)
    try:
        yield runtime
    finally:
        await runtime.close()
