"""A server killed (SIGKILL) in the middle of an upload leaves no visible blob and no document row, on either blob
store; what it does leave (an unfinished upload) goes with the orphan sweep once older than the threshold."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta

from hub.documents.services import cleanup_orphan_blobs
from tests.documents.conftest import Vault
from tests.support.blobs import UNFINISHED

UPLOADER = """
import asyncio, os, sys
from datetime import date
from hub.accounts.models import User
from hub.cases.models import Case
from hub.config import load_settings
from hub.documents.components import blobs_of
from hub.documents.services import DocumentService
from hub.runtime import open_runtime

async def main(user_id, case_id):
    async with open_runtime(load_settings()) as rt:
        async with rt.transaction() as db:
            user, case = await db.get(User, user_id), await db.get(Case, case_id)

        async def chunks():
            yield b"%PDF-1.7\\n" + os.urandom(64 * 1024)
            for i in range(10_000):  # far more than is ever sent: the process dies first
                yield os.urandom(1024 * 1024)
                if i == 12:
                    print("uploading", flush=True)
                await asyncio.sleep(0.005)

        async with rt.sessions() as db:
            service = DocumentService(db, rt.keyring, blobs_of(rt))
            await service.store(user, case, doc_type="benoemingsbeschikking", document_date=date(2026, 1, 15),
                                filename="groot.pdf", chunks=chunks(), max_bytes=1 << 40)
            await db.commit()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_a_server_killed_mid_upload_leaves_no_visible_blob_and_no_row(
    vault_sqlite: Vault, blob_settings: dict[str, str]
) -> None:
    settings = vault_sqlite.hub.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "AWS_"))}
    env.update(
        HUB_DATA_DIR=str(settings.data_dir), HUB_DATABASE_URL=settings.database_url, HUB_CLAMD="off", **blob_settings
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH", "")]))
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        UPLOADER,
        vault_sqlite.bewindvoerder.id,
        vault_sqlite.case.id,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    try:
        line = await asyncio.wait_for(child.stdout.readline(), 60)  # once the upload is well under way (13 MiB)
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert line == b"uploading\n", (await child.stderr.read()).decode()[-2000:]

    assert await vault_sqlite.documents() == []
    left = await vault_sqlite.stored()
    assert left and all(entry.startswith(UNFINISHED) for entry in left)  # nothing under a blob's real name
    # The sweep leaves it while it is young (the upload might be another server's, still running) ...
    assert await cleanup_orphan_blobs(vault_sqlite.hub.runtime.sessions, vault_sqlite.store) == (0, 0)
    assert await vault_sqlite.stored() == left
    # ... and removes it once it is older than the threshold.
    removed = await cleanup_orphan_blobs(vault_sqlite.hub.runtime.sessions, vault_sqlite.store, older_than=timedelta(0))
    assert removed == (len(left), 0)
    assert await vault_sqlite.stored() == []
