"""Key rotation: `hub keys rotate` rewraps every data key, documents still download, the old key can go."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from sqlalchemy import update

from crypto import Keyring, KeyringError
from hub.accounts.auth import AuthService
from hub.cli import CliError, key_status, main, remove_key, rewrap_keys, rotate_keys
from hub.documents.models import Document
from hub.fields import ENCRYPTED_FIELDS, WRAPPED_KEYS
from tests.documents.conftest import Vault, pdf_bytes
from tests.support.hubclient import HubUnderTest


def restart_with_keyring_file(hub: HubUnderTest) -> None:
    """What restarting the hub does to its keyring: it is read from the file again."""
    hub.runtime.keyring = Keyring.load(hub.settings.keyring_path)


async def test_rotate_then_remove_the_old_key(vault: Vault) -> None:
    hub = vault.hub
    bea = await hub.client_for(vault.bewindvoerder)
    contents = [pdf_bytes(150_000), pdf_bytes(70_000)]
    documents = [await vault.upload_ok(bea, f"doc{i}.pdf", data) for i, data in enumerate(contents)]

    before = await key_status(hub.settings)
    assert set(before.total) == {"k1"}
    assert before.by_column["document.wrapped_key"]["k1"] == 2
    assert before.by_column["dossier.bsn"]["k1"] == 2
    assert before.by_column["user_account.totp_secret"]["k1"] >= 5

    old, new, report = await rotate_keys(hub.settings)
    assert (old, new) == ("k1", "k2")
    assert report.failed_count == 0
    assert report.rewrapped["document.wrapped_key"] == 2
    assert report.rewrapped["document.filename"] == 2
    assert report.total_rewrapped == before.total["k1"]
    after = await key_status(hub.settings)
    assert after.wraps("k1") == 0 and after.wraps("k2") == before.total["k1"]

    # Running again does nothing: every row is already wrapped by the primary.
    again = await rewrap_keys(hub.settings)
    assert again.total_rewrapped == 0 and again.already_primary == before.total["k1"]

    restart_with_keyring_file(hub)
    karim = await hub.client_for(vault.klantmanager)
    for document, data in zip(documents, contents, strict=True):
        response = await karim.get(f"/documenten/{document.id}/downloaden")
        assert response.status_code == 200 and response.content == data

    with pytest.raises(KeyringError, match="primary"):
        await remove_key(hub.settings, "k2")
    with pytest.raises(CliError, match="not in the keyring"):
        await remove_key(hub.settings, "k9")
    await remove_key(hub.settings, "k1")
    assert set(Keyring.load(hub.settings.keyring_path).keys) == {"k2"}

    restart_with_keyring_file(hub)
    for document, data in zip(documents, contents, strict=True):
        assert (await karim.get(f"/documenten/{document.id}/downloaden")).content == data
    async with hub.db() as db:
        user = await db.get(type(vault.bewindvoerder), vault.bewindvoerder.id)
        assert user is not None
        assert AuthService(db, hub.runtime.keyring).user_totp_secret(user) == hub.totp_secrets[user.id]
    listing = await karim.get(f"/dossiers/{vault.case.id}")
    assert listing.status_code == 200


async def test_a_key_still_in_use_cannot_be_removed(vault_sqlite: Vault) -> None:
    hub = vault_sqlite.hub
    bea = await hub.client_for(vault_sqlite.bewindvoerder)
    document = await vault_sqlite.upload_ok(bea, "a.pdf", pdf_bytes())
    # A new primary without the rewrap (as a crash after saving the keyring would leave it).
    keyring = Keyring.load(hub.settings.keyring_path)
    keyring.add_primary()
    keyring.save(hub.settings.keyring_path)
    with pytest.raises(KeyringError, match="still wraps"):
        await remove_key(hub.settings, "k1")
    assert "k1" in Keyring.load(hub.settings.keyring_path).keys

    # A damaged value is reported by row (never by value), skipped, and does not stop the rest.
    async with hub.db() as db:
        await db.execute(update(Document).where(Document.id == document.id).values(wrapped_key=b"\x01\x02k1damaged"))
    report = await rewrap_keys(hub.settings)
    assert report.failed_count == 1 and report.failed == [("document", "wrapped_key", document.id)]
    assert report.total_rewrapped > 0
    status = await key_status(hub.settings)
    assert status.wraps("?") == 1 and status.wraps("k1") == 0


async def test_rotation_refused_when_the_keyring_comes_from_the_environment(vault_sqlite: Vault) -> None:
    settings = dataclasses.replace(
        vault_sqlite.hub.settings, keyring_env=vault_sqlite.hub.settings.keyring_path.read_text()
    )
    with pytest.raises(CliError, match="HUB_KEYRING"):
        await rotate_keys(settings)
    with pytest.raises(CliError, match="HUB_KEYRING"):
        await remove_key(settings, "k1")
    # Status and rewrap only read the keyring, so they work with it.
    assert (await key_status(settings)).primary == "k1"


async def test_the_command_line(
    vault_sqlite: Vault, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = vault_sqlite.hub.settings
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    await vault_sqlite.upload_ok(bea, "a.pdf", pdf_bytes())

    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 0
    out = capsys.readouterr().out
    assert "New primary key k2" in out and "document.wrapped_key" in out and "restart every running hub" in out
    assert await asyncio.to_thread(main, ["keys", "status", "-v"]) == 0
    out = capsys.readouterr().out
    assert "k1" in out and "wraps nothing: can be removed" in out and "k2" in out and "primary" in out
    assert await asyncio.to_thread(main, ["keys", "remove", "k2"]) == 2
    assert "primary" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["keys", "remove", "k1"]) == 0
    assert "Key k1 removed" in capsys.readouterr().out


def test_registry_names_real_columns() -> None:
    from sqlmodel import SQLModel

    import hub.models  # noqa: F401  (every table)

    tables = SQLModel.metadata.tables
    for table, column in [(f.table, f.column) for f in (*ENCRYPTED_FIELDS, *WRAPPED_KEYS)]:
        assert table in tables, table
        assert column in tables[table].c, f"{table}.{column}"
        assert "id" in tables[table].c
