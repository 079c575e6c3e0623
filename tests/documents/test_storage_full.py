"""A full disk is said to be a full disk: the user reads that storage is full (507), the log names the path, and
nothing of the upload is kept. The blob store sits on a real, tiny tmpfs (the test runs as root, as `make test`
does)."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.documents.conftest import Vault, pdf_bytes, post_upload


@pytest.fixture
def tiny_blob_store(vault_folder: Vault) -> Iterator[Vault]:
    assert os.geteuid() == 0, "this test mounts a 256 KiB tmpfs as the blob store: run it as root (make test does)"
    blob_dir = vault_folder.blob_dir
    hidden = {p.name for p in blob_dir.iterdir()}
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(blob_dir)], check=True)
    try:
        for name in hidden:  # the store's own folders (e.g. for temporary files), now on the tiny file system
            (blob_dir / name).mkdir(mode=0o700)
        yield vault_folder
    finally:
        subprocess.run(["umount", "-l", str(blob_dir)], check=True)


async def test_a_full_disk_says_storage_is_full_and_keeps_nothing(
    tiny_blob_store: Vault, caplog: pytest.LogCaptureFixture
) -> None:
    vault = tiny_blob_store
    client = await vault.hub.client_for(vault.bewindvoerder)
    with caplog.at_level(logging.ERROR, logger="hub.web"):
        response = await post_upload(client, vault.case.id, "beschikking Jansen.pdf", pdf_bytes(2_000_000))
    assert response.status_code == 507
    assert "Opslag vol" in response.text and "opnieuw" in response.text
    assert any("storage full (ENOSPC)" in r.getMessage() for r in caplog.records)
    assert str(Path(vault.blob_dir)) in caplog.text
    assert "Jansen" not in caplog.text
    await vault.assert_nothing_kept()
