"""`hub keys rotate | rewrap | status | remove`: the keyring. The async functions are also called by the tests."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from hub import migrate
from hub.audit.auth_events import NO_ORIGIN, record_auth_event
from hub.cli.common import CliError
from hub.config import Settings
from hub.keys import load_keyring
from hub.runtime import open_runtime

ROTATE_NEXT_STEPS = (
    "Next: restart every running hub process (serve, worker) so that it wraps new data keys with the new primary; "
    "then run `hub keys rewrap` once more (it catches what the old processes wrote meanwhile) and `hub keys status`. "
    "A key that wraps nothing any more can be removed with `hub keys remove KEY_ID`."
)


def _keyring_file(settings: Settings, action: str) -> Any:
    if settings.keyring_env:
        raise CliError(
            f"The keyring comes from HUB_KEYRING, so `hub keys {action}` cannot change it. Do it where HUB_KEYRING is "
            "kept: add a new random 32-byte key, make it the primary and keep the old keys; restart every hub "
            "process with the new value; then run `hub keys rewrap` and `hub keys status`."
        )
    return settings.keyring_path


async def rotate_keys(settings: Settings) -> tuple[str, str, Any]:
    """`hub keys rotate`: add a new primary KEK to the keyring file (saved atomically, 0600), then rewrap every
    data key. Returns (old primary, new primary, RewrapReport)."""
    from hub.keys import rewrap_all

    path = _keyring_file(settings, "rotate")
    keyring = load_keyring(path)
    old = keyring.primary_id
    new = keyring.add_primary()
    keyring.save(path)
    async with open_runtime(settings, keyring=keyring) as rt:
        await _audit(rt, "keys.rotate", new)
        report = await rewrap_all(rt.sessions, keyring)
    return old, new, report


async def _audit(rt: Any, action: str, key_id: str) -> None:
    """Key management in the audit chain and the log: which key, never key material."""
    async with rt.transaction() as db:
        await record_auth_event(db, action, NO_ORIGIN, object_type="keyring", object_id=key_id)


async def rewrap_keys(settings: Settings) -> Any:
    """`hub keys rewrap`: rewrap every data key not yet wrapped by the current primary (no new key)."""
    from hub.keys import rewrap_all

    keyring = load_keyring(settings.keyring_path, settings.keyring_env)
    async with open_runtime(settings, keyring=keyring) as rt:
        await _audit(rt, "keys.rewrap", keyring.primary_id)
        return await rewrap_all(rt.sessions, keyring)


async def key_status(settings: Settings) -> Any:
    """`hub keys status`: the KeyUsage (data keys per KEK id) for the configured keyring."""
    from hub.keys import key_usage

    keyring = load_keyring(settings.keyring_path, settings.keyring_env)

    async with open_runtime(settings, keyring=keyring) as rt, rt.transaction() as db:
        return await key_usage(db, keyring)


async def remove_key(settings: Settings, key_id: str) -> None:
    """`hub keys remove KEY_ID`: forget a KEK, only when it is not the primary and wraps nothing."""
    from hub.keys import forget_key

    path = _keyring_file(settings, "remove")
    keyring = load_keyring(path)
    if key_id not in keyring.keys:
        raise CliError(f"Key {key_id!r} is not in the keyring ({', '.join(sorted(keyring.keys))}).")
    usage = await key_status(settings)
    forget_key(keyring, key_id, usage)
    keyring.save(path)
    async with open_runtime(settings, keyring=keyring) as rt:
        await _audit(rt, "keys.remove", key_id)


def _print_rewrap(report: Any) -> None:
    print(f"Rewrapped {report.total_rewrapped} data key(s) with primary key {report.primary}:")
    for column, count in sorted(report.rewrapped.items()):
        print(f"  {column:<32} {count}")
    print(f"Already wrapped by {report.primary}: {report.already_primary}.")
    if report.changed_meanwhile:
        print(
            f"Changed by the running hub meanwhile (left alone; run `hub keys rewrap` again): "
            f"{report.changed_meanwhile}."
        )
    if report.failed_count:
        print(f"NOT rewrapped, key did not unwrap: {report.failed_count} value(s), e.g.:")
        for table, column, row_id in report.failed[:10]:
            print(f"  {table}.{column} row {row_id}")


def cmd_keys_rotate(settings: Settings, args: argparse.Namespace) -> None:
    migrate.require_current(settings.database_url)
    old, new, report = asyncio.run(rotate_keys(settings))
    print(f"New primary key {new} added to {settings.keyring_path} (previous primary: {old}). Back up this file.")
    _print_rewrap(report)
    print(ROTATE_NEXT_STEPS)
    if report.failed_count:
        raise CliError("some data keys could not be rewrapped; see above.")


def cmd_keys_rewrap(settings: Settings, args: argparse.Namespace) -> None:
    migrate.require_current(settings.database_url)
    report = asyncio.run(rewrap_keys(settings))
    _print_rewrap(report)
    if report.failed_count:
        raise CliError("some data keys could not be rewrapped; see above.")


def cmd_keys_status(settings: Settings, args: argparse.Namespace) -> None:
    from hub.keys import MALFORMED

    migrate.require_current(settings.database_url)
    usage = asyncio.run(key_status(settings))
    keyring = load_keyring(settings.keyring_path, settings.keyring_env)
    print(f"{'key':<12} {'data keys':>10}")
    for key_id in sorted(set(keyring.keys) | set(usage.total)):
        marks = []
        if key_id == usage.primary:
            marks.append("primary")
        if key_id not in keyring.keys:
            marks.append("NOT IN THE KEYRING: these values cannot be read" if key_id != MALFORMED else "malformed")
        elif key_id != usage.primary and not usage.wraps(key_id):
            marks.append("wraps nothing: can be removed")
        print(f"{key_id:<12} {usage.wraps(key_id):>10}  {', '.join(marks)}".rstrip())
    if args.verbose:
        for column, counts in sorted(usage.by_column.items()):
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "empty"
            print(f"  {column:<32} {detail}")


def cmd_keys_remove(settings: Settings, args: argparse.Namespace) -> None:
    migrate.require_current(settings.database_url)
    asyncio.run(remove_key(settings, args.key_id))
    print(f"Key {args.key_id} removed from {settings.keyring_path}.")
