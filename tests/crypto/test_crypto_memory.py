"""crypto.stream keeps memory bounded: 64 MiB go through while only a few MiB are ever traced."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Iterator

from crypto import StreamDecryptor, StreamEncryptor, decrypt_iter, encrypt_iter, generate_data_key

MIB = 1024 * 1024
PIECES = 64  # 64 MiB in all
PEAK_LIMIT = 4 * MIB


def random_pieces() -> Iterator[bytes]:
    """Fresh 1 MiB pieces; the generator keeps no reference to a piece once it is handed out."""
    for _ in range(PIECES):
        yield os.urandom(MIB)


def hashed(pieces: Iterator[bytes], digest: hashlib._Hash) -> Iterator[bytes]:
    for piece in pieces:
        digest.update(piece)
        yield piece
        del piece


def test_iterators_stream_64_mib_in_bounded_memory() -> None:
    key = generate_data_key()
    sent, received = hashlib.sha256(), hashlib.sha256()
    size = 0
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        ciphertext = encrypt_iter(key, "doc-big", hashed(random_pieces(), sent))
        for plain in decrypt_iter(key, "doc-big", ciphertext):
            received.update(plain)
            size += len(plain)
            del plain
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == PIECES * MIB
    assert received.digest() == sent.digest()
    # One input piece plus a few chunks: the iterators yield a chunk at a time.
    assert peak < 2 * MIB, f"peak traced memory {peak / MIB:.2f} MiB"


def test_update_api_streams_64_mib_in_bounded_memory() -> None:
    """update() returns everything completed by its input, so memory follows the caller's piece size:
    one 1 MiB piece in, about 1 MiB out (briefly twice that while the output is joined)."""
    key = generate_data_key()
    sent, received = hashlib.sha256(), hashlib.sha256()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        enc = StreamEncryptor(key, "doc-big", 3)
        dec = StreamDecryptor(key, "doc-big", 3)
        received.update(dec.update(enc.header()))
        for piece in random_pieces():
            sent.update(piece)
            ciphertext = enc.update(piece)
            del piece
            plain = dec.update(ciphertext)
            del ciphertext
            received.update(plain)
            del plain
        received.update(dec.update(enc.finalize()))
        received.update(dec.finalize())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received.digest() == sent.digest()
    assert peak < PEAK_LIMIT, f"peak traced memory {peak / MIB:.2f} MiB"
