"""Where the keyring lives: a 0600 file in the data dir, or the HUB_KEYRING environment variable. Never the DB."""

from __future__ import annotations

from pathlib import Path

from crypto import Keyring, KeyringError


def load_keyring(path: Path, env_value: str = "") -> Keyring:
    if env_value:
        return Keyring.from_env(env_value)
    if not path.exists():
        raise KeyringError(f"No keyring at {path}. Run `hub init` first (or set HUB_KEYRING).")
    return Keyring.load(path)


def create_keyring(path: Path) -> Keyring:
    """Make a new keyring file; refuses to overwrite one (that would destroy every document)."""
    if path.exists():
        raise KeyringError(f"A keyring already exists at {path}; refusing to overwrite it.")
    keyring = Keyring.generate()
    keyring.save(path)
    return keyring
