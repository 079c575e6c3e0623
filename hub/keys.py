"""Where the keyring lives, and what it protects.

The keyring is a 0600 file in the data dir, or the HUB_KEYRING environment variable. Never the database.

Everything in the database that a key-encryption key (KEK) protects is listed in :mod:`hub.fields`, the one
registry the services also use for their encryption contexts, so rotation and ``hub keys status`` reach all of it.
Every listed table has a string primary key column ``id``.

Rotation (:func:`rewrap_all`) rewraps data keys only: no document and no field value is re-encrypted.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, LargeBinary, String, column, select, table, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.sql.expression import ColumnClause, TableClause
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import (
    DecryptionError,
    Keyring,
    KeyringError,
    field_key_id,
    key_id_of,
    rewrap_field,
)
from hub.db import transaction
from hub.fields import ENCRYPTED_FIELDS, WRAPPED_KEYS, EncryptedField, WrappedKeyColumn

log = logging.getLogger("hub.keys")

REWRAP_BATCH = 500
MALFORMED = "?"  # the key id reported for a value whose envelope cannot be parsed


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


def _registry() -> list[tuple[str, str, bool]]:
    """(table, column, is_field) for every protected column, each once."""
    seen: set[tuple[str, str]] = set()
    out = []
    entries = [(k.table, k.column, False) for k in WRAPPED_KEYS] + [(f.table, f.column, True) for f in ENCRYPTED_FIELDS]
    for tbl, col, is_field in entries:
        if (tbl, col) not in seen:
            seen.add((tbl, col))
            out.append((tbl, col, is_field))
    return out


def _table(name: str, col: str) -> tuple[TableClause, ColumnClause[Any], ColumnClause[Any]]:
    t = table(name, column("id", String), column(col, LargeBinary))
    return t, t.c.id, t.c[col]


def _key_id(value: bytes, is_field: bool) -> str:
    try:
        return field_key_id(value) if is_field else key_id_of(value)
    except DecryptionError:
        return MALFORMED


# -- status ----------------------------------------------------------------------------------------------------


@dataclass
class KeyUsage:
    """How many data keys each KEK wraps: in total and per ``table.column``."""

    primary: str
    total: Counter[str] = field(default_factory=Counter)
    by_column: dict[str, Counter[str]] = field(default_factory=dict)

    def wraps(self, key_id: str) -> int:
        return self.total.get(key_id, 0)


async def key_usage(db: AsyncSession, keyring: Keyring, *, batch_size: int = 5000) -> KeyUsage:
    """Count the data keys per KEK id over every registered column (reads only the envelopes' key ids)."""
    usage = KeyUsage(primary=keyring.primary_id)
    for tbl, col, is_field in _registry():
        _, id_col, value_col = _table(tbl, col)
        counts: Counter[str] = Counter()
        last = ""
        while True:
            rows = (
                await db.execute(
                    select(id_col, value_col)
                    .where(value_col.is_not(None), id_col > last)
                    .order_by(id_col)
                    .limit(batch_size)
                )
            ).all()
            for _, value in rows:
                counts[_key_id(value, is_field)] += 1
            if len(rows) < batch_size:
                break
            last = rows[-1][0]
        usage.by_column[f"{tbl}.{col}"] = counts
        usage.total.update(counts)
    return usage


# -- rotation --------------------------------------------------------------------------------------------------


@dataclass
class RewrapReport:
    """What :func:`rewrap_all` did. ``failed`` names rows (never values) whose key could not be unwrapped."""

    primary: str
    rewrapped: Counter[str] = field(default_factory=Counter)  # per table.column
    already_primary: int = 0
    changed_meanwhile: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (table, column, row id), first 100
    failed_count: int = 0

    @property
    def total_rewrapped(self) -> int:
        return sum(self.rewrapped.values())


async def rewrap_all(
    sessions: async_sessionmaker[AsyncSession], keyring: Keyring, *, batch_size: int = REWRAP_BATCH
) -> RewrapReport:
    """Rewrap every registered data key that is not wrapped by the keyring's primary KEK.

    Works column by column in batches of ``batch_size`` rows (keyset pagination on ``id``), one transaction per
    batch, so it can be interrupted and run again: rows already wrapped by the primary are skipped. A row changed
    by the running hub between the read and the write is left alone (the update matches on the old value). A row
    that does not unwrap (a KEK missing from the keyring, a damaged value) is reported and skipped.

    Takes a session factory, not a session: each batch commits on its own.
    """
    report = RewrapReport(primary=keyring.primary_id)
    primary = keyring.primary_id
    for tbl, col, is_field in _registry():
        t, id_col, value_col = _table(tbl, col)
        last = ""
        while True:
            async with transaction(sessions) as db:
                rows = (
                    await db.execute(
                        select(id_col, value_col)
                        .where(value_col.is_not(None), id_col > last)
                        .order_by(id_col)
                        .limit(batch_size)
                    )
                ).all()
                for row_id, value in rows:
                    value = bytes(value)
                    if _key_id(value, is_field) == primary:
                        report.already_primary += 1
                        continue
                    try:
                        if is_field:
                            new = rewrap_field(keyring, value, context=EncryptedField(tbl, col).context(row_id))
                        else:
                            new = keyring.rewrap(value, associated_data=WrappedKeyColumn.associated_data(row_id))
                    except DecryptionError:
                        report.failed_count += 1
                        if len(report.failed) < 100:
                            report.failed.append((tbl, col, row_id))
                        log.warning("key of %s.%s row %s does not unwrap; left as it is", tbl, col, row_id)
                        continue
                    result = cast(
                        CursorResult[Any],
                        await db.execute(update(t).where(id_col == row_id, value_col == value).values({col: new})),
                    )
                    if result.rowcount == 1:
                        report.rewrapped[f"{tbl}.{col}"] += 1
                    else:
                        report.changed_meanwhile += 1
            if len(rows) < batch_size:
                break
            last = rows[-1][0]
    return report


def forget_key(keyring: Keyring, key_id: str, usage: KeyUsage) -> None:
    """Remove ``key_id`` from ``keyring`` only if it wraps nothing (KeyringError otherwise)."""
    if key_id not in keyring.keys:
        raise KeyringError(f"Key {key_id!r} is not in the keyring.")
    if key_id == keyring.primary_id:
        raise KeyringError(f"Key {key_id!r} is the primary key and cannot be removed; rotate to a new key first.")
    still = usage.wraps(key_id)
    if still:
        raise KeyringError(
            f"Key {key_id!r} still wraps {still} data key(s); run `hub keys rewrap` (after restarting every hub "
            "process with the new keyring) and check `hub keys status` before removing it."
        )
    keyring.remove(key_id)
