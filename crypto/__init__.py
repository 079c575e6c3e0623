"""The hub's encryption library: pure, synchronous, stdlib plus pyca/cryptography only.

- :mod:`crypto.stream`: chunked authenticated encryption of document contents (age STREAM style).
- :mod:`crypto.keyring`: key-encryption keys, wrapping and rotation of per-object data keys.
- :mod:`crypto.fields`: encryption of small column values, bound to table, column and row.
- :mod:`crypto.blind_index`: keyed blind index and BSN checks.

Every failure to decrypt raises :class:`DecryptionError`; keyring problems raise :class:`KeyringError`.
This package must not import anything from the rest of the project.
"""

from crypto.blind_index import blind_index, is_valid_bsn, normalise_bsn
from crypto.errors import CryptoError, DecryptionError, KeyringError
from crypto.fields import (
    decrypt_field,
    decrypt_text,
    encrypt_field,
    field_context,
    field_key_id,
    rewrap_field,
)
from crypto.keyring import Keyring, generate_data_key, key_id_of
from crypto.stream import (
    DEFAULT_CHUNK_SIZE,
    HeaderInfo,
    StreamDecryptor,
    StreamEncryptor,
    ciphertext_size,
    decrypt_bytes,
    decrypt_iter,
    encrypt_bytes,
    encrypt_iter,
    header_size,
    read_header_info,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "CryptoError",
    "DecryptionError",
    "HeaderInfo",
    "Keyring",
    "KeyringError",
    "StreamDecryptor",
    "StreamEncryptor",
    "blind_index",
    "ciphertext_size",
    "decrypt_bytes",
    "decrypt_field",
    "decrypt_iter",
    "decrypt_text",
    "encrypt_bytes",
    "encrypt_field",
    "encrypt_iter",
    "field_context",
    "field_key_id",
    "generate_data_key",
    "header_size",
    "is_valid_bsn",
    "key_id_of",
    "normalise_bsn",
    "read_header_info",
    "rewrap_field",
]
