"""crypto.keyring: the key file, rotation, and wrapping of data keys."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import DecryptionError, Keyring, KeyringError, generate_data_key, key_id_of

AD = b"document:3f2b7c1e"


def secrets_of(keyring: Keyring) -> list[bytes]:
    return [*keyring.keys.values(), keyring.index_key]


def test_generate() -> None:
    keyring = Keyring.generate()
    assert keyring.primary_id == "k1"
    assert list(keyring.keys) == ["k1"]
    assert len(keyring.keys["k1"]) == 32 and len(keyring.index_key) == 32
    assert keyring.keys["k1"] != keyring.index_key
    assert Keyring.generate() != keyring


def test_repr_shows_no_key_material() -> None:
    keyring = Keyring.generate()
    text = repr(keyring) + str(keyring)
    for secret in secrets_of(keyring):
        assert secret.hex() not in text and base64.b64encode(secret).decode() not in text
    assert "k1" in text


def test_generate_data_key() -> None:
    keys = {generate_data_key() for _ in range(10)}
    assert len(keys) == 10 and all(len(k) == 32 for k in keys)


def test_json_round_trip() -> None:
    keyring = Keyring.generate()
    keyring.add_primary()
    again = Keyring.from_json(keyring.to_json())
    assert again == keyring
    assert again.primary_id == "k2"
    doc = json.loads(keyring.to_json())
    assert doc["format"] == "hub-keyring" and doc["version"] == 1 and doc["primary"] == "k2"


@settings(max_examples=30, deadline=None)
@given(rotations=st.integers(0, 5), removals=st.sets(st.integers(1, 5)))
def test_json_round_trip_after_any_rotation(rotations: int, removals: set[int]) -> None:
    keyring = Keyring.generate()
    for _ in range(rotations):
        keyring.add_primary()
    for number in removals:
        if f"k{number}" in keyring.keys and f"k{number}" != keyring.primary_id:
            keyring.remove(f"k{number}")
    assert Keyring.from_json(keyring.to_json()) == keyring
    assert keyring.primary_id == f"k{rotations + 1}"


def test_from_env_accepts_json_and_its_base64() -> None:
    keyring = Keyring.generate()
    text = keyring.to_json()
    assert Keyring.from_env(text) == keyring
    assert Keyring.from_env("  " + text + "\n") == keyring
    assert Keyring.from_env(base64.b64encode(text.encode()).decode()) == keyring
    assert Keyring.from_env(base64.urlsafe_b64encode(text.encode()).decode()) == keyring


@pytest.mark.parametrize("value", ["", "   ", "not base64!", base64.b64encode(b"not json").decode(), "{broken"])
def test_from_env_rejects_garbage(value: str) -> None:
    with pytest.raises(KeyringError):
        Keyring.from_env(value)


def _doc(keyring: Keyring) -> dict[str, Any]:
    return json.loads(keyring.to_json())


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(format="other"),
        lambda d: d.update(version=2),
        lambda d: d.update(primary="k9"),
        lambda d: d.update(primary=1),
        lambda d: d.update(keys={}),
        lambda d: d.update(keys=[]),
        lambda d: d.update(keys={"k1": "!!!"}),
        lambda d: d.update(keys={"k1": base64.b64encode(b"short").decode()}),
        lambda d: d.update(keys={"bad id!": base64.b64encode(bytes(32)).decode()}),
        lambda d: d.update(index_key=None),
        lambda d: d.pop("index_key"),
    ],
)
def test_from_json_rejects_malformed(change: Callable[[dict[str, Any]], object]) -> None:
    keyring = Keyring.generate()
    doc = _doc(keyring)
    change(doc)
    with pytest.raises(KeyringError) as info:
        Keyring.from_json(json.dumps(doc))
    for secret in secrets_of(keyring):
        assert base64.b64encode(secret).decode() not in str(info.value)


def test_from_json_rejects_non_json() -> None:
    with pytest.raises(KeyringError):
        Keyring.from_json("[1, 2")
    with pytest.raises(KeyringError):
        Keyring.from_json("[]")


# -- the key file ------------------------------------------------------------------------------------------


def test_save_and_load(tmp_path: Path) -> None:
    keyring = Keyring.generate()
    path = tmp_path / "keyring.json"
    keyring.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Keyring.load(path) == keyring
    assert Keyring.load(str(path)) == keyring
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keyring.json"]  # no temp file left


def test_save_replaces_atomically_and_keeps_0600(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    keyring = Keyring.generate()
    keyring.save(path)
    keyring.add_primary()
    old_umask = os.umask(0)
    try:
        keyring.save(path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Keyring.load(path).primary_id == "k2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keyring.json"]


def test_failed_save_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    keyring = Keyring.generate()
    keyring.save(path)
    before = path.read_bytes()
    target_dir = tmp_path / "dir"
    target_dir.mkdir()
    with pytest.raises(OSError):
        Keyring.generate().save(target_dir)  # os.replace onto a directory fails
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "keyring.json"]
    assert list(target_dir.iterdir()) == []


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o666, 0o610, 0o601])
def test_load_refuses_a_file_others_can_access(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "keyring.json"
    Keyring.generate().save(path)
    path.chmod(mode)
    with pytest.raises(KeyringError) as info:
        Keyring.load(path)
    message = str(info.value)
    assert f"chmod 600 {path}" in message
    assert str(path) in message and f"{mode:04o}" in message


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_load_accepts_owner_only_modes(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "keyring.json"
    keyring = Keyring.generate()
    keyring.save(path)
    path.chmod(mode)
    assert Keyring.load(path) == keyring


def test_load_missing_or_malformed_file(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="does not exist"):
        Keyring.load(tmp_path / "nope.json")
    path = tmp_path / "bad.json"
    path.write_text("{}")
    path.chmod(0o600)
    with pytest.raises(KeyringError, match=str(path)):
        Keyring.load(path)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(KeyringError):
        Keyring.load(path)


def test_load_follows_a_symlink_and_checks_the_target(tmp_path: Path) -> None:
    keyring = Keyring.generate()
    target = tmp_path / "secret" / "keyring.json"
    target.parent.mkdir()
    keyring.save(target)
    link = tmp_path / "keyring.json"
    link.symlink_to(target)  # as with mounted secrets
    assert Keyring.load(link) == keyring
    target.chmod(0o644)
    with pytest.raises(KeyringError, match="chmod 600"):
        Keyring.load(link)


def test_load_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(KeyringError):
        Keyring.load(tmp_path)


# -- rotation and wrapping ---------------------------------------------------------------------------------


def test_wrap_unwrap() -> None:
    keyring = Keyring.generate()
    data_key = generate_data_key()
    wrapped = keyring.wrap(data_key, associated_data=AD)
    assert keyring.unwrap(wrapped, associated_data=AD) == data_key
    assert key_id_of(wrapped) == keyring.key_id_of(wrapped) == "k1"
    assert wrapped != keyring.wrap(data_key, associated_data=AD)  # fresh nonce


def test_rotate_rewrap_then_remove_old_key() -> None:
    keyring = Keyring.generate()
    index_key = keyring.index_key
    data_key = generate_data_key()
    old = keyring.wrap(data_key, associated_data=AD)

    assert keyring.add_primary() == "k2"
    assert keyring.primary_id == "k2" and keyring.index_key == index_key
    assert keyring.unwrap(old, associated_data=AD) == data_key  # old key still usable
    new = keyring.rewrap(old, associated_data=AD)
    assert key_id_of(old) == "k1" and key_id_of(new) == "k2"
    assert keyring.rewrap(new, associated_data=AD) != new  # rewrapping again is harmless

    keyring.remove("k1")
    assert keyring.unwrap(new, associated_data=AD) == data_key
    with pytest.raises(DecryptionError):
        keyring.unwrap(old, associated_data=AD)
    assert keyring.rotate() == "k3" and keyring.index_key == index_key


def test_key_ids_are_never_reused() -> None:
    keyring = Keyring.generate()
    keyring.add_primary()
    keyring.add_primary()
    keyring.remove("k1")
    keyring.remove("k2")
    assert keyring.add_primary() == "k4"


def test_remove_primary_or_unknown_key_is_refused() -> None:
    keyring = Keyring.generate()
    with pytest.raises(KeyringError, match="primary"):
        keyring.remove("k1")
    with pytest.raises(KeyringError):
        keyring.remove("k7")
    assert "k1" in keyring.keys


def test_unwrap_with_unknown_key_id() -> None:
    rotated = Keyring.generate()
    rotated.add_primary()
    wrapped = rotated.wrap(generate_data_key(), associated_data=AD)
    assert key_id_of(wrapped) == "k2"
    with pytest.raises(DecryptionError):
        Keyring.generate().unwrap(wrapped, associated_data=AD)  # has only k1


def test_unwrap_with_another_keyring_of_the_same_ids() -> None:
    wrapped = Keyring.generate().wrap(generate_data_key(), associated_data=AD)
    with pytest.raises(DecryptionError):
        Keyring.generate().unwrap(wrapped, associated_data=AD)


def test_unwrap_with_other_associated_data() -> None:
    keyring = Keyring.generate()
    wrapped = keyring.wrap(generate_data_key(), associated_data=AD)
    for other in (b"", AD + b"\x00", AD[:-1], b"document:other"):
        with pytest.raises(DecryptionError):
            keyring.unwrap(wrapped, associated_data=other)


def test_changing_the_key_id_in_a_blob_is_detected() -> None:
    keyring = Keyring.generate()
    keyring.add_primary()
    keyring.keys["k1"] = keyring.keys["k2"]  # even with the same key under both ids
    wrapped = bytearray(keyring.wrap(generate_data_key(), associated_data=AD))
    assert wrapped[2:4] == b"k2"
    wrapped[3] = ord("1")
    with pytest.raises(DecryptionError):
        keyring.unwrap(bytes(wrapped), associated_data=AD)


KEYRING = Keyring.generate()
WRAPPED = KEYRING.wrap(generate_data_key(), associated_data=AD)


@settings(max_examples=100, deadline=None)
@given(position=st.integers(0, len(WRAPPED) - 1), bit=st.integers(0, 7))
def test_any_bit_flip_in_a_wrapped_key(position: int, bit: int) -> None:
    tampered = bytearray(WRAPPED)
    tampered[position] ^= 1 << bit
    with pytest.raises(DecryptionError):
        KEYRING.unwrap(bytes(tampered), associated_data=AD)


@settings(max_examples=50, deadline=None)
@given(length=st.integers(0, len(WRAPPED) - 1), extra=st.binary(max_size=4))
def test_truncated_or_extended_wrapped_key(length: int, extra: bytes) -> None:
    with pytest.raises(DecryptionError):
        KEYRING.unwrap(WRAPPED[:length] + extra if extra else WRAPPED[:length], associated_data=AD)
    with pytest.raises(DecryptionError):
        KEYRING.unwrap(WRAPPED + extra + b"\x00", associated_data=AD)


@settings(max_examples=50, deadline=None)
@given(blob=st.binary(max_size=80))
def test_garbage_is_a_decryption_error(blob: bytes) -> None:
    with pytest.raises(DecryptionError):
        KEYRING.unwrap(blob, associated_data=AD)
    try:
        key_id_of(blob)
    except DecryptionError:
        pass


def test_wrap_refuses_wrong_sized_keys_and_nonces() -> None:
    with pytest.raises(ValueError):
        KEYRING.wrap(b"short", associated_data=AD)
    with pytest.raises(ValueError):
        KEYRING.wrap(bytes(32), associated_data=AD, _nonce=bytes(11))


def test_constructor_validates() -> None:
    key = bytes(32)
    with pytest.raises(KeyringError):
        Keyring({}, "k1", key)
    with pytest.raises(KeyringError):
        Keyring({"k1": key}, "k2", key)
    with pytest.raises(KeyringError):
        Keyring({"k1": b"short"}, "k1", key)
    with pytest.raises(KeyringError):
        Keyring({"k1": key}, "k1", b"short")
    with pytest.raises(KeyringError):
        Keyring({"": key}, "", key)
