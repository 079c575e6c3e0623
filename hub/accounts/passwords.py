"""Password hashing (argon2id) and the password policy (ASVS 2.1: length, no composition rules, no common ones)."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

MIN_LENGTH = 12
MAX_LENGTH = 128

# RFC 9106's second recommendation (argon2id, t=3, 64 MiB, p=4): above OWASP's and ASVS's minimum (19 MiB, t=2).
_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)

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
    steps = {ord(b) - ord(a) for a, b in pairwise(lowered)}
    return steps in ({1}, {-1})


def check_password_policy(password: str, *, email: str = "", name: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"Kies een wachtwoord van minstens {MIN_LENGTH} tekens.")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"Kies een wachtwoord van hoogstens {MAX_LENGTH} tekens.")
    if _is_common(password):
        raise PasswordPolicyError("Dit wachtwoord staat op een lijst van veelgebruikte wachtwoorden. Kies een ander.")
    lowered = password.lower()
    local = email.split("@", 1)[0].lower()
    if (local and len(local) >= 4 and local in lowered) or (name and name.lower().replace(" ", "") in lowered):
        raise PasswordPolicyError("Gebruik uw naam of e-mailadres niet in uw wachtwoord.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Verified against when the e-mail address is unknown, so both cases cost the same time."""
    return _hasher.hash("not-a-real-password-but-equally-expensive")
