"""HUB_BLOBS and the AWS_* variables: the S3 store is chosen by settings, plain http only to this machine (or on
purpose), the secret never in a repr; `hub init` creates a missing bucket."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.config import ConfigError, ObjectStorage, load_settings
from hub.documents.blobstore import FilesystemBlobStore
from hub.documents.components import blob_store_for
from hub.documents.s3store import S3BlobStore
from tests.support.seaweed import SeaweedS3


def settings(tmp_path: Path, **env: str) -> ObjectStorage | None:
    return load_settings({"HUB_DATA_DIR": str(tmp_path), **env}).object_storage


def test_the_folder_is_the_default_and_s3_is_chosen_by_hub_blobs(tmp_path: Path) -> None:
    plain = load_settings({"HUB_DATA_DIR": str(tmp_path)})
    assert plain.object_storage is None
    assert isinstance(blob_store_for(plain), FilesystemBlobStore)
    env = {
        "HUB_DATA_DIR": str(tmp_path),
        "HUB_BLOBS": "s3://gemeente-hub/documenten/prod/",
        "AWS_ENDPOINT_URL": "https://s3.example.nl/",
        "AWS_REGION": "nl-ams",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "very-secret-value",
    }
    chosen = load_settings(env)
    assert chosen.object_storage == ObjectStorage(
        bucket="gemeente-hub",
        prefix="documenten/prod/",
        endpoint_url="https://s3.example.nl",
        region="nl-ams",
        access_key_id="AKIAEXAMPLE",
        secret_access_key="very-secret-value",
    )
    assert "very-secret-value" not in repr(chosen)
    assert isinstance(blob_store_for(chosen), S3BlobStore)
    bare = settings(tmp_path, HUB_BLOBS="s3://gemeente-hub")
    assert bare is not None and (bare.prefix, bare.endpoint_url) == ("", "")


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:8333", "http://localhost:9000", "http://[::1]:9000"])
def test_plain_http_is_fine_to_this_machine(tmp_path: Path, endpoint: str) -> None:
    assert settings(tmp_path, HUB_BLOBS="s3://hub-docs", AWS_ENDPOINT_URL=endpoint) is not None


def test_plain_http_to_another_machine_needs_aws_allow_http(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"plain http to another machine.*AWS_ALLOW_HTTP=true"):
        settings(tmp_path, HUB_BLOBS="s3://hub-docs", AWS_ENDPOINT_URL="http://minio.intern:9000")
    allowed = settings(
        tmp_path, HUB_BLOBS="s3://hub-docs", AWS_ENDPOINT_URL="http://minio.intern:9000", AWS_ALLOW_HTTP="true"
    )
    assert allowed is not None and allowed.endpoint_url == "http://minio.intern:9000"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HUB_BLOBS": "/srv/blobs"}, "must be empty or s3://bucket/prefix"),
        ({"HUB_BLOBS": "s3://Hub_Docs"}, "must be empty or s3://bucket/prefix"),
        ({"HUB_BLOBS": "s3://ab"}, "must be empty or s3://bucket/prefix"),
        ({"HUB_BLOBS": "s3://hub-docs/a/../b"}, "the prefix may hold"),
        ({"HUB_BLOBS": "s3://hub-docs/a b"}, "the prefix may hold"),
        ({"HUB_BLOBS": "s3://hub-docs", "AWS_ENDPOINT_URL": "ftp://s3.example.nl"}, "must be an http"),
        ({"HUB_BLOBS": "s3://hub-docs", "AWS_ALLOW_HTTP": "yes"}, "must be true or false"),
        ({"HUB_BLOBS": "s3://hub-docs", "AWS_ACCESS_KEY_ID": "only-the-id"}, "go together"),
    ],
)
def test_bad_object_storage_settings_stop_the_start(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings(tmp_path, **env)


@pytest.fixture
def keep_umask() -> Iterator[None]:
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


@pytest.mark.usefixtures("keep_umask")
async def test_hub_init_creates_the_bucket_when_it_is_missing(
    s3_server: SeaweedS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from hub.cli import main

    bucket = f"hub-init-{secrets.token_hex(4)}"
    for name in [k for k in os.environ if k.startswith(("HUB_", "AWS_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
    for name, value in s3_server.settings().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HUB_BLOBS", f"s3://{bucket}/hub")
    store = S3BlobStore(ObjectStorage(bucket=bucket, endpoint_url=s3_server.endpoint, region="us-east-1"))
    try:
        with pytest.raises(Exception, match=r"(?i)bucket"):
            await store.reachable()
        # `hub init` runs its own event loop: give it a thread of its own.
        assert await asyncio.to_thread(main, ["init"]) == 0
        assert f"Bucket {bucket!r} created." in capsys.readouterr().out
        await store.reachable()
        assert await asyncio.to_thread(main, ["init"]) == 0
        assert f"Bucket {bucket!r} present." in capsys.readouterr().out
    finally:
        await store.close()
