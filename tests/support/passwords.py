"""Hashers for tests, installed through the production seam (`hub.accounts.passwords.install_hasher`).

About 80 % of the suite's time went into argon2id with production parameters in fixtures. Tests that are not about
passwords use `CHEAP_HASHER`: still argon2id through the same code path, with minimal parameters. Tests about
passwords ask for the `production_hasher` fixture; tests about where hashing runs install a `BlockingHasher`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from argon2 import Parameters, Type
from argon2.profiles import RFC_9106_LOW_MEMORY

from hub.accounts.passwords import Argon2Hasher, PasswordHasher

CHEAP_PARAMETERS = Parameters(
    type=Type.ID,
    version=RFC_9106_LOW_MEMORY.version,
    salt_len=16,
    hash_len=32,
    time_cost=1,
    memory_cost=8,  # KiB: the smallest argon2 allows with one lane
    parallelism=1,
)
CHEAP_HASHER = Argon2Hasher(CHEAP_PARAMETERS)


@dataclass
class CountingHasher:
    """Wraps a hasher and records every call (the stored hash each verification used)."""

    inner: PasswordHasher
    verified: list[str] = field(default_factory=list)
    hashed: int = 0

    def hash(self, password: str) -> str:
        self.hashed += 1
        return self.inner.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        self.verified.append(stored_hash)
        return self.inner.verify(stored_hash, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        return self.inner.needs_rehash(stored_hash)

    def dummy_hash(self) -> str:
        return self.inner.dummy_hash()


@dataclass
class BlockingHasher(CountingHasher):
    """Every verification waits (in its thread) until the test releases it: shows where the work runs."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def verify(self, stored_hash: str, password: str) -> bool:
        self.started.set()
        assert self.release.wait(timeout=30), "the test never released the hasher"
        return super().verify(stored_hash, password)
