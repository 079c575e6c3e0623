"""Encryption of small values stored in database columns.

Each value gets its own random data key, wrapped by the keyring (see :mod:`crypto.keyring`); the value is
sealed with AES-256-GCM. Both the wrapped key and the value are bound to a *context* naming the table, column
and row, so a value copied to another row or column fails to decrypt.

Envelope layout (version 1)::

    version        1 byte   (1)
    len(wrapped)   u16 big-endian
    wrapped        the wrapped data key (associated data: the context)
    nonce          12 bytes
    ciphertext     value + 16-byte tag (associated data: the version byte, then the context)

Rotation (:func:`rewrap_field`) replaces only the wrapped key; the nonce and ciphertext stay as they are.
"""

from __future__ import annotations

import secrets
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import DecryptionError
from crypto.keyring import KEY_SIZE, Keyring, key_id_of

__all__ = [
    "FIELD_VERSION",
    "decrypt_field",
    "decrypt_text",
    "encrypt_field",
    "field_context",
    "field_key_id",
    "rewrap_field",
]

FIELD_VERSION = 1
NONCE_SIZE = 12
TAG_SIZE = 16
_CONTEXT_LABEL = b"hub field v1"
_LEN = struct.Struct(">H")


def _length_prefixed(part: bytes) -> bytes:
    return len(part).to_bytes(4, "big") + part


def field_context(table: str, column: str, row_id: str) -> bytes:
    """Unambiguous associated data naming one value: a label, then table, column and row id, each
    UTF-8 and prefixed with its length (u32 big-endian)."""
    parts = (table, column, row_id)
    if not all(isinstance(part, str) for part in parts):
        raise TypeError("table, column and row_id must be str")
    encoded = (_CONTEXT_LABEL, *(part.encode("utf-8") for part in parts))
    return b"".join(_length_prefixed(part) for part in encoded)


def _parse(envelope: bytes) -> tuple[bytes, bytes, bytes]:
    """Split an envelope into (wrapped key, nonce, ciphertext); DecryptionError if malformed."""
    if not isinstance(envelope, bytes | bytearray | memoryview):
        raise DecryptionError("decryption failed: envelope is not bytes")
    data = bytes(envelope)
    if len(data) < 1 + _LEN.size or data[0] != FIELD_VERSION:
        raise DecryptionError("decryption failed: unknown field envelope format")
    (wrapped_len,) = _LEN.unpack_from(data, 1)
    start = 1 + _LEN.size
    nonce_start = start + wrapped_len
    if len(data) < nonce_start + NONCE_SIZE + TAG_SIZE:
        raise DecryptionError("decryption failed: malformed field envelope")
    sealed_start = nonce_start + NONCE_SIZE
    return data[start:nonce_start], data[nonce_start:sealed_start], data[sealed_start:]


def _assemble(wrapped: bytes, nonce: bytes, sealed: bytes) -> bytes:
    return bytes((FIELD_VERSION,)) + _LEN.pack(len(wrapped)) + wrapped + nonce + sealed


def _value_aad(context: bytes) -> bytes:
    return bytes((FIELD_VERSION,)) + bytes(context)


def encrypt_field(
    keyring: Keyring,
    plaintext: str | bytes,
    *,
    context: bytes,
    _data_key: bytes | None = None,
    _nonce: bytes | None = None,
    _wrap_nonce: bytes | None = None,
) -> bytes:
    """Encrypt one value (``str`` is encoded as UTF-8) for the place named by ``context``.

    The underscored arguments are seams for deterministic test vectors; leave them ``None`` in real use.
    """
    if isinstance(plaintext, str):
        plaintext = plaintext.encode("utf-8")
    elif not isinstance(plaintext, bytes | bytearray | memoryview):
        raise TypeError("plaintext must be str or bytes")
    data_key = secrets.token_bytes(KEY_SIZE) if _data_key is None else _data_key
    nonce = secrets.token_bytes(NONCE_SIZE) if _nonce is None else _nonce
    if len(nonce) != NONCE_SIZE:
        raise ValueError(f"nonce must be {NONCE_SIZE} bytes")
    wrapped = keyring.wrap(data_key, associated_data=context, _nonce=_wrap_nonce)
    sealed = AESGCM(data_key).encrypt(nonce, plaintext, _value_aad(context))
    return _assemble(wrapped, nonce, sealed)


def decrypt_field(keyring: Keyring, envelope: bytes, *, context: bytes) -> bytes:
    """Decrypt one value; DecryptionError if anything is wrong, including a context that does not match."""
    wrapped, nonce, sealed = _parse(envelope)
    data_key = keyring.unwrap(wrapped, associated_data=context)
    try:
        return AESGCM(data_key).decrypt(nonce, sealed, _value_aad(context))
    except InvalidTag:
        raise DecryptionError("decryption failed: field failed authentication") from None


def decrypt_text(keyring: Keyring, envelope: bytes, *, context: bytes) -> str:
    """Decrypt one value that was stored as text."""
    try:
        return decrypt_field(keyring, envelope, context=context).decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError("decryption failed: field is not UTF-8 text") from None


def rewrap_field(keyring: Keyring, envelope: bytes, *, context: bytes) -> bytes:
    """Re-wrap the value's data key with the primary KEK, keeping nonce and ciphertext.

    The value is verified first, so rotation never carries a corrupt or misplaced value along silently.
    """
    wrapped, nonce, sealed = _parse(envelope)
    data_key = keyring.unwrap(wrapped, associated_data=context)
    try:
        AESGCM(data_key).decrypt(nonce, sealed, _value_aad(context))
    except InvalidTag:
        raise DecryptionError("decryption failed: field failed authentication") from None
    return _assemble(keyring.wrap(data_key, associated_data=context), nonce, sealed)


def field_key_id(envelope: bytes) -> str:
    """Id of the KEK that wraps this value's data key; DecryptionError if malformed."""
    return key_id_of(_parse(envelope)[0])
