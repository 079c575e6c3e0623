"""Why an upload is refused: one exception class per kind, none carrying an HTTP status or a page.

The service raises these; the web layer (:mod:`hub.documents.refusals`) maps each kind to a status, the form field
it concerns and a Dutch message. In every case nothing of the upload was kept. ``reason`` is for logs and tests.
"""

from __future__ import annotations


class UploadRefused(Exception):
    """The upload is refused; nothing was kept."""

    reason = "refused"

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason or self.reason)
        if reason:
            self.reason = reason


class FileTooLarge(UploadRefused):
    """Larger than HUB_MAX_UPLOAD_MB."""

    reason = "too large"

    def __init__(self, max_bytes: int) -> None:
        super().__init__()
        self.max_bytes = max_bytes


class FileInfected(UploadRefused):
    """The virus scanner found something."""

    reason = "infected"

    def __init__(self, signature: str) -> None:
        super().__init__()
        self.signature = signature


class ScannerUnavailable(UploadRefused):
    """The virus scanner could not be reached or failed: try again later."""

    reason = "scanner unavailable"


class ScannerTimedOut(ScannerUnavailable):
    """The virus scanner did not answer in time (HUB_CLAMD_TIMEOUT): try again later."""

    reason = "scanner timed out"


class ScannerLimitExceeded(UploadRefused):
    """The virus scanner's own size limit is lower than the file: it cannot vouch for it."""

    reason = "scanner size limit"


class FileTypeRefused(UploadRefused):
    """Not a kind of file the vault accepts (by name or by content). ``explanation`` is the sniffer's Dutch text."""

    reason = "type"

    def __init__(self, reason: str, explanation: str) -> None:
        super().__init__(reason)
        self.explanation = explanation


class NoFile(UploadRefused):
    """No file was chosen."""

    reason = "no file"


class CaseEnded(UploadRefused):
    """The case has ended (einde bewind): nothing is added to it any more."""

    reason = "case ended"


class BadDocumentDate(UploadRefused):
    """The document's date is missing or not a date."""

    reason = "date"


class FutureDocumentDate(UploadRefused):
    """The document's date lies after today: a document cannot be dated in the future."""

    reason = "future date"


class BadDocumentType(UploadRefused):
    """The kind of document is missing or not one of DOCUMENT_TYPE_LABELS."""

    reason = "doc_type"


class UploadBrokenOff(UploadRefused):
    """The body ended (or the client went away) before the file was complete."""

    reason = "incomplete"


class DocumentWithdrawn(Exception):
    """A download of a document its uploader's organisation withdrew (hub.documents.withdrawal). Nothing was sent."""

    def __init__(self, document_id: str) -> None:
        super().__init__(document_id)
        self.document_id = document_id
