"""Password hashing (argon2id, off the event loop) and the password policy (ASVS 2.1: length, no composition rules,
no common ones)."""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from itertools import pairwise
from typing import Protocol, TypeVar

import argon2
from argon2 import Parameters
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_STRENGTH = 3  # zxcvbn's score, 0-4: 3 is "safely unguessable", well beyond an online attack
T = TypeVar("T")

# Common Dutch choices that English-based lists miss.
_DUTCH_COMMON = {
    "wachtwoord",
    "welkom",
    "welkom01",
    "geheim",
    "voorjaar",
    "zomer",
    "najaar",
    "winter",
    "gemeente",
    "bewindvoerder",
    "schuldhulp",
    "nederland",
    "amsterdam",
    "rotterdam",
    "ajax",
    "feyenoord",
}


class PasswordPolicyError(ValueError):
    """The new password is refused; the message is Dutch and tells the user what to do."""


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"]) | _DUTCH_COMMON


def _is_common(password: str) -> bool:
    lowered = password.lower()
    common = _common_passwords()
    if lowered in common:
        return True
    # "Wachtwoord2026!" is as weak as "wachtwoord": strip the usual digits and symbols at the ends.
    core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lowered)
    if core and core in common and len(core) >= 4:
        return True
    # One repeated character, or a plain run like 123456789012 or abcdefghijkl.
    if len(set(lowered)) <= 2:
        return True
    # Digits count on through 9 -> 0 (1234567890123), so a run of digits steps by 1 (or 9 going down) modulo 10.
    steps = {(ord(b) - ord(a)) % 10 if a.isdigit() and b.isdigit() else ord(b) - ord(a) for a, b in pairwise(lowered)}
    return steps in ({1}, {-1}, {9})


def check_password_policy(password: str, *, email: str = "", name: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"Kies een wachtwoord van minstens {MIN_LENGTH} tekens.")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"Kies een wachtwoord van hoogstens {MAX_LENGTH} tekens.")
    if _is_common(password):
        raise PasswordPolicyError("Dit wachtwoord staat op een lijst van veelgebruikte wachtwoorden. Kies een ander.")
    # The name and the e-mail address's local part, with or without spaces, dots or dashes; parts of under four
    # characters say nothing ("jan" in "januari").
    compact = _compact(password)
    own = [_compact(email.split("@", 1)[0]), _compact(name), *(_compact(part) for part in re.split(r"[\s.\-_]+", name))]
    if any(len(word) >= 4 and word in compact for word in own):
        raise PasswordPolicyError("Gebruik uw naam of e-mailadres niet in uw wachtwoord.")
    # zxcvbn's estimate (keyboard rows, repeats, sequences, dates, l33t, dictionary words) judges what rules miss; it
    # reads at most 72 characters, which is plenty to tell.
    if zxcvbn(password[:72], user_inputs=[w for w in own if w])["score"] < MIN_STRENGTH:
        raise PasswordPolicyError(
            "Dit wachtwoord is te makkelijk te raden (bijvoorbeeld een toetsenbordrij, een herhaling of een "
            "voorspelbaar patroon). Kies een zin van een paar woorden die alleen u kent."
        )


def _compact(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


# -- hashing ---------------------------------------------------------------------------------------------------


class PasswordHasher(Protocol):
    """What the accounts services need of a password hash. Synchronous and CPU-bound: call it through the async
    functions below, which run it off the event loop."""

    def hash(self, password: str) -> str: ...

    def verify(self, stored_hash: str, password: str) -> bool: ...

    def needs_rehash(self, stored_hash: str) -> bool: ...

    def dummy_hash(self) -> str:
        """A hash verified against when the e-mail address is unknown, so both cases cost the same work."""
        ...


class Argon2Hasher:
    """argon2id with the given parameters (production: RFC 9106's low-memory profile)."""

    def __init__(self, parameters: Parameters = RFC_9106_LOW_MEMORY) -> None:
        self.parameters = parameters
        self._argon2 = argon2.PasswordHasher.from_parameters(parameters)
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._argon2.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._argon2.hash("not-a-real-password-but-equally-expensive")
        return self._dummy


# RFC 9106's second recommendation (argon2id, t=3, 64 MiB, p=4): above OWASP's and ASVS's minimum (19 MiB, t=2).
PRODUCTION_HASHER: PasswordHasher = Argon2Hasher(RFC_9106_LOW_MEMORY)

# The seam: every hash and verification in the hub goes through the hasher installed here. Production never changes
# it; the test suite installs a cheap argon2id (same code path, minimal parameters) except in the password tests.
_installed: PasswordHasher = PRODUCTION_HASHER


def current_hasher() -> PasswordHasher:
    return _installed


def install_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Use `hasher` from now on; returns the one it replaces (so a test can put it back)."""
    global _installed
    previous, _installed = _installed, hasher
    return previous


# -- off the event loop ----------------------------------------------------------------------------------------

# argon2id takes about 200 ms of CPU on four lanes. It runs in this pool's threads, never on the event loop, at most
# MAX_CONCURRENT_HASHES at once (a burst of logins queues here instead of taking every core). The threads run at a
# lower CPU priority (Linux: nice is per thread, and argon2's lane threads inherit it), so while logins hash the
# event loop still gets the CPU the moment a request arrives: pages and files keep their normal latency and the
# logins wait a little longer instead.
MAX_CONCURRENT_HASHES = 2
HASH_THREAD_NICE = 10


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICE)
    except (AttributeError, OSError):  # not Linux, or not allowed: the pool still keeps the work off the loop
        pass


_pool = ThreadPoolExecutor(max_workers=MAX_CONCURRENT_HASHES, thread_name_prefix="argon2", initializer=_lower_priority)


async def _off_loop(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_pool, work)


async def hash_password(password: str) -> str:
    hasher = current_hasher()
    return await _off_loop(lambda: hasher.hash(password))


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check `password` against `stored_hash`; with None (no such account) the same work against the dummy hash."""
    hasher = current_hasher()

    def work() -> bool:
        ok = hasher.verify(stored_hash if stored_hash is not None else hasher.dummy_hash(), password)
        return ok and stored_hash is not None

    return await _off_loop(work)


def needs_rehash(stored_hash: str) -> bool:
    """Cheap (it reads the parameters in the hash): stays on the loop."""
    return current_hasher().needs_rehash(stored_hash)
