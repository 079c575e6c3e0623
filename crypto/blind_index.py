"""Keyed blind index for exact-match search on encrypted values (the BSN), and BSN checks.

The index is HMAC-SHA256 under the keyring's ``index_key`` over the purpose and the normalised value, each
length-prefixed, so the same number indexed for two purposes gives unrelated values, and the plain number is
never stored. Without the index key the index cannot be tested against guesses; with it, the 10^9 BSN space
could be enumerated, so the index key is as secret as the KEKs."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

__all__ = ["blind_index", "is_valid_bsn", "normalise_bsn"]

_SEPARATORS = re.compile(r"[\s.\-]+")
_DIGITS = re.compile(r"[0-9]{8,9}")
_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
_LABEL = b"hub blind index v1"
MIN_INDEX_KEY_SIZE = 32


def normalise_bsn(value: str) -> str:
    """Strip whitespace, dots and dashes; left-pad an 8-digit number with a 0.

    Raises ValueError unless the result is exactly 9 ASCII digits. Does not check the elfproef.
    """
    if not isinstance(value, str):
        raise TypeError("BSN must be a str")
    digits = _SEPARATORS.sub("", value)
    if not _DIGITS.fullmatch(digits):
        raise ValueError("a BSN has 9 digits (or 8 with the leading zero left out)")
    return digits.zfill(9)


def is_valid_bsn(value: str) -> bool:
    """True if ``value`` is a BSN passing the elfproef (11-test), after :func:`normalise_bsn`."""
    try:
        digits = normalise_bsn(value)
    except (TypeError, ValueError):
        return False
    if digits == "000000000":
        return False
    return sum(weight * int(digit) for weight, digit in zip(_WEIGHTS, digits, strict=True)) % 11 == 0


def _normalise(value: str, purpose: str) -> str:
    if purpose == "bsn":
        return normalise_bsn(value)
    return unicodedata.normalize("NFC", value)


def _length_prefixed(part: bytes) -> bytes:
    return len(part).to_bytes(4, "big") + part


def blind_index(index_key: bytes, value: str, *, purpose: str = "bsn") -> str:
    """Hex HMAC-SHA256 of ``value`` for exact-match lookup.

    ``purpose="bsn"`` normalises with :func:`normalise_bsn` (ValueError for something that is not a BSN);
    other purposes only apply Unicode NFC, so callers normalise such values themselves.
    """
    if not isinstance(index_key, bytes) or len(index_key) < MIN_INDEX_KEY_SIZE:
        raise ValueError(f"index_key must be at least {MIN_INDEX_KEY_SIZE} bytes")
    if not purpose:
        raise ValueError("purpose must not be empty")
    parts = (_LABEL, purpose.encode("utf-8"), _normalise(value, purpose).encode("utf-8"))
    message = b"".join(_length_prefixed(part) for part in parts)
    return hmac.new(index_key, message, hashlib.sha256).hexdigest()
