"""The document vault's parts that live as long as the runtime: the blob store and the scanner, made on first use."""

from __future__ import annotations

from hub.config import Settings
from hub.documents.blobstore import BlobStore, FilesystemBlobStore
from hub.documents.scanner import Scanner, ScanTimeouts, scanner_for
from hub.runtime import Runtime


def blob_store_for(settings: Settings) -> BlobStore:
    """Object storage when HUB_BLOBS=s3://... is set, else the blob folder under the data dir."""
    if settings.object_storage is not None:
        from hub.documents.s3store import S3BlobStore  # botocore is heavy to import: only when it is used

        return S3BlobStore(settings.object_storage)
    return FilesystemBlobStore(settings.blob_dir)


def blobs_of(runtime: Runtime) -> BlobStore:
    """The runtime's blob store, made on first use (the mail worker needs none); closed with the runtime."""
    return runtime.component("documents.blobs", lambda rt: blob_store_for(rt.settings))


def scanner_of(runtime: Runtime) -> Scanner:
    """clamd when HUB_CLAMD is set (waiting as long as HUB_CLAMD_*TIMEOUT* say), else no scanning."""

    def make(rt: Runtime) -> Scanner:
        settings = rt.settings
        timeouts = ScanTimeouts(settings.clamd_connect_timeout, settings.clamd_timeout, settings.clamd_timeout_max)
        return scanner_for(settings.clamd, timeouts)

    return runtime.component("documents.scanner", make)
