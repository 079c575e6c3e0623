"""Generate the deterministic test vectors in this directory.

Run once from the repository root, and again only when a format version changes (which must add vectors,
never change existing ones):

    .venv/bin/python tests/crypto/vectors/generate.py

Every key, salt and nonce is fixed, so running it twice writes identical files. The tests check both
directions: the stored ciphertext decrypts to the stored plaintext, and encrypting with the same seams
reproduces the stored ciphertext byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from crypto.blind_index import blind_index  # noqa: E402
from crypto.fields import encrypt_field, field_context  # noqa: E402
from crypto.keyring import Keyring  # noqa: E402
from crypto.stream import encrypt_bytes  # noqa: E402


def fixed(label: str, size: int) -> bytes:
    """Deterministic bytes for a label (a test constant, not a secret)."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:size]


def pattern(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def stream_vectors() -> list[dict[str, Any]]:
    cases = [
        ("empty plaintext", 16, "doc-0001", 1, b""),
        ("one byte", 16, "doc-0001", 1, b"\x00"),
        ("exactly one chunk", 16, "doc-0001", 1, pattern(16)),
        ("one chunk and one byte", 16, "doc-0001", 1, pattern(17)),
        ("partial last chunk", 16, "doc-0001", 1, pattern(40)),
        ("exact multiple of chunk size", 16, "doc-0001", 1, pattern(48)),
        ("revision 7", 16, "doc-0001", 7, pattern(33)),
        ("non-ASCII object id", 32, "dossier-ü-ß-€", 2, b"Beschikking bewindvoering."),
        (
            "maximum object id length",
            64,
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            4294967295,
            pattern(200),
        ),
        ("default chunk size", 65536, "3f2b7c1e-9a4d-4e8b-b6f0-2d5c8a1e7b90", 1, pattern(1000)),
    ]
    vectors = []
    for index, (name, chunk_size, object_id, revision, plaintext) in enumerate(cases):
        data_key = fixed(f"stream/{index}/data_key", 32)
        salt = fixed(f"stream/{index}/salt", 32)
        ciphertext = encrypt_bytes(data_key, object_id, plaintext, revision, chunk_size=chunk_size, salt=salt)
        vectors.append(
            {
                "name": name,
                "data_key": data_key.hex(),
                "object_id": object_id,
                "revision": revision,
                "chunk_size": chunk_size,
                "salt": salt.hex(),
                "plaintext": plaintext.hex(),
                "ciphertext": ciphertext.hex(),
            }
        )
    return vectors


def fixed_keyring(index: int) -> Keyring:
    return Keyring(
        {"k1": fixed(f"keyring/{index}/k1", 32), "k2": fixed(f"keyring/{index}/k2", 32)},
        "k2" if index % 2 else "k1",
        fixed(f"keyring/{index}/index_key", 32),
    )


def keyring_json(keyring: Keyring) -> dict[str, Any]:
    return {
        "keys": {key_id: key.hex() for key_id, key in sorted(keyring.keys.items())},
        "primary_id": keyring.primary_id,
        "index_key": keyring.index_key.hex(),
    }


def keywrap_vectors() -> list[dict[str, Any]]:
    cases = [b"doc-0001", b"", "dossier-ü".encode()]
    vectors = []
    for index, associated_data in enumerate(cases):
        keyring = fixed_keyring(index)
        data_key = fixed(f"wrap/{index}/data_key", 32)
        nonce = fixed(f"wrap/{index}/nonce", 12)
        wrapped = keyring.wrap(data_key, associated_data=associated_data, _nonce=nonce)
        vectors.append(
            {
                "keyring": keyring_json(keyring),
                "data_key": data_key.hex(),
                "associated_data": associated_data.hex(),
                "nonce": nonce.hex(),
                "wrapped": wrapped.hex(),
            }
        )
    return vectors


def field_vectors() -> list[dict[str, Any]]:
    cases = [
        ("client", "name", "c-0001", "Jan de Vries"),
        ("client", "bsn", "c-0001", "111222333"),
        ("message", "body", "m-42", "Graag de beschikking vóór 1 mei terugsturen. ✓"),
        ("document", "file_name", "d-7", ""),
    ]
    vectors = []
    for index, (table, column, row_id, text) in enumerate(cases):
        keyring = fixed_keyring(index)
        data_key = fixed(f"field/{index}/data_key", 32)
        nonce = fixed(f"field/{index}/nonce", 12)
        wrap_nonce = fixed(f"field/{index}/wrap_nonce", 12)
        context = field_context(table, column, row_id)
        envelope = encrypt_field(
            keyring, text, context=context, _data_key=data_key, _nonce=nonce, _wrap_nonce=wrap_nonce
        )
        vectors.append(
            {
                "keyring": keyring_json(keyring),
                "table": table,
                "column": column,
                "row_id": row_id,
                "context": context.hex(),
                "data_key": data_key.hex(),
                "nonce": nonce.hex(),
                "wrap_nonce": wrap_nonce.hex(),
                "plaintext": text,
                "envelope": envelope.hex(),
            }
        )
    return vectors


def blind_index_vectors() -> list[dict[str, Any]]:
    index_key = fixed("blind_index/index_key", 32)
    cases = [
        ("111222333", "bsn"),
        ("111 222 333", "bsn"),
        ("12345672", "bsn"),
        ("123456782", "bsn"),
        ("123456782", "other"),
    ]
    return [
        {
            "index_key": index_key.hex(),
            "value": value,
            "purpose": purpose,
            "index": blind_index(index_key, value, purpose=purpose),
        }
        for value, purpose in cases
    ]


def write(name: str, description: str, vectors: list[dict[str, Any]]) -> None:
    doc = {"description": description, "vectors": vectors}
    (HERE / name).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    write("stream.json", "crypto.stream format 1 (AES-256-GCM), fixed data key and salt", stream_vectors())
    write("keywrap.json", "crypto.keyring wrapped data keys, version 1, fixed nonce", keywrap_vectors())
    write("fields.json", "crypto.fields envelopes, version 1, fixed data key and nonces", field_vectors())
    write("blind_index.json", "crypto.blind_index values, HMAC-SHA256", blind_index_vectors())


if __name__ == "__main__":
    main()
