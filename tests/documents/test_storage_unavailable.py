"""The object store failing unexpectedly (an error answer, or not there at all) is said to be a passing problem: a
Dutch 503 page (API: a 503 problem) with Retry-After, a log line naming the store's error code and nothing of the
upload, and nothing kept: no row, no object, no open multipart upload. With real SeaweedFS: the session's server
answering an error for one file of a batch, and a server of this test's own that is stopped."""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hub.documents.s3store import S3BlobStore, S3BlobWriter
from tests.api.conftest import Api
from tests.api.test_resources import disposition
from tests.cases.world import build_world
from tests.documents.conftest import Vault, build_vault, pdf_bytes, post_upload
from tests.documents.test_multi_upload import post_rows
from tests.support.hubclient import running_hub
from tests.support.seaweed import SeaweedS3, start_seaweed

pytestmark = pytest.mark.s3

SECRET_NAME = "beschikking Jansen-de Wit.pdf"


@pytest.fixture
async def s3_vault(sqlite_url: str, tmp_path: Path, s3_server: SeaweedS3) -> AsyncIterator[Vault]:
    async with running_hub(tmp_path / "data", sqlite_url, **s3_server.settings()) as hub:
        yield await build_vault(hub)


@pytest.fixture
def own_seaweed() -> Iterator[SeaweedS3]:
    """A SeaweedFS of this test's own, to stop (the session's server stays up for the others)."""
    server = start_seaweed()
    try:
        yield server
    finally:
        server.stop()


async def test_a_store_error_for_one_file_keeps_none_of_the_batch(
    s3_vault: Vault, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    vault = s3_vault
    store = vault.store
    assert isinstance(store, S3BlobStore)
    real_open = store.open_writer
    opened: list[S3BlobWriter] = []

    async def second_file_fails() -> S3BlobWriter:
        """The second file's upload goes to a bucket the server does not have: it answers an error (AccessDenied)."""
        if not opened:
            opened.append(await real_open())
            return opened[0]
        bucket, store.bucket = store.bucket, "hub-no-such-bucket"
        try:
            return await real_open()
        finally:
            store.bucket = bucket

    monkeypatch.setattr(store, "open_writer", second_file_fails)
    client = await vault.hub.client_for(vault.bewindvoerder)
    rows = [("overig", "2026-01-05", SECRET_NAME, pdf_bytes(6_000_000)), ("overig", "2026-01-06", "b.pdf", pdf_bytes())]
    with caplog.at_level(logging.INFO):
        response = await post_rows(client, vault.case.id, rows)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert "Tijdelijk niet beschikbaar" in response.text and "niets bewaard" in response.text
    assert "blob store unavailable (AccessDenied) on POST /dossiers/{case_id}/documenten" in caplog.text
    assert "Jansen" not in caplog.text
    assert opened and opened[0].name not in await store.names()  # the first file, complete, was removed
    await vault.assert_nothing_kept()  # no row, no object, no open upload, no audit record


async def test_a_stopped_store_answers_503_for_page_and_api_uploads_and_downloads(
    sqlite_url: str, sqlite_template: Path, tmp_path: Path, own_seaweed: SeaweedS3, caplog: pytest.LogCaptureFixture
) -> None:
    settings = own_seaweed.settings()
    api_database = shutil.copyfile(sqlite_template, tmp_path / "api.sqlite3")  # a second hub, for the API's world
    async with (
        running_hub(tmp_path / "pages", sqlite_url, **settings) as hub,
        running_hub(tmp_path / "api", f"sqlite+aiosqlite:///{api_database}", **settings) as api_hub,
    ):
        vault = await build_vault(hub)
        client = await hub.client_for(vault.bewindvoerder)
        document = await vault.upload_ok(client, "nota.pdf", pdf_bytes())
        api = Api(await build_world(api_hub))
        case = await api.world.open_case()
        api_client = api.client(await api.token(api.world.bv_x))

        own_seaweed.stop()
        with caplog.at_level(logging.INFO):
            upload = await post_upload(client, vault.case.id, SECRET_NAME, pdf_bytes(6_000_000))
            download = await client.get(f"/documenten/{document.id}/downloaden")
            api_upload = await api_client.post(
                f"/api/v1/cases/{case.id}/documents",
                params={"documentType": "overig", "documentDate": "2026-01-05"},
                content=pdf_bytes(),
                headers=disposition(SECRET_NAME),
            )

        for response in (upload, download):
            assert response.status_code == 503 and response.headers["retry-after"] == "30"
            assert "Tijdelijk niet beschikbaar" in response.text
        assert api_upload.status_code == 503 and api_upload.headers["retry-after"] == "30"
        assert api_upload.headers["content-type"] == "application/problem+json"
        assert api_upload.json()["title"] == "Tijdelijk niet beschikbaar"
        assert [d.id for d in await vault.documents()] == [document.id]
        assert (await api_client.get(f"/api/v1/cases/{case.id}/documents")).json()["items"] == []
        assert "blob store unavailable (EndpointConnectionError)" in caplog.text
        assert "Jansen" not in caplog.text
