"""What a running hub holds for its lifetime: settings, database, keyring, cookie policy, blob store, scanner."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring
from hub.config import Settings
from hub.documents.blobstore import FilesystemBlobStore
from hub.documents.scanner import Scanner, scanner_for
from hub.web.cookies import CookiePolicy


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    keyring: Keyring
    cookies: CookiePolicy

    @cached_property
    def blobs(self) -> FilesystemBlobStore:
        """The document vault's blob store under the data dir, made on first use (the mail worker needs none)."""
        return FilesystemBlobStore(self.settings.blob_dir)

    @cached_property
    def scanner(self) -> Scanner:
        """clamd when HUB_CLAMD is set, else no scanning."""
        return scanner_for(self.settings.clamd)
