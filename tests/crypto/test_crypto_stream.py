"""crypto.stream: round trips, every kind of tampering, and API misuse."""

from __future__ import annotations

import os
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto import (
    DEFAULT_CHUNK_SIZE,
    DecryptionError,
    StreamDecryptor,
    StreamEncryptor,
    ciphertext_size,
    decrypt_bytes,
    decrypt_iter,
    encrypt_bytes,
    encrypt_iter,
    generate_data_key,
    header_size,
    read_header_info,
)
from crypto.stream import TAG_SIZE, _nonce

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
OID = "doc-3f2b7c1e"

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

plaintexts = st.binary(max_size=700)
chunk_sizes = st.one_of(st.integers(1, 48), st.integers(49, 1024))
object_ids = st.text(min_size=1, max_size=16).filter(lambda s: len(s.encode()) <= 64)
revisions = st.integers(0, 2**32 - 1)


def split(data: bytes, points: list[int]) -> list[bytes]:
    """Cut ``data`` at the given points (any values; clamped and sorted)."""
    cuts = sorted({min(max(p, 0), len(data)) for p in points} | {0, len(data)})
    return [data[a:b] for a, b in pairwise(cuts)]


def decrypt_pieces(
    key: bytes, oid: str, pieces: list[bytes], revision: int = 1
) -> tuple[bytes, DecryptionError | None]:
    """Feed pieces to a decryptor; return (plaintext released before any error, the error or None)."""
    dec = StreamDecryptor(key, oid, revision)
    released = bytearray()
    try:
        for piece in pieces:
            released += dec.update(piece)
        released += dec.finalize()
    except DecryptionError as exc:
        return bytes(released), exc
    return bytes(released), None


def layout(ciphertext: bytes, chunk_size: int) -> tuple[bytes, list[bytes]]:
    """Split a valid stream into (header, list of encrypted chunks)."""
    hlen = read_header_info(ciphertext).header_size
    unit = chunk_size + TAG_SIZE
    body = ciphertext[hlen:]
    return ciphertext[:hlen], [body[i : i + unit] for i in range(0, len(body), unit)]


def first_difference(original: bytes, tampered: bytes) -> int:
    for i, (a, b) in enumerate(zip(original, tampered, strict=False)):
        if a != b:
            return i
    return min(len(original), len(tampered))


def assert_rejected_safely(
    plaintext: bytes,
    ciphertext: bytes,
    tampered: bytes,
    chunk_size: int,
    released: bytes,
    error: DecryptionError | None,
) -> None:
    """The tampered stream was rejected, and what was released before the error is an authentic prefix made
    only of whole chunks that come before the first modified byte."""
    assert error is not None, "tampered stream was accepted"
    assert plaintext.startswith(released)
    assert len(released) % chunk_size == 0
    assert len(released) < len(plaintext) or not plaintext  # the final chunk is never released on error
    hlen = read_header_info(ciphertext).header_size
    diff = first_difference(ciphertext, tampered)
    intact_chunks = 0 if diff < hlen else (diff - hlen) // (chunk_size + TAG_SIZE)
    assert len(released) <= intact_chunks * chunk_size


# -- round trips -------------------------------------------------------------------------------------------


@FAST
@given(
    plaintext=plaintexts,
    chunk_size=chunk_sizes,
    oid=object_ids,
    revision=revisions,
    enc_points=st.lists(st.integers(0, 700), max_size=8),
    dec_points=st.lists(st.integers(0, 900), max_size=8),
)
def test_round_trip_with_random_splits(
    plaintext: bytes, chunk_size: int, oid: str, revision: int, enc_points: list[int], dec_points: list[int]
) -> None:
    salt = os.urandom(32)
    whole = encrypt_bytes(KEY, oid, plaintext, revision, chunk_size=chunk_size, salt=salt)
    assert len(whole) == ciphertext_size(len(plaintext), chunk_size, object_id=oid)

    enc = StreamEncryptor(KEY, oid, revision, chunk_size=chunk_size, salt=salt)
    pieces = [enc.header()] + [enc.update(p) for p in split(plaintext, enc_points)] + [enc.finalize()]
    assert b"".join(pieces) == whole  # splitting the input does not change the output

    released, error = decrypt_pieces(KEY, oid, split(whole, dec_points), revision)
    assert error is None
    assert released == plaintext


@FAST
@given(plaintext=plaintexts, chunk_size=chunk_sizes, points=st.lists(st.integers(0, 900), max_size=8))
def test_decryptor_releases_verified_chunks_progressively(plaintext: bytes, chunk_size: int, points: list[int]) -> None:
    ciphertext = encrypt_bytes(KEY, OID, plaintext, chunk_size=chunk_size)
    hlen = header_size(OID)
    unit = chunk_size + TAG_SIZE
    dec = StreamDecryptor(KEY, OID)
    fed = 0
    released = b""
    for piece in split(ciphertext, points):
        released += dec.update(piece)
        fed += len(piece)
        complete = max(0, (fed - hlen) // unit)
        # Holds back at most the last complete chunk (it may be the final one) plus a partial one.
        assert len(released) in (max(0, complete - 1) * chunk_size, complete * chunk_size)
        assert plaintext.startswith(released)
    assert released + dec.finalize() == plaintext


@FAST
@given(plaintext=plaintexts, chunk_size=chunk_sizes, sizes=st.lists(st.integers(1, 300), max_size=6))
def test_iterators_round_trip(plaintext: bytes, chunk_size: int, sizes: list[int]) -> None:
    points = [sum(sizes[: i + 1]) for i in range(len(sizes))]
    out = list(encrypt_iter(KEY, OID, split(plaintext, points), chunk_size=chunk_size))
    assert all(out)
    ciphertext = b"".join(out)
    assert decrypt_bytes(KEY, OID, ciphertext) == plaintext
    assert b"".join(decrypt_iter(KEY, OID, split(ciphertext, points))) == plaintext


def test_chunk_layout_matches_the_spec() -> None:
    """Exact multiples end in a full final chunk; only an empty plaintext has an empty final chunk."""
    for size, chunks in [(0, 1), (1, 1), (16, 1), (17, 2), (32, 2), (33, 3)]:
        ciphertext = encrypt_bytes(KEY, OID, b"x" * size, chunk_size=16)
        _, body = layout(ciphertext, 16)
        assert len(body) == chunks
        assert len(body[-1]) - TAG_SIZE == (size - 16 * (chunks - 1))
        assert len(ciphertext) == ciphertext_size(size, 16, object_id=OID)
        assert ciphertext_size(size, 16) == len(ciphertext) - header_size(OID)


def test_default_chunk_size_and_header_info() -> None:
    enc = StreamEncryptor(KEY, OID, 9)
    header = enc.header()
    info = read_header_info(header)
    assert (info.version, info.chunk_size, info.object_id, info.revision) == (1, DEFAULT_CHUNK_SIZE, OID, 9)
    assert info.header_size == len(header) == header_size(OID)
    assert header.startswith(b"HUBv\x01\x01")


def test_large_update_in_one_call() -> None:
    plaintext = os.urandom(3 * DEFAULT_CHUNK_SIZE + 5)
    key = generate_data_key()
    ciphertext = encrypt_bytes(key, OID, plaintext)
    dec = StreamDecryptor(key, OID)
    assert dec.update(ciphertext) == plaintext[: 3 * DEFAULT_CHUNK_SIZE]
    assert dec.finalize() == plaintext[3 * DEFAULT_CHUNK_SIZE :]


def test_accepts_bytearray_and_memoryview() -> None:
    plaintext = bytearray(os.urandom(100))
    ciphertext = encrypt_bytes(KEY, OID, memoryview(plaintext), chunk_size=16)
    assert decrypt_bytes(KEY, OID, bytearray(ciphertext)) == plaintext


# -- tampering ---------------------------------------------------------------------------------------------


@FAST
@given(
    plaintext=plaintexts,
    chunk_size=chunk_sizes,
    data=st.data(),
    points=st.lists(st.integers(0, 900), max_size=6),
)
def test_any_bit_flip_is_detected(plaintext: bytes, chunk_size: int, data: st.DataObject, points: list[int]) -> None:
    ciphertext = encrypt_bytes(KEY, OID, plaintext, chunk_size=chunk_size)
    position = data.draw(st.integers(0, len(ciphertext) - 1), label="position")
    bit = data.draw(st.integers(0, 7), label="bit")
    tampered = bytearray(ciphertext)
    tampered[position] ^= 1 << bit
    released, error = decrypt_pieces(KEY, OID, split(bytes(tampered), points))
    assert_rejected_safely(plaintext, ciphertext, bytes(tampered), chunk_size, released, error)


def test_bit_flip_in_every_header_byte() -> None:
    ciphertext = encrypt_bytes(KEY, OID, b"some text", chunk_size=16)
    for position in range(header_size(OID)):
        for bit in range(8):
            tampered = bytearray(ciphertext)
            tampered[position] ^= 1 << bit
            released, error = decrypt_pieces(KEY, OID, [bytes(tampered)])
            assert error is not None and released == b"", (position, bit)


@FAST
@given(plaintext=plaintexts, chunk_size=chunk_sizes, data=st.data(), points=st.lists(st.integers(0, 900)))
def test_truncation_at_any_length_is_detected(
    plaintext: bytes, chunk_size: int, data: st.DataObject, points: list[int]
) -> None:
    ciphertext = encrypt_bytes(KEY, OID, plaintext, chunk_size=chunk_size)
    length = data.draw(st.integers(0, len(ciphertext) - 1), label="length")
    tampered = ciphertext[:length]
    released, error = decrypt_pieces(KEY, OID, split(tampered, points))
    assert_rejected_safely(plaintext, ciphertext, tampered, chunk_size, released, error)


@FAST
@given(plaintext=plaintexts, chunk_size=chunk_sizes, data=st.data())
def test_truncation_at_every_chunk_boundary_is_detected(plaintext: bytes, chunk_size: int, data: st.DataObject) -> None:
    ciphertext = encrypt_bytes(KEY, OID, plaintext, chunk_size=chunk_size)
    header, chunks = layout(ciphertext, chunk_size)
    for keep in range(len(chunks)):
        tampered = header + b"".join(chunks[:keep])
        released, error = decrypt_pieces(KEY, OID, [tampered])
        assert_rejected_safely(plaintext, ciphertext, tampered, chunk_size, released, error)


@FAST
@given(
    plaintext=plaintexts,
    chunk_size=chunk_sizes,
    extra=st.binary(min_size=1, max_size=100),
    points=st.lists(st.integers(0, 900), max_size=6),
)
def test_extension_is_detected(plaintext: bytes, chunk_size: int, extra: bytes, points: list[int]) -> None:
    ciphertext = encrypt_bytes(KEY, OID, plaintext, chunk_size=chunk_size)
    tampered = ciphertext + extra
    released, error = decrypt_pieces(KEY, OID, split(tampered, points))
    assert_rejected_safely(plaintext, ciphertext, tampered, chunk_size, released, error)


@FAST
@given(plaintext=plaintexts, chunk_size=chunk_sizes)
def test_appending_a_valid_chunk_or_a_second_stream_is_detected(plaintext: bytes, chunk_size: int) -> None:
    ciphertext = encrypt_bytes(KEY, OID, plaintext, chunk_size=chunk_size)
    _, chunks = layout(ciphertext, chunk_size)
    for tampered in (ciphertext + chunks[0], ciphertext + chunks[-1], ciphertext + ciphertext):
        released, error = decrypt_pieces(KEY, OID, [tampered])
        assert_rejected_safely(plaintext, ciphertext, tampered, chunk_size, released, error)


@FAST
@given(plaintext=st.binary(min_size=2, max_size=700), chunk_size=st.integers(1, 128), data=st.data())
def test_swapped_chunks_are_detected(plaintext: bytes, chunk_size: int, data: st.DataObject) -> None:
    if len(plaintext) <= chunk_size:
        chunk_size = max(1, len(plaintext) // 2)
    ciphertext = encrypt_bytes(KEY, OID, plaintext, chunk_size=chunk_size)
    header, chunks = layout(ciphertext, chunk_size)
    i = data.draw(st.integers(0, len(chunks) - 2), label="i")
    j = data.draw(st.integers(i + 1, len(chunks) - 1), label="j")
    chunks[i], chunks[j] = chunks[j], chunks[i]
    tampered = header + b"".join(chunks)
    released, error = decrypt_pieces(KEY, OID, [tampered])
    assert_rejected_safely(plaintext, ciphertext, tampered, chunk_size, released, error)


@FAST
@given(plaintext=plaintexts, chunk_size=chunk_sizes, data=st.data())
def test_duplicated_or_dropped_chunks_are_detected(plaintext: bytes, chunk_size: int, data: st.DataObject) -> None:
    ciphertext = encrypt_bytes(KEY, OID, plaintext, chunk_size=chunk_size)
    header, chunks = layout(ciphertext, chunk_size)
    i = data.draw(st.integers(0, len(chunks) - 1), label="copied chunk")
    j = data.draw(st.integers(0, len(chunks)), label="inserted at")
    duplicated = header + b"".join([*chunks[:j], chunks[i], *chunks[j:]])
    released, error = decrypt_pieces(KEY, OID, [duplicated])
    assert_rejected_safely(plaintext, ciphertext, duplicated, chunk_size, released, error)
    if len(chunks) > 1:
        dropped = header + b"".join(chunks[:i] + chunks[i + 1 :])
        released, error = decrypt_pieces(KEY, OID, [dropped])
        assert_rejected_safely(plaintext, ciphertext, dropped, chunk_size, released, error)


@FAST
@given(
    plaintext=plaintexts,
    other=plaintexts,
    chunk_size=chunk_sizes,
    other_oid=object_ids.filter(lambda s: s != OID),
    data=st.data(),
)
def test_headers_and_chunks_from_another_document_are_detected(
    plaintext: bytes, other: bytes, chunk_size: int, other_oid: str, data: st.DataObject
) -> None:
    ciphertext = encrypt_bytes(KEY, OID, plaintext, chunk_size=chunk_size)
    header, chunks = layout(ciphertext, chunk_size)
    # Another document under the same key: same object id (new salt), or another object id.
    for oid in (OID, other_oid):
        foreign = encrypt_bytes(KEY, oid, other, chunk_size=chunk_size)
        foreign_header, foreign_chunks = layout(foreign, chunk_size)

        spliced = foreign_header + b"".join(chunks)
        for expected_oid in {OID, oid}:
            released, error = decrypt_pieces(KEY, expected_oid, [spliced])
            assert error is not None and released == b""

        i = data.draw(st.integers(0, len(chunks) - 1), label="replaced chunk")
        k = data.draw(st.integers(0, len(foreign_chunks) - 1), label="foreign chunk")
        mixed = header + b"".join([*chunks[:i], foreign_chunks[k], *chunks[i + 1 :]])
        released, error = decrypt_pieces(KEY, OID, [mixed])
        assert_rejected_safely(plaintext, ciphertext, mixed, chunk_size, released, error)


@FAST
@given(plaintext=plaintexts, chunk_size=chunk_sizes, revision=revisions, other_oid=object_ids)
def test_other_object_id_revision_or_key_is_rejected(
    plaintext: bytes, chunk_size: int, revision: int, other_oid: str
) -> None:
    ciphertext = encrypt_bytes(KEY, OID, plaintext, revision, chunk_size=chunk_size)
    wrong = [(OTHER_KEY, OID, revision), (KEY, OID, (revision + 1) % 2**32)]
    if other_oid != OID:
        wrong.append((KEY, other_oid, revision))
    for key, oid, rev in wrong:
        released, error = decrypt_pieces(key, oid, [ciphertext], rev)
        assert error is not None and released == b""
        with pytest.raises(DecryptionError):
            decrypt_bytes(key, oid, ciphertext, rev)


def test_crafted_streams_with_a_misplaced_final_flag_are_rejected() -> None:
    """Streams a correct encryptor never writes, sealed with the right key, are still rejected."""
    enc = StreamEncryptor(KEY, OID, chunk_size=4)
    header = enc.header()
    seal = enc._aead.encrypt
    full = [seal(_nonce(i, False), b"abcd", None) for i in range(2)]
    cases = {
        "empty final chunk after data": header + b"".join(full) + seal(_nonce(2, True), b"", None),
        "no chunk marked final": header + b"".join(full),
        "final chunk followed by more": header + seal(_nonce(0, True), b"abcd", None) + full[1],
        "final flag on the first of two": header + seal(_nonce(0, True), b"abcd", None),
    }
    # The last case is fine on its own (a one-chunk stream), so check it decrypts, as a control.
    assert decrypt_bytes(KEY, OID, cases.pop("final flag on the first of two")) == b"abcd"
    for name, tampered in cases.items():
        with pytest.raises(DecryptionError):
            decrypt_bytes(KEY, OID, tampered)
        released, error = decrypt_pieces(KEY, OID, [tampered])
        assert error is not None, name
        assert released in (b"", b"abcd", b"abcdabcd")


@pytest.mark.parametrize("data", [b"", b"HUB", b"HUBv", b"HUBv\x01\x01\x00\x00\x00\x10", b"not a stream at all!"])
def test_short_or_foreign_input_is_rejected(data: bytes) -> None:
    with pytest.raises(DecryptionError):
        decrypt_bytes(KEY, OID, data)


def test_unknown_version_and_algorithm_and_bad_chunk_size_are_rejected() -> None:
    ciphertext = bytearray(encrypt_bytes(KEY, OID, b"hello", chunk_size=16))
    # version 2, algorithm 2, chunk size 16 MiB + 16, chunk size 0, chunk size 32 (valid but not committed)
    for position, value in [(4, 2), (5, 2), (6, 1), (9, 0), (9, 32)]:
        tampered = bytearray(ciphertext)
        assert tampered[position] != value
        tampered[position] = value
        with pytest.raises(DecryptionError):
            decrypt_bytes(KEY, OID, bytes(tampered))
    with pytest.raises(DecryptionError):
        read_header_info(b"HUBv\x02" + bytes(100))


# -- state and arguments -----------------------------------------------------------------------------------


def test_decryptor_refuses_use_after_a_failure() -> None:
    ciphertext = bytearray(encrypt_bytes(KEY, OID, b"x" * 40, chunk_size=16))
    ciphertext[-1] ^= 1
    dec = StreamDecryptor(KEY, OID)
    dec.update(bytes(ciphertext))
    with pytest.raises(DecryptionError):
        dec.finalize()
    with pytest.raises(DecryptionError):
        dec.update(b"")
    with pytest.raises(DecryptionError):
        dec.finalize()


def test_finalize_without_header_is_truncation() -> None:
    with pytest.raises(DecryptionError):
        StreamDecryptor(KEY, OID).finalize()


def test_encryptor_call_order_is_enforced() -> None:
    enc = StreamEncryptor(KEY, OID)
    with pytest.raises(RuntimeError):
        enc.update(b"x")
    with pytest.raises(RuntimeError):
        enc.finalize()
    enc.header()
    with pytest.raises(RuntimeError):
        enc.header()
    enc.finalize()
    with pytest.raises(RuntimeError):
        enc.update(b"x")
    with pytest.raises(RuntimeError):
        enc.finalize()


def test_decryptor_finalize_twice() -> None:
    dec = StreamDecryptor(KEY, OID)
    dec.update(encrypt_bytes(KEY, OID, b"abc"))
    assert dec.finalize() == b"abc"
    assert dec.header_info is not None and dec.header_info.object_id == OID
    with pytest.raises(RuntimeError):
        dec.finalize()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"data_key": b"short"}, ValueError),
        ({"object_id": ""}, ValueError),
        ({"object_id": "x" * 65}, ValueError),
        ({"object_id": "é" * 33}, ValueError),
        ({"revision": -1}, ValueError),
        ({"revision": 2**32}, ValueError),
        ({"chunk_size": 0}, ValueError),
        ({"chunk_size": 2**24 + 1}, ValueError),
        ({"salt": b"\x00" * 31}, ValueError),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    args: dict[str, object] = {"data_key": KEY, "object_id": OID, **kwargs}
    with pytest.raises(error):
        StreamEncryptor(**args)  # type: ignore[arg-type]


def test_fresh_salt_makes_every_encryption_different() -> None:
    assert encrypt_bytes(KEY, OID, b"same") != encrypt_bytes(KEY, OID, b"same")


# -- ranged reads: start at a chunk, end before the final one ------------------------------------------------------


def _ranged(blob: bytes, first: int, last: int, chunks: int, chunk: int) -> bytes:
    """Decrypt chunks first..last of ``blob`` (a stream of ``chunks`` chunks) as a ranged read does."""
    hsize = header_size(OID)
    unit = chunk + TAG_SIZE
    dec = StreamDecryptor(KEY, OID)
    assert dec.update(blob[:hsize]) == b""
    dec.start_at(first)
    end = hsize + (last + 1) * unit if last < chunks - 1 else len(blob)
    out = dec.update(blob[hsize + first * unit : end])
    return out + (dec.finalize() if last == chunks - 1 else dec.finalize_range())


@pytest.mark.parametrize(("first", "last"), [(0, 0), (0, 2), (1, 1), (2, 4), (4, 4), (0, 4), (3, 3)])
def test_a_range_of_chunks_decrypts_alone(first: int, last: int) -> None:
    chunk = 100
    data = os.urandom(4 * chunk + 37)  # five chunks, the last one short
    blob = encrypt_bytes(KEY, OID, data, chunk_size=chunk)
    assert _ranged(blob, first, last, 5, chunk) == data[first * chunk : (last + 1) * chunk]


def test_a_range_is_authenticated_in_place() -> None:
    chunk = 100
    data = os.urandom(5 * chunk)
    blob = encrypt_bytes(KEY, OID, data, chunk_size=chunk)
    hsize, unit = header_size(OID), chunk + TAG_SIZE
    # A chunk moved to another position fails: the counter binds it to its place.
    moved = bytearray(blob)
    moved[hsize + unit : hsize + 2 * unit] = blob[hsize + 2 * unit : hsize + 3 * unit]
    with pytest.raises(DecryptionError):
        _ranged(bytes(moved), 1, 1, 5, chunk)
    # The final chunk read as if it were not final, and a middle chunk taken for the final one: both fail.
    dec = StreamDecryptor(KEY, OID)
    dec.update(blob[:hsize])
    dec.start_at(4)
    dec.update(blob[hsize + 4 * unit :])
    with pytest.raises(DecryptionError):
        dec.finalize_range()
    dec = StreamDecryptor(KEY, OID)
    dec.update(blob[:hsize])
    dec.start_at(2)
    dec.update(blob[hsize + 2 * unit : hsize + 3 * unit])
    with pytest.raises(DecryptionError):
        dec.finalize()
    # A range cut short, and a flipped bit in it.
    dec = StreamDecryptor(KEY, OID)
    dec.update(blob[:hsize])
    dec.start_at(1)
    dec.update(blob[hsize + unit : hsize + 2 * unit - 1])
    with pytest.raises(DecryptionError, match="truncated"):
        dec.finalize_range()
    flipped = bytearray(blob)
    flipped[hsize + unit + 5] ^= 1
    with pytest.raises(DecryptionError):
        _ranged(bytes(flipped), 1, 2, 5, chunk)


def test_start_at_needs_the_header_and_nothing_after_it() -> None:
    blob = encrypt_bytes(KEY, OID, os.urandom(300), chunk_size=100)
    dec = StreamDecryptor(KEY, OID)
    with pytest.raises(RuntimeError):
        dec.start_at(1)
    dec.update(blob[: header_size(OID) + 10])
    with pytest.raises(RuntimeError):
        dec.start_at(1)
