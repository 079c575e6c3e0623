"""`hub keys rotate / rewrap / remove` leave a record in the audit chain and the log: the key id, no key material."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from hub.audit.models import AuditEvent
from hub.audit.services import verify
from hub.cli import remove_key, rewrap_keys, rotate_keys
from tests.support.hubclient import HubUnderTest


async def test_key_rotation_is_audited(hub: HubUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    old, new, _ = await rotate_keys(hub.settings)
    await rewrap_keys(hub.settings)
    await remove_key(hub.settings, old)
    async with hub.db() as db:
        records = list((await db.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())  # type: ignore[arg-type]
        assert (await verify(db)).ok
    assert [(r.action, r.object_type, r.object_id) for r in records] == [
        ("keys.rotate", "keyring", new),
        ("keys.rewrap", "keyring", new),
        ("keys.remove", "keyring", old),
    ]
    assert all(r.user_id is None and r.client_address is None for r in records)
    logged = [r.getMessage() for r in caplog.records if r.name == "hub.auth"]
    assert [line.split()[0] for line in logged] == ["keys.rotate", "keys.rewrap", "keys.remove"]
