"""Exceptions raised by the crypto package.

Following pyca/cryptography's Fernet, every failure to decrypt, verify or unwrap raises the same exception,
:class:`DecryptionError`, whatever the cause (wrong key, tampering, truncation, unknown key id, bad format).
Callers cannot, and need not, tell these causes apart; the message is deliberately vague so that it leaks
nothing an attacker could use as an oracle.
"""

from __future__ import annotations

__all__ = ["CryptoError", "DecryptionError", "KeyringError"]


class CryptoError(Exception):
    """Base class of every exception raised on purpose by this package."""


class DecryptionError(CryptoError):
    """Data could not be decrypted, verified or unwrapped.

    Raised for every such failure: wrong key, a flipped bit, a truncated or extended stream, chunks reordered,
    data from another document or row, an unknown key id, an unknown version or a malformed envelope.
    """

    def __init__(self, message: str = "decryption failed") -> None:
        super().__init__(message)


class KeyringError(CryptoError):
    """The keyring file or configuration is missing, unsafe or malformed.

    The message is plain English meant for an operator, and never contains key material.
    """
