"""The document vault's parts that live as long as the runtime: the blob store and the scanner, made on first use."""

from __future__ import annotations

from hub.documents.blobstore import FilesystemBlobStore
from hub.documents.scanner import Scanner, scanner_for
from hub.runtime import Runtime


def blobs_of(runtime: Runtime) -> FilesystemBlobStore:
    """The blob store under the data dir (the mail worker needs none, so it is made only when asked for)."""
    return runtime.component("documents.blobs", lambda rt: FilesystemBlobStore(rt.settings.blob_dir))


def scanner_of(runtime: Runtime) -> Scanner:
    """clamd when HUB_CLAMD is set, else no scanning."""
    return runtime.component("documents.scanner", lambda rt: scanner_for(rt.settings.clamd))
