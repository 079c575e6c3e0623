"""Key-encryption keys (KEKs) and wrapping of data keys.

Every document and every encrypted field has its own random data key. The data key is stored next to the data,
wrapped (AES-256-GCM) by the keyring's primary KEK, with associated data that ties it to its owner (a document
id, a field context). Rotation adds a new primary KEK and rewraps data keys; the data itself is never re-
encrypted.

Wrapped key layout (version 1)::

    version      1 byte   (1)
    len(key_id)  1 byte
    key_id       ASCII
    nonce        12 bytes
    ciphertext   32-byte data key + 16-byte tag

The associated data of the AES-GCM seal is every byte before the nonce followed by the caller's associated
data, so neither the key id nor the owner can be changed.

The keyring itself is JSON, stored in a file readable only by its owner, or passed in an environment
variable::

    {"format": "hub-keyring", "version": 1, "primary": "k2",
     "keys": {"k1": "<base64>", "k2": "<base64>"}, "index_key": "<base64>"}

``index_key`` keys the blind index (see :mod:`crypto.blind_index`); rotation never changes it, because every
stored index value would have to be recomputed from plaintext."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import DecryptionError, KeyringError

__all__ = ["KEY_SIZE", "WRAP_VERSION", "Keyring", "generate_data_key", "key_id_of"]

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
WRAP_VERSION = 1
KEYRING_FORMAT = "hub-keyring"
KEYRING_VERSION = 1

_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_NUMBERED_ID = re.compile(r"k([0-9]+)")


def generate_data_key() -> bytes:
    """Return a fresh random 32-byte data key."""
    return secrets.token_bytes(KEY_SIZE)


def _parse_wrapped(wrapped: bytes) -> tuple[str, bytes, bytes, bytes]:
    """Split a wrapped key into (key id, header, nonce, ciphertext); DecryptionError if malformed."""
    if not isinstance(wrapped, bytes | bytearray | memoryview):
        raise DecryptionError("decryption failed: wrapped key is not bytes")
    data = bytes(wrapped)
    if len(data) < 2 or data[0] != WRAP_VERSION:
        raise DecryptionError("decryption failed: unknown wrapped key format")
    header_end = 2 + data[1]
    if len(data) != header_end + NONCE_SIZE + KEY_SIZE + TAG_SIZE:
        raise DecryptionError("decryption failed: malformed wrapped key")
    raw_id = data[2:header_end]
    key_id = raw_id.decode("ascii", errors="replace")
    if not _KEY_ID.fullmatch(key_id):
        raise DecryptionError("decryption failed: malformed key id")
    sealed_start = header_end + NONCE_SIZE
    return key_id, data[:header_end], data[header_end:sealed_start], data[sealed_start:]


def key_id_of(wrapped: bytes) -> str:
    """Return the id of the KEK that wrapped ``wrapped`` (no key needed); DecryptionError if malformed."""
    return _parse_wrapped(wrapped)[0]


def _b64decode(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise KeyringError(f"Keyring is malformed: {what} must be a base64 string.")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise KeyringError(f"Keyring is malformed: {what} is not valid base64.") from None
    if len(raw) != KEY_SIZE:
        raise KeyringError(f"Keyring is malformed: {what} must be {KEY_SIZE} bytes, not {len(raw)}.")
    return raw


class Keyring:
    """A set of KEKs by id, one of them primary, plus the blind-index key.

    ``repr()`` shows key ids only, never key material.
    """

    __slots__ = ("index_key", "keys", "primary_id")

    def __init__(self, keys: Mapping[str, bytes], primary_id: str, index_key: bytes) -> None:
        if not keys:
            raise KeyringError("Keyring is malformed: it holds no keys.")
        for key_id, key in keys.items():
            if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
                raise KeyringError(
                    f"Keyring is malformed: key id {key_id!r} must be 1-32 letters, digits, '.', '_' or '-'."
                )
            if not isinstance(key, bytes) or len(key) != KEY_SIZE:
                raise KeyringError(f"Keyring is malformed: key {key_id!r} must be {KEY_SIZE} bytes.")
        if primary_id not in keys:
            raise KeyringError(f"Keyring is malformed: the primary key {primary_id!r} is not in the keyring.")
        if not isinstance(index_key, bytes) or len(index_key) != KEY_SIZE:
            raise KeyringError(f"Keyring is malformed: the index key must be {KEY_SIZE} bytes.")
        self.keys: dict[str, bytes] = dict(keys)
        self.primary_id: str = primary_id
        self.index_key: bytes = index_key

    def __repr__(self) -> str:
        return f"Keyring(key_ids={sorted(self.keys)!r}, primary_id={self.primary_id!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Keyring):
            return NotImplemented
        return (self.keys, self.primary_id, self.index_key) == (other.keys, other.primary_id, other.index_key)

    __hash__ = None  # type: ignore[assignment]  # mutable

    # -- creation and rotation ---------------------------------------------------------------------------

    @classmethod
    def generate(cls) -> Keyring:
        """A new keyring with one random KEK ("k1") and a random index key."""
        return cls({"k1": secrets.token_bytes(KEY_SIZE)}, "k1", secrets.token_bytes(KEY_SIZE))

    def _next_id(self) -> str:
        numbers = [int(m.group(1)) for m in map(_NUMBERED_ID.fullmatch, self.keys) if m]
        number = max(numbers, default=0) + 1
        while f"k{number}" in self.keys:  # pragma: no cover - only with hand-made ids
            number += 1
        return f"k{number}"

    def add_primary(self) -> str:
        """Add a new random KEK, make it primary and return its id. The index key is left alone."""
        key_id = self._next_id()
        self.keys[key_id] = secrets.token_bytes(KEY_SIZE)
        self.primary_id = key_id
        return key_id

    def rotate(self) -> str:
        """Alias of :meth:`add_primary`, named after ``hub keys rotate``."""
        return self.add_primary()

    def remove(self, key_id: str) -> None:
        """Forget a KEK. Data keys still wrapped by it can no longer be unwrapped: rewrap them first."""
        if key_id == self.primary_id:
            raise KeyringError(f"Key {key_id!r} is the primary key and cannot be removed; rotate to a new key first.")
        if key_id not in self.keys:
            raise KeyringError(f"Key {key_id!r} is not in the keyring.")
        del self.keys[key_id]

    # -- wrapping data keys ------------------------------------------------------------------------------

    def wrap(self, data_key: bytes, *, associated_data: bytes, _nonce: bytes | None = None) -> bytes:
        """Wrap a 32-byte data key with the primary KEK, bound to ``associated_data``.

        ``_nonce`` is a seam for deterministic test vectors; leave it ``None`` in real use.
        """
        if not isinstance(data_key, bytes) or len(data_key) != KEY_SIZE:
            raise ValueError(f"data_key must be {KEY_SIZE} bytes")
        nonce = secrets.token_bytes(NONCE_SIZE) if _nonce is None else bytes(_nonce)
        if len(nonce) != NONCE_SIZE:
            raise ValueError(f"nonce must be {NONCE_SIZE} bytes")
        raw_id = self.primary_id.encode("ascii")
        header = bytes((WRAP_VERSION, len(raw_id))) + raw_id
        sealed = AESGCM(self.keys[self.primary_id]).encrypt(nonce, data_key, header + bytes(associated_data))
        return header + nonce + sealed

    def unwrap(self, wrapped: bytes, *, associated_data: bytes) -> bytes:
        """Return the data key inside ``wrapped``.

        Raises DecryptionError on any problem, including a KEK id that is not in the keyring.
        """
        key_id, header, nonce, sealed = _parse_wrapped(wrapped)
        kek = self.keys.get(key_id)
        if kek is None:
            raise DecryptionError("decryption failed: wrapped by a key that is not in the keyring")
        try:
            return AESGCM(kek).decrypt(nonce, sealed, header + bytes(associated_data))
        except InvalidTag:
            raise DecryptionError("decryption failed: wrapped key failed authentication") from None

    def rewrap(self, wrapped: bytes, *, associated_data: bytes) -> bytes:
        """Unwrap with whichever KEK wrapped it and wrap again with the primary KEK."""
        data_key = self.unwrap(wrapped, associated_data=associated_data)
        return self.wrap(data_key, associated_data=associated_data)

    @staticmethod
    def key_id_of(wrapped: bytes) -> str:
        """Id of the KEK that wrapped ``wrapped``; DecryptionError if malformed."""
        return key_id_of(wrapped)

    # -- serialisation -----------------------------------------------------------------------------------

    def to_json(self) -> str:
        """The keyring as JSON text. It contains every secret key: store it like one."""
        enc = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
        doc = {
            "format": KEYRING_FORMAT,
            "version": KEYRING_VERSION,
            "primary": self.primary_id,
            "keys": {key_id: enc(key) for key_id, key in sorted(self.keys.items())},
            "index_key": enc(self.index_key),
        }
        return json.dumps(doc, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Keyring:
        """Parse keyring JSON; KeyringError with an operator-readable message if it is malformed."""
        try:
            doc = json.loads(text)
        except (ValueError, TypeError):
            raise KeyringError("Keyring is malformed: it is not valid JSON.") from None
        if not isinstance(doc, dict) or doc.get("format") != KEYRING_FORMAT:
            raise KeyringError(f'Keyring is malformed: expected a JSON object with "format": "{KEYRING_FORMAT}".')
        if doc.get("version") != KEYRING_VERSION:
            raise KeyringError(f"Keyring version {doc.get('version')!r} is not supported (expected {KEYRING_VERSION}).")
        keys = doc.get("keys")
        if not isinstance(keys, dict):
            raise KeyringError('Keyring is malformed: "keys" must be an object of key id to base64 key.')
        primary = doc.get("primary")
        if not isinstance(primary, str):
            raise KeyringError('Keyring is malformed: "primary" must name one of the keys.')
        return cls(
            {str(key_id): _b64decode(value, f"key {key_id!r}") for key_id, value in keys.items()},
            primary,
            _b64decode(doc.get("index_key"), "the index key"),
        )

    @classmethod
    def from_env(cls, value: str) -> Keyring:
        """Parse a keyring given in an environment variable: the JSON itself, or its base64."""
        text = value.strip()
        if not text:
            raise KeyringError("The keyring environment variable is empty.")
        if not text.startswith("{"):
            try:
                text = base64.b64decode(text.encode("ascii"), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeError):
                try:
                    text = base64.urlsafe_b64decode(text.encode("ascii")).decode("utf-8")
                except (binascii.Error, UnicodeError, ValueError):
                    raise KeyringError(
                        "The keyring environment variable holds neither keyring JSON nor its base64."
                    ) from None
        return cls.from_json(text)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Keyring:
        """Read a keyring file, refusing one that the group or others can access."""
        path = Path(path)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise KeyringError(f"Keyring file {path} does not exist.") from None
        except OSError as exc:
            raise KeyringError(f"Keyring file {path} cannot be opened: {exc.strerror}.") from None
        try:
            info = os.fstat(fd)  # of the file actually opened, not of whatever the path names later
            if not stat.S_ISREG(info.st_mode):
                raise KeyringError(f"Keyring file {path} is not a regular file.")
            mode = stat.S_IMODE(info.st_mode)
            if os.name == "posix" and mode & 0o077:
                raise KeyringError(
                    f"Keyring file {path} is accessible to other users (mode {mode:04o}), but it holds "
                    f"secret keys. Fix it with: chmod 600 {path}"
                )
            blocks = []
            while block := os.read(fd, 65536):
                blocks.append(block)
            data = b"".join(blocks)
        finally:
            os.close(fd)
        try:
            return cls.from_json(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise KeyringError(f"Keyring file {path} is not UTF-8 text.") from None
        except KeyringError as exc:
            raise KeyringError(f"{exc} (file: {path})") from None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the keyring atomically, readable by its owner only (0600)."""
        path = Path(path)
        directory = path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), 0o600)
                fh.write(self.to_json().encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # make the rename durable; not possible on every platform
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
