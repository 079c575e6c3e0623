"""The document vault's parts that live as long as the runtime: the blob store and the scanner, made on first use."""

from __future__ import annotations

from hub.documents.blobstore import FilesystemBlobStore
from hub.documents.scanner import Scanner, ScanTimeouts, scanner_for
from hub.runtime import Runtime


def blobs_of(runtime: Runtime) -> FilesystemBlobStore:
    """The blob store under the data dir (the mail worker needs none, so it is made only when asked for)."""
    return runtime.component("documents.blobs", lambda rt: FilesystemBlobStore(rt.settings.blob_dir))


def scanner_of(runtime: Runtime) -> Scanner:
    """clamd when HUB_CLAMD is set (waiting as long as HUB_CLAMD_*TIMEOUT* say), else no scanning."""

    def make(rt: Runtime) -> Scanner:
        settings = rt.settings
        timeouts = ScanTimeouts(settings.clamd_connect_timeout, settings.clamd_timeout, settings.clamd_timeout_max)
        return scanner_for(settings.clamd, timeouts)

    return runtime.component("documents.scanner", make)
