"""Deterministic test vectors (tests/crypto/vectors/*.json), checked in both directions.

If one of these fails, a stored format changed: existing data would no longer decrypt. Add a new format
version instead of changing an existing one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crypto import (
    DecryptionError,
    Keyring,
    blind_index,
    decrypt_bytes,
    decrypt_field,
    decrypt_text,
    encrypt_bytes,
    encrypt_field,
    field_context,
    field_key_id,
    key_id_of,
    read_header_info,
)

VECTORS = Path(__file__).parent / "vectors"


def load(name: str) -> list[dict[str, Any]]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))["vectors"]


def keyring_of(doc: dict[str, Any]) -> Keyring:
    return Keyring(
        {key_id: bytes.fromhex(key) for key_id, key in doc["keys"].items()},
        doc["primary_id"],
        bytes.fromhex(doc["index_key"]),
    )


STREAM = load("stream.json")
KEYWRAP = load("keywrap.json")
FIELDS = load("fields.json")
BLIND = load("blind_index.json")


@pytest.mark.parametrize("vector", STREAM, ids=[v["name"] for v in STREAM])
def test_stream_vector_decrypts(vector: dict[str, Any]) -> None:
    ciphertext = bytes.fromhex(vector["ciphertext"])
    key = bytes.fromhex(vector["data_key"])
    plaintext = decrypt_bytes(key, vector["object_id"], ciphertext, vector["revision"])
    assert plaintext == bytes.fromhex(vector["plaintext"])
    info = read_header_info(ciphertext)
    assert (info.version, info.chunk_size, info.object_id, info.revision) == (
        1,
        vector["chunk_size"],
        vector["object_id"],
        vector["revision"],
    )


@pytest.mark.parametrize("vector", STREAM, ids=[v["name"] for v in STREAM])
def test_stream_vector_encrypts_byte_for_byte(vector: dict[str, Any]) -> None:
    ciphertext = encrypt_bytes(
        bytes.fromhex(vector["data_key"]),
        vector["object_id"],
        bytes.fromhex(vector["plaintext"]),
        vector["revision"],
        chunk_size=vector["chunk_size"],
        salt=bytes.fromhex(vector["salt"]),
    )
    assert ciphertext.hex() == vector["ciphertext"]


def test_stream_vector_rejects_other_key_and_object() -> None:
    vector = STREAM[4]
    ciphertext = bytes.fromhex(vector["ciphertext"])
    key = bytes.fromhex(vector["data_key"])
    with pytest.raises(DecryptionError):
        decrypt_bytes(bytes(32), vector["object_id"], ciphertext, vector["revision"])
    with pytest.raises(DecryptionError):
        decrypt_bytes(key, vector["object_id"] + "x", ciphertext, vector["revision"])
    with pytest.raises(DecryptionError):
        decrypt_bytes(key, vector["object_id"], ciphertext, vector["revision"] + 1)


@pytest.mark.parametrize("vector", KEYWRAP)
def test_keywrap_vector(vector: dict[str, Any]) -> None:
    keyring = keyring_of(vector["keyring"])
    associated_data = bytes.fromhex(vector["associated_data"])
    wrapped = bytes.fromhex(vector["wrapped"])
    assert keyring.unwrap(wrapped, associated_data=associated_data).hex() == vector["data_key"]
    assert key_id_of(wrapped) == keyring.primary_id
    again = keyring.wrap(
        bytes.fromhex(vector["data_key"]),
        associated_data=associated_data,
        _nonce=bytes.fromhex(vector["nonce"]),
    )
    assert again.hex() == vector["wrapped"]
    with pytest.raises(DecryptionError):
        keyring.unwrap(wrapped, associated_data=associated_data + b"x")


@pytest.mark.parametrize("vector", FIELDS, ids=[f"{v['table']}.{v['column']}" for v in FIELDS])
def test_field_vector(vector: dict[str, Any]) -> None:
    keyring = keyring_of(vector["keyring"])
    context = field_context(vector["table"], vector["column"], vector["row_id"])
    assert context.hex() == vector["context"]
    envelope = bytes.fromhex(vector["envelope"])
    assert decrypt_text(keyring, envelope, context=context) == vector["plaintext"]
    assert decrypt_field(keyring, envelope, context=context) == vector["plaintext"].encode()
    assert field_key_id(envelope) == keyring.primary_id
    again = encrypt_field(
        keyring,
        vector["plaintext"],
        context=context,
        _data_key=bytes.fromhex(vector["data_key"]),
        _nonce=bytes.fromhex(vector["nonce"]),
        _wrap_nonce=bytes.fromhex(vector["wrap_nonce"]),
    )
    assert again.hex() == vector["envelope"]


@pytest.mark.parametrize("vector", BLIND)
def test_blind_index_vector(vector: dict[str, Any]) -> None:
    index_key = bytes.fromhex(vector["index_key"])
    assert blind_index(index_key, vector["value"], purpose=vector["purpose"]) == vector["index"]


def test_blind_index_vectors_agree_on_formatting() -> None:
    by_value = {(v["value"], v["purpose"]): v["index"] for v in BLIND}
    assert by_value[("111222333", "bsn")] == by_value[("111 222 333", "bsn")]
    assert by_value[("123456782", "bsn")] != by_value[("123456782", "other")]
