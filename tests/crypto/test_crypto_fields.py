"""crypto.fields: per-value encryption bound to table, column and row."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import (
    DecryptionError,
    Keyring,
    decrypt_field,
    decrypt_text,
    encrypt_field,
    field_context,
    field_key_id,
    rewrap_field,
)

KEYRING = Keyring.generate()
CONTEXT = field_context("client", "name", "c-0001")


@settings(max_examples=50, deadline=None)
@given(value=st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_round_trip(value: str | bytes) -> None:
    envelope = encrypt_field(KEYRING, value, context=CONTEXT)
    plain = decrypt_field(KEYRING, envelope, context=CONTEXT)
    if isinstance(value, str):
        assert plain == value.encode()
        assert decrypt_text(KEYRING, envelope, context=CONTEXT) == value
    else:
        assert plain == value
    assert field_key_id(envelope) == "k1"


def test_each_value_is_encrypted_afresh() -> None:
    one = encrypt_field(KEYRING, "Jan de Vries", context=CONTEXT)
    two = encrypt_field(KEYRING, "Jan de Vries", context=CONTEXT)
    assert one != two
    assert b"Jan" not in one


def test_envelope_starts_with_its_version() -> None:
    assert encrypt_field(KEYRING, "x", context=CONTEXT)[0] == 1


@pytest.mark.parametrize(
    "other",
    [
        field_context("client", "name", "c-0002"),  # another row
        field_context("client", "bsn", "c-0001"),  # another column
        field_context("message", "name", "c-0001"),  # another table
        b"",
        CONTEXT + b"\x00",
    ],
)
def test_a_value_copied_elsewhere_does_not_decrypt(other: bytes) -> None:
    envelope = encrypt_field(KEYRING, "111222333", context=CONTEXT)
    with pytest.raises(DecryptionError):
        decrypt_field(KEYRING, envelope, context=other)
    with pytest.raises(DecryptionError):
        rewrap_field(KEYRING, envelope, context=other)


def test_swapping_the_wrapped_key_between_values_fails() -> None:
    """Splicing one value's key into another's envelope (same context) fails."""
    a = encrypt_field(KEYRING, "aaaa", context=CONTEXT)
    b = encrypt_field(KEYRING, "bbbb", context=CONTEXT)
    wrapped_len = int.from_bytes(a[1:3], "big")
    spliced = a[: 3 + wrapped_len] + b[3 + wrapped_len :]
    with pytest.raises(DecryptionError):
        decrypt_field(KEYRING, spliced, context=CONTEXT)


def test_context_encoding_is_unambiguous() -> None:
    assert field_context("ab", "c", "d") != field_context("a", "bc", "d")
    assert field_context("a", "b", "cd") != field_context("a", "bc", "d")
    assert field_context("client", "name", "1") != field_context("client", "name", "01")


@settings(max_examples=100, deadline=None)
@given(a=st.tuples(st.text(), st.text(), st.text()), b=st.tuples(st.text(), st.text(), st.text()))
def test_context_is_injective(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
    assert (field_context(*a) == field_context(*b)) == (a == b)


def test_context_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        field_context("client", "name", 7)  # type: ignore[arg-type]


def test_rewrap_keeps_plaintext_and_ciphertext_and_changes_key_id() -> None:
    keyring = Keyring.generate()
    envelope = encrypt_field(keyring, "Graag vóór 1 mei terugsturen.", context=CONTEXT)
    assert field_key_id(envelope) == "k1"
    keyring.add_primary()
    rewrapped = rewrap_field(keyring, envelope, context=CONTEXT)
    assert field_key_id(rewrapped) == "k2"
    assert decrypt_text(keyring, rewrapped, context=CONTEXT) == "Graag vóór 1 mei terugsturen."
    # Only the wrapped key changed: nonce and ciphertext are the same bytes.
    old_len = int.from_bytes(envelope[1:3], "big")
    new_len = int.from_bytes(rewrapped[1:3], "big")
    assert envelope[3 + old_len :] == rewrapped[3 + new_len :]
    # Once every value is rewrapped, the old KEK can go.
    keyring.remove("k1")
    assert decrypt_text(keyring, rewrapped, context=CONTEXT) == "Graag vóór 1 mei terugsturen."
    with pytest.raises(DecryptionError):
        decrypt_field(keyring, envelope, context=CONTEXT)
    with pytest.raises(DecryptionError):
        rewrap_field(keyring, envelope, context=CONTEXT)


def test_rewrap_refuses_a_corrupt_value() -> None:
    envelope = bytearray(encrypt_field(KEYRING, "value", context=CONTEXT))
    envelope[-1] ^= 1
    with pytest.raises(DecryptionError):
        rewrap_field(KEYRING, bytes(envelope), context=CONTEXT)


def test_other_keyring_cannot_decrypt() -> None:
    envelope = encrypt_field(KEYRING, "secret", context=CONTEXT)
    with pytest.raises(DecryptionError):
        decrypt_field(Keyring.generate(), envelope, context=CONTEXT)


ENVELOPE = encrypt_field(KEYRING, "Jan de Vries", context=CONTEXT)


@settings(max_examples=100, deadline=None)
@given(position=st.integers(0, len(ENVELOPE) - 1), bit=st.integers(0, 7))
def test_any_bit_flip_is_detected(position: int, bit: int) -> None:
    tampered = bytearray(ENVELOPE)
    tampered[position] ^= 1 << bit
    with pytest.raises(DecryptionError):
        decrypt_field(KEYRING, bytes(tampered), context=CONTEXT)


@settings(max_examples=50, deadline=None)
@given(length=st.integers(0, len(ENVELOPE) - 1))
def test_truncation_and_extension_are_detected(length: int) -> None:
    with pytest.raises(DecryptionError):
        decrypt_field(KEYRING, ENVELOPE[:length], context=CONTEXT)
    with pytest.raises(DecryptionError):
        decrypt_field(KEYRING, ENVELOPE + b"\x00", context=CONTEXT)


@settings(max_examples=50, deadline=None)
@given(blob=st.binary(max_size=120))
def test_garbage_is_a_decryption_error(blob: bytes) -> None:
    with pytest.raises(DecryptionError):
        decrypt_field(KEYRING, blob, context=CONTEXT)
    try:
        field_key_id(blob)
    except DecryptionError:
        pass


def test_decrypt_text_of_binary_value() -> None:
    envelope = encrypt_field(KEYRING, b"\xff\xfe", context=CONTEXT)
    with pytest.raises(DecryptionError):
        decrypt_text(KEYRING, envelope, context=CONTEXT)


def test_rejects_non_text_values() -> None:
    with pytest.raises(TypeError):
        encrypt_field(KEYRING, 123, context=CONTEXT)  # type: ignore[arg-type]
