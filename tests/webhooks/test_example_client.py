"""examples/bewind_client.py against a real `hub serve` and `hub worker` (processes, SQLite file): the kantoor's
package opens a case, uploads the beschikking, asks a question and waits for the webhook; a gemeente user answers
through the API with a token of its own; the client reads the answer after the signed webhook told it of it.

Needs `POST /api/v1/cases`, `GET /api/v1/convenants` and `POST /api/v1/cases/{caseId}/threads` (issue 17's
resources part)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from hub.accounts.api_tokens import SCOPES, ApiTokenService
from hub.accounts.roles import OrgKind, Role
from hub.webhooks.endpoints import WebhookService
from tests.documents.conftest import pdf_bytes
from tests.ops.test_migrate_once import hub_env
from tests.support.hubclient import running_hub
from tests.support.postgres import free_port
from tests.support.serving import wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
ANSWER = "Ja, de aanvraag is ontvangen en wordt deze week behandeld."


@asynccontextmanager
async def process(*args: str, env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_the_example_client_gets_its_answer(sqlite_url: str, tmp_path: Path) -> None:
    data_dir, hook_port, port = tmp_path / "data", free_port(), free_port()
    async with running_hub(data_dir, sqlite_url, HUB_WEBHOOK_ALLOW_PRIVATE="true") as hub:
        kantoor = await hub.org(OrgKind.KANTOOR, "Bewindvoering De Brug")
        gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Nijmegen")
        await hub.convenant(gemeente, kantoor)
        bewindvoerder = await hub.user(kantoor, Role.BEWINDVOERDER, name="Bram Bewind")
        beheerder = await hub.user(kantoor, Role.KANTOORBEHEERDER)
        klantmanager = await hub.user(gemeente, Role.KLANTMANAGER, name="Klaas Klant")
        async with hub.db() as db:
            tokens = ApiTokenService(db)
            package_token, _ = await tokens.create_for_user(bewindvoerder, name="Pakket", scopes=list(SCOPES), days=30)
            gemeente_token, _ = await tokens.create_for_user(klantmanager, name="Zaak", scopes=list(SCOPES), days=30)
            _, secret = await WebhookService(db, hub.runtime.keyring, allow_private=True).add(
                beheerder, url=f"http://127.0.0.1:{hook_port}/webhook", event_types=["message.created"]
            )
    beschikking = tmp_path / "beschikking.pdf"
    beschikking.write_bytes(pdf_bytes(50_000))
    env = hub_env(
        data_dir, sqlite_url, HUB_PORT=str(port), HUB_CLAMD="off", HUB_WORKER="off", HUB_WEBHOOK_ALLOW_PRIVATE="true"
    )
    base_url = f"http://127.0.0.1:{port}"
    async with (
        process("-m", "hub", "serve", env=env) as server,
        process("-m", "hub", "worker", env=env) as worker,
        httpx.AsyncClient(base_url=base_url, headers={"authorization": f"Bearer {gemeente_token}"}) as gemeente_api,
    ):
        await wait_until_serving(gemeente_api)
        client_env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        async with process(
            str(ROOT / "examples" / "bewind_client.py"), "--base-url", base_url, "--token", package_token,
            "--webhook-secret", secret, "--listen", f"127.0.0.1:{hook_port}", "--beschikking", str(beschikking),
            "--timeout", "60", env=client_env,
        ) as client:  # fmt: skip
            # The gemeente's system: the question shows in its inbox; it answers through its own token.
            thread_id = ""
            for _ in range(300):
                items = (await gemeente_api.get("/api/v1/threads")).json().get("items", [])
                if items:
                    thread_id = items[0]["id"]
                    break
                assert client.returncode is None, (await client.stdout.read()).decode()  # type: ignore[union-attr]
                await asyncio.sleep(0.1)
            assert thread_id, "the question did not arrive"
            posted = await gemeente_api.post(
                f"/api/v1/threads/{thread_id}/messages", json={"body": ANSWER, "kind": "inhoudelijke_reactie"}
            )
            assert posted.status_code == 201, posted.text
            output, _ = await asyncio.wait_for(client.communicate(), 90)
        text = output.decode()
        assert client.returncode == 0, text
        assert f"answer from Gemeente Nijmegen: {ANSWER}" in text
        assert "webhook refused" not in text
        assert server.returncode is None and worker.returncode is None
