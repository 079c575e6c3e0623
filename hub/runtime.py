"""What a running hub holds for its lifetime: settings, database, keyring, cookie policy."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring
from hub.config import Settings
from hub.web.cookies import CookiePolicy


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    keyring: Keyring
    cookies: CookiePolicy
