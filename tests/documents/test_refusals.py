"""Each kind of refusal is its own exception without an HTTP status; the web layer gives each a status, the form
field it concerns and a Dutch message. One date rule reads every form date."""

from __future__ import annotations

from datetime import date

import pytest

from hub.documents import errors
from hub.documents.forms import parse_document_date, refusal_of
from hub.documents.models import FIELD_DATE, FIELD_FILE, FIELD_TYPE, DocumentType, parse_doc_type
from hub.web.forms import BadDate, date_field, parse_date

KINDS = [
    (errors.FileTooLarge(5 * 1024 * 1024), 413, FIELD_FILE, "Het bestand is groter dan 5 MB."),
    (errors.FileInfected("Eicar-Test-Signature"), 400, FIELD_FILE, "het bevat een virus (Eicar-Test-Signature)"),
    (errors.ScannerUnavailable(), 503, FIELD_FILE, "De virusscanner is niet bereikbaar"),
    (errors.ScannerTimedOut(), 503, FIELD_FILE, "De virusscanner antwoordt niet; probeer het later opnieuw."),
    (errors.ScannerLimitExceeded(), 413, FIELD_FILE, "De virusscanner kan een bestand van deze grootte niet"),
    (errors.FileTypeRefused("type", "Alleen PDF is toegestaan."), 400, FIELD_FILE, "Alleen PDF is toegestaan."),
    (errors.NoFile(), 400, FIELD_FILE, "Kies een bestand om te uploaden."),
    (errors.BadDocumentDate(), 400, FIELD_DATE, "Vul de datum van het document in"),
    (errors.FutureDocumentDate(), 400, FIELD_DATE, "kan niet in de toekomst liggen"),
    (errors.BadDocumentType(), 400, FIELD_TYPE, "Kies het soort document."),
    (errors.UploadBrokenOff(), 400, FIELD_FILE, "Het uploaden is afgebroken"),
    (errors.CaseEnded(), 409, FIELD_FILE, "Het dossier is beëindigd"),
]


@pytest.mark.parametrize(("exc", "status", "field", "message"), KINDS, ids=lambda v: type(v).__name__)
def test_every_kind_of_refusal_has_its_status_field_and_message(
    exc: errors.UploadRefused, status: int, field: str, message: str
) -> None:
    assert not hasattr(exc, "status")
    refusal = refusal_of(exc)
    assert (refusal.status, refusal.field) == (status, field)
    assert message in refusal.message


def test_every_kind_is_mapped() -> None:
    kinds = {cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.UploadRefused)}
    assert {type(exc) for exc, *_ in KINDS} == kinds - {errors.UploadRefused}


def test_one_date_rule_for_every_form() -> None:
    assert parse_date("2026-03-13") == date(2026, 3, 13)
    assert parse_date(" 13-03-2026 ") == date(2026, 3, 13)
    assert parse_date("2/3/2026") == date(2026, 3, 2)  # day first, the Dutch way
    for wrong in ("", "13-3-26", "2026-3-13", "31-02-2026", "2026-02-30", "1-1-1899", "1-1-2201", "morgen"):
        with pytest.raises(BadDate):
            parse_date(wrong)
    errors_found: dict[str, str] = {}
    assert date_field("", "start", errors_found) is None and errors_found == {}
    assert date_field("", "start", errors_found, missing="Vul de begindatum in.") is None
    assert date_field("30-02-2026", "end", errors_found, label="einddatum") is None
    assert errors_found == {
        "start": "Vul de begindatum in.",
        "end": "Vul een geldige einddatum in, bijvoorbeeld 13-03-2026 (dag-maand-jaar).",
    }


def test_the_document_form_reads_its_date_and_type_by_those_rules() -> None:
    assert parse_document_date("13-03-2026") == parse_document_date("2026-03-13") == date(2026, 3, 13)
    with pytest.raises(errors.BadDocumentDate):
        parse_document_date("31-02-2026")
    assert parse_doc_type(" cak_nota ") is DocumentType.CAK_NOTA
    with pytest.raises(errors.BadDocumentType):
        parse_doc_type("paspoort")
