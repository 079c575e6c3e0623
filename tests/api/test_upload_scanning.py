"""An API upload is scanned like a page upload: a real clamd finds the EICAR test string inside a PDF, the call is
refused as a problem naming the body, and nothing is stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

from hub.documents.demo_scanner import eicar
from tests.api.conftest import Api
from tests.api.test_resources import disposition
from tests.cases.world import build_world
from tests.documents.conftest import pdf_bytes
from tests.support.clamd import Clamd, clamd  # noqa: F401  (the session fixture)
from tests.support.hubclient import running_hub


async def test_an_infected_upload_is_refused_and_a_clean_one_is_scanned(
    database_url: str,
    tmp_path: Path,
    clamd: Clamd,  # noqa: F811
) -> None:
    async with running_hub(tmp_path / "data", database_url, HUB_CLAMD=clamd.address) as hub:
        api = Api(await build_world(hub))
        case = await api.world.open_case()
        client = api.client(await api.token(api.world.bv_x))
        url = f"/api/v1/cases/{case.id}/documents"
        params = {"documentType": "overig", "documentDate": "2026-01-05"}
        infected = b"%PDF-1.7\n" + os.urandom(50_000) + eicar() + os.urandom(50_000)
        refused = await client.post(url, params=params, content=infected, headers=disposition("nota.pdf"))
        assert refused.status_code == 400
        body = refused.json()
        assert body["invalidParams"][0]["name"] == "body" and "virus" in body["detail"]
        assert (await client.get(url)).json()["items"] == []
        clean = await client.post(url, params=params, content=pdf_bytes(100_000), headers=disposition("nota.pdf"))
        assert clean.status_code == 201
        assert [d["fileName"] for d in (await client.get(url)).json()["items"]] == ["nota.pdf"]
