"""Streaming authenticated encryption for document contents.

The format follows age's STREAM construction and the C2SP chunked-encryption draft. A file is a header
followed by chunks::

    header = magic  "HUBv"                        4 bytes
             version                              1 byte   (1)
             algorithm                            1 byte   (1 = AES-256-GCM)
             chunk_size                           u32 big-endian, plaintext bytes per chunk
             len(object_id)                       1 byte   (1..64)
             object_id                            UTF-8
             revision                             u32 big-endian
             salt                                 32 random bytes
             commitment                           32 bytes
    chunk  = AES-256-GCM(stream_key, nonce, plaintext[i*chunk_size:(i+1)*chunk_size]) || 16-byte tag
    nonce  = chunk counter (11 bytes, big-endian) || last flag (0x01 on the final chunk, else 0x00)

Every chunk but the last holds exactly ``chunk_size`` plaintext bytes. The last chunk holds 1..chunk_size
bytes; it is empty only when the whole plaintext is empty. A plaintext whose length is a multiple of
``chunk_size`` therefore ends with a full chunk marked final.

The per-file stream key and the key commitment are derived from the document's data key with HKDF-SHA256,
salted with the header's salt, and with ``info`` holding a label and every header byte before the commitment.
A reader checks the commitment (in constant time) before decrypting anything, so a wrong key or any change to
the header is caught up front, and AES-GCM's lack of key commitment cannot be exploited. Chunks are bound to
the header through the key, to their position through the counter, and the end of the stream through the last
flag: a flipped bit, a truncated (even at a chunk boundary) or extended file, reordered or duplicated chunks,
and chunks or headers from another file all fail with :class:`~crypto.errors.DecryptionError`.

Memory stays bounded by the chunk size whatever the file size: both directions buffer at most one chunk.
"""

from __future__ import annotations

import hmac
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.errors import DecryptionError

__all__ = [
    "ALGORITHM_AES_256_GCM",
    "DEFAULT_CHUNK_SIZE",
    "FORMAT_VERSION",
    "MAGIC",
    "MAX_CHUNK_SIZE",
    "MAX_OBJECT_ID_BYTES",
    "MIN_CHUNK_SIZE",
    "HeaderInfo",
    "StreamDecryptor",
    "StreamEncryptor",
    "ciphertext_size",
    "decrypt_bytes",
    "decrypt_iter",
    "encrypt_bytes",
    "encrypt_iter",
    "header_size",
    "read_header_info",
]

BytesLike: TypeAlias = bytes | bytearray | memoryview

MAGIC = b"HUBv"
FORMAT_VERSION = 1
ALGORITHM_AES_256_GCM = 1
DEFAULT_CHUNK_SIZE = 64 * 1024
MIN_CHUNK_SIZE = 1
MAX_CHUNK_SIZE = 16 * 1024 * 1024
MAX_OBJECT_ID_BYTES = 64
MAX_REVISION = 2**32 - 1

KEY_SIZE = 32
SALT_SIZE = 32
COMMITMENT_SIZE = 32
TAG_SIZE = 16
_COUNTER_SIZE = 11
_MAX_CHUNKS = 2 ** (8 * _COUNTER_SIZE)

# magic, version, algorithm, chunk_size, len(object_id): enough to know the full header length.
_FIXED = struct.Struct(">4sBBIB")
# What follows the object id: revision, salt, commitment.
_TAIL_SIZE = 4 + SALT_SIZE + COMMITMENT_SIZE

_STREAM_KEY_LABEL = b"hub stream v1: payload key\x00"
_COMMITMENT_LABEL = b"hub stream v1: key commitment\x00"

# Slices fed to update() by the iterator helpers, so that each yielded piece stays small.
_ITER_SLICE = 64 * 1024


@dataclass(frozen=True, slots=True)
class HeaderInfo:
    """What a stream header says about itself, readable without the key (for diagnostics only)."""

    version: int
    chunk_size: int
    object_id: str
    revision: int
    algorithm: int
    header_size: int


def _encode_object_id(object_id: str) -> bytes:
    if not isinstance(object_id, str):
        raise TypeError("object_id must be a str")
    encoded = object_id.encode("utf-8")
    if not 1 <= len(encoded) <= MAX_OBJECT_ID_BYTES:
        raise ValueError(f"object_id must be 1..{MAX_OBJECT_ID_BYTES} bytes of UTF-8")
    return encoded


def _check_revision(revision: int) -> int:
    if isinstance(revision, bool) or not isinstance(revision, int):
        raise TypeError("revision must be an int")
    if not 0 <= revision <= MAX_REVISION:
        raise ValueError(f"revision must be 0..{MAX_REVISION}")
    return revision


def _check_chunk_size(chunk_size: int) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
        raise TypeError("chunk_size must be an int")
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be {MIN_CHUNK_SIZE}..{MAX_CHUNK_SIZE}")
    return chunk_size


def _check_key(data_key: bytes) -> bytes:
    if not isinstance(data_key, bytes | bytearray | memoryview):
        raise TypeError("data_key must be bytes")
    data_key = bytes(data_key)
    if len(data_key) != KEY_SIZE:
        raise ValueError(f"data_key must be {KEY_SIZE} bytes")
    return data_key


def _header_prefix(chunk_size: int, object_id: bytes, revision: int, salt: bytes) -> bytes:
    """Every header byte before the commitment."""
    return (
        _FIXED.pack(MAGIC, FORMAT_VERSION, ALGORITHM_AES_256_GCM, chunk_size, len(object_id))
        + object_id
        + revision.to_bytes(4, "big")
        + salt
    )


def _derive(data_key: bytes, salt: bytes, prefix: bytes) -> tuple[AESGCM, bytes]:
    """Return the stream cipher and the key commitment for a header prefix."""

    def hkdf(label: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=label + prefix).derive(data_key)

    return AESGCM(hkdf(_STREAM_KEY_LABEL)), hkdf(_COMMITMENT_LABEL)


def _nonce(counter: int, last: bool) -> bytes:
    if counter >= _MAX_CHUNKS:  # pragma: no cover - 2**88 chunks cannot happen in practice
        raise OverflowError("stream too long")
    return counter.to_bytes(_COUNTER_SIZE, "big") + (b"\x01" if last else b"\x00")


def header_size(object_id: str) -> int:
    """Size in bytes of the header of a stream for ``object_id``."""
    return _FIXED.size + len(_encode_object_id(object_id)) + _TAIL_SIZE


def ciphertext_size(plaintext_size: int, chunk_size: int = DEFAULT_CHUNK_SIZE, *, object_id: str | None = None) -> int:
    """Size of the encrypted form of ``plaintext_size`` bytes.

    Without ``object_id`` this counts the sealed chunks only (what ``update()`` and ``finalize()`` return
    after ``header()``); the header's size depends on the object id, so pass ``object_id`` to include it.
    """
    if plaintext_size < 0:
        raise ValueError("plaintext_size must be >= 0")
    _check_chunk_size(chunk_size)
    chunks = max(1, -(-plaintext_size // chunk_size))
    body = plaintext_size + chunks * TAG_SIZE
    return body if object_id is None else body + header_size(object_id)


def _split_units(pending: bytearray, data: memoryview, unit: int) -> tuple[list[BytesLike], bytearray]:
    """Cut ``pending + data`` into whole units, always holding back the last 1..unit bytes.

    Returns the units that are known not to be the last one, and the new pending buffer. Whole units are
    memoryview slices of ``data`` (no copy); only a unit straddling the old pending bytes is copied.
    """
    total = len(pending) + len(data)
    if total <= unit:
        pending += data
        return [], pending
    count = (total - 1) // unit
    units: list[BytesLike] = []
    pos = 0
    if pending:
        pos = unit - len(pending)
        pending += data[:pos]
        units.append(pending)  # a fresh pending buffer is returned below, so this one is never touched again
        count -= 1
    for _ in range(count):
        units.append(data[pos : pos + unit])
        pos += unit
    return units, bytearray(data[pos:])


def _as_view(data: BytesLike) -> memoryview:
    view = memoryview(data)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


class StreamEncryptor:
    """Encrypts one stream incrementally: ``header()`` once, then ``update()`` as often as needed, then
    ``finalize()``. Concatenating every returned piece gives the encrypted file.

    ``salt`` is a seam for deterministic test vectors; leave it ``None`` in real use.
    """

    def __init__(
        self,
        data_key: bytes,
        object_id: str,
        revision: int = 1,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        salt: bytes | None = None,
    ) -> None:
        key = _check_key(data_key)
        oid = _encode_object_id(object_id)
        self.object_id = object_id
        self.revision = _check_revision(revision)
        self.chunk_size = _check_chunk_size(chunk_size)
        if salt is None:
            salt = os.urandom(SALT_SIZE)
        elif len(salt) != SALT_SIZE:
            raise ValueError(f"salt must be {SALT_SIZE} bytes")
        self.salt = bytes(salt)
        prefix = _header_prefix(self.chunk_size, oid, self.revision, self.salt)
        self._aead, commitment = _derive(key, self.salt, prefix)
        self._header = prefix + commitment
        self._counter = 0
        self._pending = bytearray()
        self._state = "new"  # new -> open -> done

    def header(self) -> bytes:
        """Return the header; call exactly once, before ``update()``."""
        if self._state != "new":
            raise RuntimeError("header() must be called once, before update() and finalize()")
        self._state = "open"
        return self._header

    def update(self, data: BytesLike) -> bytes:
        """Feed plaintext of any size; return the ciphertext of the chunks completed so far (maybe empty).

        The most recent full chunk is held back until more data arrives, because only then is it known not to
        be the final chunk.
        """
        if self._state != "open":
            raise RuntimeError("update() needs header() first and cannot follow finalize()")
        units, self._pending = _split_units(self._pending, _as_view(data), self.chunk_size)
        if not units:
            return b""
        seal = self._aead.encrypt
        counter = self._counter
        out = []
        for unit in units:
            out.append(seal(_nonce(counter, False), unit, None))
            counter += 1
        self._counter = counter
        return out[0] if len(out) == 1 else b"".join(out)

    def finalize(self) -> bytes:
        """Return the final chunk. The encryptor cannot be used afterwards."""
        if self._state != "open":
            raise RuntimeError("finalize() needs header() first and can be called only once")
        self._state = "done"
        last = self._aead.encrypt(_nonce(self._counter, True), bytes(self._pending), None)
        self._pending = bytearray()
        return last


class StreamDecryptor:
    """Decrypts and verifies one stream incrementally.

    Feed the encrypted file (header included) to ``update()`` in slices of any size; it returns verified
    plaintext of completed chunks. ``finalize()`` verifies and returns the last chunk; it raises
    :class:`DecryptionError` if the stream was truncated. Every failure raises :class:`DecryptionError`,
    after which the decryptor refuses further use.

    Plaintext returned by ``update()`` is authentic, but until ``finalize()`` succeeds it may be only a prefix
    of the document (the stream may have been cut short): do not treat the document as complete before that.
    """

    def __init__(self, data_key: bytes, object_id: str, revision: int = 1) -> None:
        self._key = _check_key(data_key)
        self._object_id = _encode_object_id(object_id)
        self._revision = _check_revision(revision)
        self._head = bytearray()
        self._aead: AESGCM | None = None
        self._unit = 0
        self._counter = 0
        self._pending = bytearray()
        self._state = "open"  # open -> done | failed
        self.header_info: HeaderInfo | None = None

    def _fail(self, reason: str) -> DecryptionError:
        self._state = "failed"
        self._pending = bytearray()
        self._head = bytearray()
        self._aead = None
        return DecryptionError(f"decryption failed: {reason}")

    def _check_usable(self) -> None:
        if self._state == "failed":
            raise DecryptionError("decryption failed: stream already rejected")
        if self._state == "done":
            raise RuntimeError("finalize() was already called")

    def _take_header(self, view: memoryview) -> memoryview | None:
        """Accumulate header bytes; once complete, verify it and return the rest of ``view``."""
        head = self._head
        pos = 0
        if len(head) < _FIXED.size:
            pos = _FIXED.size - len(head)
            head += view[:pos]
            if len(head) < _FIXED.size:
                return None
            magic, version, algorithm, chunk_size, oid_len = _FIXED.unpack(head)
            if magic != MAGIC:
                raise self._fail("not an encrypted stream (bad magic)")
            if version != FORMAT_VERSION:
                raise self._fail("unsupported format version")
            if algorithm != ALGORITHM_AES_256_GCM:
                raise self._fail("unsupported algorithm")
            if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
                raise self._fail("invalid chunk size")
            if oid_len != len(self._object_id):
                raise self._fail("stream belongs to another object")
        total = _FIXED.size + head[_FIXED.size - 1] + _TAIL_SIZE
        take = total - len(head)
        head += view[pos : pos + take]
        if len(head) < total:
            return None
        rest = view[pos + take :]

        chunk_size = _FIXED.unpack_from(head)[3]
        oid_end = _FIXED.size + len(self._object_id)
        if not hmac.compare_digest(head[_FIXED.size : oid_end], self._object_id):
            raise self._fail("stream belongs to another object")
        if int.from_bytes(head[oid_end : oid_end + 4], "big") != self._revision:
            raise self._fail("stream belongs to another revision")
        salt = bytes(head[oid_end + 4 : oid_end + 4 + SALT_SIZE])
        prefix = bytes(head[: total - COMMITMENT_SIZE])
        aead, commitment = _derive(self._key, salt, prefix)
        if not hmac.compare_digest(commitment, head[total - COMMITMENT_SIZE :]):
            raise self._fail("wrong key or modified header")
        self._aead = aead
        self._unit = chunk_size + TAG_SIZE
        self.header_info = HeaderInfo(
            version=FORMAT_VERSION,
            chunk_size=chunk_size,
            object_id=self._object_id.decode("utf-8"),
            revision=self._revision,
            algorithm=ALGORITHM_AES_256_GCM,
            header_size=total,
        )
        self._head = bytearray()
        return rest

    def update(self, data: BytesLike) -> bytes:
        """Feed the next slice of the encrypted file; return newly verified plaintext (maybe empty)."""
        self._check_usable()
        view: memoryview | None = _as_view(data)
        if self._aead is None:
            assert view is not None
            view = self._take_header(view)
            if view is None:
                return b""
        assert view is not None and self._aead is not None
        units, self._pending = _split_units(self._pending, view, self._unit)
        if not units:
            return b""
        open_ = self._aead.decrypt
        counter = self._counter
        out = []
        try:
            for unit in units:
                out.append(open_(_nonce(counter, False), unit, None))
                counter += 1
        except InvalidTag:
            out.clear()
            raise self._fail("chunk failed authentication") from None
        self._counter = counter
        return out[0] if len(out) == 1 else b"".join(out)

    def start_at(self, chunk_index: int) -> None:
        """For a ranged read: after the header (fed to ``update()`` and so verified), continue with chunk
        ``chunk_index``; the next bytes fed must be the ciphertext from that chunk's start. End with
        :meth:`finalize` when the range includes the final chunk, else with :meth:`finalize_range`."""
        self._check_usable()
        if self._aead is None or self._counter or self._pending:
            raise RuntimeError("start_at() needs the whole header and nothing after it")
        if not 0 <= chunk_index < _MAX_CHUNKS:
            raise ValueError("chunk index out of range")
        self._counter = chunk_index

    def finalize_range(self) -> bytes:
        """Verify and return the held-back chunk as one that is NOT the final chunk of the stream (a ranged read
        that ends before the end); :class:`DecryptionError` unless exactly one whole chunk is held back."""
        self._check_usable()
        if self._aead is None:
            raise self._fail("stream truncated inside the header")
        if len(self._pending) != self._unit:
            raise self._fail("stream truncated")
        try:
            plaintext = self._aead.decrypt(_nonce(self._counter, False), bytes(self._pending), None)
        except InvalidTag:
            raise self._fail("chunk failed authentication") from None
        self._state = "done"
        self._pending = bytearray()
        self._aead = None
        return plaintext

    def finalize(self) -> bytes:
        """Verify and return the final chunk; raise :class:`DecryptionError` if the stream is incomplete."""
        self._check_usable()
        if self._aead is None:
            raise self._fail("stream truncated inside the header")
        last = self._pending
        if len(last) < TAG_SIZE:
            raise self._fail("stream truncated")
        if len(last) == TAG_SIZE and self._counter > 0:
            raise self._fail("empty final chunk after data")
        try:
            plaintext = self._aead.decrypt(_nonce(self._counter, True), bytes(last), None)
        except InvalidTag:
            raise self._fail("final chunk failed authentication (truncated or extended stream)") from None
        self._state = "done"
        self._pending = bytearray()
        self._aead = None
        return plaintext


def read_header_info(prefix: bytes) -> HeaderInfo:
    """Parse the header at the start of ``prefix`` without a key, for diagnostics.

    Nothing here is verified: the fields are only as trustworthy as the file. Raises :class:`DecryptionError`
    if ``prefix`` does not start with a complete header of a known version.
    """
    view = _as_view(prefix)
    if len(view) < _FIXED.size:
        raise DecryptionError("decryption failed: incomplete header")
    magic, version, algorithm, chunk_size, oid_len = _FIXED.unpack_from(view)
    if magic != MAGIC:
        raise DecryptionError("decryption failed: not an encrypted stream (bad magic)")
    if version != FORMAT_VERSION:
        raise DecryptionError("decryption failed: unsupported format version")
    total = _FIXED.size + oid_len + _TAIL_SIZE
    if len(view) < total:
        raise DecryptionError("decryption failed: incomplete header")
    oid_end = _FIXED.size + oid_len
    try:
        object_id = bytes(view[_FIXED.size : oid_end]).decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError("decryption failed: malformed object id") from None
    return HeaderInfo(
        version=version,
        chunk_size=chunk_size,
        object_id=object_id,
        revision=int.from_bytes(view[oid_end : oid_end + 4], "big"),
        algorithm=algorithm,
        header_size=total,
    )


def encrypt_bytes(data_key: bytes, object_id: str, plaintext: BytesLike, revision: int = 1, **kw: Any) -> bytes:
    """Encrypt a whole plaintext held in memory. ``kw``: ``chunk_size``, ``salt``."""
    enc = StreamEncryptor(data_key, object_id, revision, **kw)
    return b"".join((enc.header(), enc.update(plaintext), enc.finalize()))


def decrypt_bytes(data_key: bytes, object_id: str, ciphertext: BytesLike, revision: int = 1) -> bytes:
    """Decrypt and verify a whole encrypted file held in memory; all or nothing."""
    dec = StreamDecryptor(data_key, object_id, revision)
    body = dec.update(ciphertext)
    return body + dec.finalize()


def _slices(chunks: Iterable[BytesLike], size: int) -> Iterator[memoryview]:
    for chunk in chunks:
        view = _as_view(chunk)
        for start in range(0, len(view), size):
            yield view[start : start + size]
        del chunk, view  # let the caller's piece go before the next one is made


def encrypt_iter(
    data_key: bytes,
    object_id: str,
    chunks: Iterable[BytesLike],
    revision: int = 1,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    salt: bytes | None = None,
) -> Iterator[bytes]:
    """Encrypt an iterable of plaintext pieces lazily: yields the header, then ciphertext pieces.

    Input pieces of any size are processed a chunk at a time, so memory stays bounded by the chunk size.
    """
    enc = StreamEncryptor(data_key, object_id, revision, chunk_size=chunk_size, salt=salt)
    yield enc.header()
    for piece in _slices(chunks, max(chunk_size, _ITER_SLICE)):
        out = enc.update(piece)
        del piece  # a view of the caller's piece: do not pin it while waiting for the next one
        if out:
            yield out
    yield enc.finalize()


def decrypt_iter(data_key: bytes, object_id: str, chunks: Iterable[BytesLike], revision: int = 1) -> Iterator[bytes]:
    """Decrypt an iterable of ciphertext pieces lazily, yielding verified plaintext pieces.

    Raises :class:`DecryptionError` as soon as something is wrong, possibly after earlier pieces were
    yielded: the document is complete and authentic only once the iterator is exhausted without error.
    """
    dec = StreamDecryptor(data_key, object_id, revision)
    for piece in _slices(chunks, _ITER_SLICE):
        out = dec.update(piece)
        del piece
        if out:
            yield out
    last = dec.finalize()
    if last:
        yield last
