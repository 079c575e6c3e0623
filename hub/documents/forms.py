"""The upload form as the web layer reads it, shared by the document upload and the messaging reply with a file.

- :func:`refusal_of`: for each kind of refusal (:mod:`hub.documents.errors`, raised by the service, which knows
  nothing of this) the HTTP status, the form field it concerns and the Dutch message;
- :func:`parse_document_date`: the document's date by the one date rule of :mod:`hub.web.forms`, not in the future;
- :func:`upload_context`: what templates/documents/_case_documents.html needs (the type options come from
  ``DOCUMENT_TYPE_LABELS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hub.cases.models import CASE_ENDED
from hub.cases.records import local_today
from hub.config import Settings
from hub.documents.errors import (
    BadDocumentDate,
    BadDocumentType,
    CaseEnded,
    FileInfected,
    FileTooLarge,
    FileTypeRefused,
    FutureDocumentDate,
    NoFile,
    ScannerLimitExceeded,
    ScannerTimedOut,
    ScannerUnavailable,
    UploadBrokenOff,
    UploadRefused,
)
from hub.documents.inline import PREVIEW_TYPES
from hub.documents.models import DOCUMENT_TYPE_OPTIONS, FIELD_DATE, FIELD_FILE, FIELD_TYPE, check_document_date
from hub.documents.sniff import ACCEPT_ATTRIBUTE
from hub.web.forms import BadDate, parse_date

SCANNER_DOWN = "De virusscanner is niet bereikbaar; probeer het later opnieuw."
SCANNER_SILENT = "De virusscanner antwoordt niet; probeer het later opnieuw."
SCANNER_TOO_LARGE = (
    "De virusscanner kan een bestand van deze grootte niet controleren, dus het is geweigerd. "
    "Neem contact op met de beheerder van de beveiligde omgeving."
)
NO_FILE = "Kies een bestand om te uploaden."
INCOMPLETE = "Het uploaden is afgebroken voordat het bestand compleet was; er is niets opgeslagen. Probeer het opnieuw."
BAD_TYPE = "Kies het soort document."
BAD_DATE = "Vul de datum van het document in, bijvoorbeeld 13-03-2026 (dag-maand-jaar)."
FUTURE_DATE = "De datum van het document kan niet in de toekomst liggen. Vul de datum in die op het document staat."
REFUSED = "Dit bestand is geweigerd. Er is niets opgeslagen."

MAX_FILES = 10  # rows one form may send; the plain form shows ROWS_SHOWN, the script adds rows up to this
ROWS_SHOWN = 5


def row_key(name: str, number: int) -> str:
    """The id of a row's field in the page, and the key of its problem: ``doc_type-2``."""
    return f"{name}-{number}"


@dataclass
class FileRow:
    """One row of the form as it was sent: what the page shows again after a refusal (the file itself is gone)."""

    number: int
    doc_type: str = ""
    document_date: str = ""
    filename: str = ""


def rows_for_page(rows: list[FileRow], shown: int = ROWS_SHOWN) -> list[FileRow]:
    """The rows the form shows: those sent (their type and date kept), then empty ones up to ``shown``."""
    sent = [FileRow(r.number, r.doc_type, r.document_date) for r in rows[:MAX_FILES]]
    return sent + [FileRow(n) for n in range(len(sent) + 1, max(shown, len(sent)) + 1)]


@dataclass(frozen=True)
class Refusal:
    status: int
    field: str
    message: str


def too_large_message(max_bytes: int) -> str:
    return f"Het bestand is groter dan {max_bytes // (1024 * 1024)} MB."


def infected_message(signature: str) -> str:
    return f"Dit bestand is geweigerd: het bevat een virus ({signature}). Er is niets opgeslagen."


def refusal_of(exc: UploadRefused) -> Refusal:
    """The status, field and Dutch message for one kind of refusal."""
    match exc:
        case FileTooLarge():
            return Refusal(413, FIELD_FILE, too_large_message(exc.max_bytes))
        case FileInfected():
            return Refusal(400, FIELD_FILE, infected_message(exc.signature))
        case ScannerTimedOut():
            return Refusal(503, FIELD_FILE, SCANNER_SILENT)
        case ScannerUnavailable():
            return Refusal(503, FIELD_FILE, SCANNER_DOWN)
        case ScannerLimitExceeded():
            return Refusal(413, FIELD_FILE, SCANNER_TOO_LARGE)
        case FileTypeRefused():
            return Refusal(400, FIELD_FILE, exc.explanation)
        case NoFile():
            return Refusal(400, FIELD_FILE, NO_FILE)
        case BadDocumentDate():
            return Refusal(400, FIELD_DATE, BAD_DATE)
        case FutureDocumentDate():
            return Refusal(400, FIELD_DATE, FUTURE_DATE)
        case BadDocumentType():
            return Refusal(400, FIELD_TYPE, BAD_TYPE)
        case UploadBrokenOff():
            return Refusal(400, FIELD_FILE, INCOMPLETE)
        case CaseEnded():
            return Refusal(409, FIELD_FILE, CASE_ENDED)
    return Refusal(400, FIELD_FILE, REFUSED)


def parse_document_date(raw: str) -> date:
    """The document's date from the form (the one date rule of hub.web.forms), checked by the document date rule
    (hub.documents.models.check_document_date) before a byte of the file is read; an UploadRefused otherwise."""
    try:
        day = parse_date(raw)
    except BadDate:
        raise BadDocumentDate() from None
    return check_document_date(day, local_today())


def upload_context(settings: Settings, *, may_upload: bool) -> dict[str, object]:
    """What templates/documents/_case_documents.html needs besides ``case``, ``documents`` and ``csrf_token``."""
    return {
        "may_upload": may_upload,
        "document_types": DOCUMENT_TYPE_OPTIONS,
        "accept_extensions": ACCEPT_ATTRIBUTE,
        "max_upload_mb": settings.max_upload_bytes // (1024 * 1024),
        # The form promises a scan only when clamd is configured (HUB_CLAMD=off scans nothing).
        "scanning": settings.scanning,
        "file_rows": rows_for_page([]),
        "max_files": MAX_FILES,
        "preview_types": PREVIEW_TYPES,  # a "Bekijken" link next to the download for these
    }
