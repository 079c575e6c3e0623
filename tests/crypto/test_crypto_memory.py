"""crypto.stream keeps memory bounded: 64 MiB go through with a few MiB traced at most."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Iterator

from crypto import StreamDecryptor, StreamEncryptor, decrypt_iter, encrypt_iter, generate_data_key

MIB = 1024 * 1024
TOTAL_PIECES = 64  # 64 MiB
PEAK_LIMIT = 4 * MIB


def pieces(digest: hashlib._Hash) -> Iterator[bytes]:
    """1 MiB pieces, each made fresh (nothing keeps the earlier ones alive); hashed on the way."""
    for _ in range(TOTAL_PIECES):
        piece = os.urandom(MIB)
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
        for plain in decrypt_iter(key, "doc-big", encrypt_iter(key, "doc-big", pieces(sent))):
            received.update(plain)
            size += len(plain)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == TOTAL_PIECES * MIB
    assert received.digest() == sent.digest()
    print(f"peak {peak / MIB:.2f} MiB")
    assert peak < PEAK_LIMIT, f"peak traced memory {peak / MIB:.1f} MiB"


def test_update_api_streams_64_mib_in_bounded_memory() -> None:
    key = generate_data_key()
    sent, received = hashlib.sha256(), hashlib.sha256()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        enc = StreamEncryptor(key, "doc-big", 3)
        dec = StreamDecryptor(key, "doc-big", 3)
        received.update(dec.update(enc.header()))
        for piece in pieces(sent):
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
    print(f"peak {peak / MIB:.2f} MiB")
    assert peak < PEAK_LIMIT, f"peak traced memory {peak / MIB:.1f} MiB"
