"""The plain values the case services hand out (list rows, details, the client's identity) and their labels."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement
from sqlmodel import col

from hub.accounts.models import Convenant, Organisation, User
from hub.cases.models import BewindKind, Case, CaseStatus
from hub.terms import AMSTERDAM

# The one rule for a typed dossiernummer (the case list's search, the inbox's filter, a new question's case): a
# whole number such as 2026-483917, its year and first digits, or its last digits. Digits and one hyphen only: no
# name or BSN fits. It finds the references that contain it (:func:`reference_matches`).
REFERENCE_PATTERN = r"\d{4}-\d{0,6}|\d{1,6}"
REFERENCE_QUERY = re.compile(rf"^({REFERENCE_PATTERN})$")


def is_reference_query(text: str) -> bool:
    return REFERENCE_QUERY.match(text) is not None


def reference_matches(typed: str) -> ColumnElement[bool]:
    """The cases a typed dossiernummer finds: those whose reference contains it."""
    return col(Case.reference).contains(typed.strip(), autoescape=True)


def kind_label(value: str) -> str:
    try:
        return BewindKind(value).label
    except ValueError:
        return value


def status_label(value: str) -> str:
    try:
        return CaseStatus(value).label
    except ValueError:
        return value


def mask_bsn(bsn: str) -> str:
    """Only the last three digits, e.g. ••••••782."""
    return "•" * (len(bsn) - 3) + bsn[-3:] if len(bsn) > 3 else "•" * len(bsn)


def fold(text: str) -> str:
    """Case- and accent-insensitive form: Jänsen -> jansen, Öscar -> oscar."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def name_sort_key(name: str | None) -> str:
    """Case- and accent-insensitive (Ö sorts with O)."""
    return fold(name or "\uffff")


def local_today() -> date:
    return datetime.now(AMSTERDAM).date()


@dataclass(frozen=True)
class ClientIdentity:
    name: str
    bsn: str
    birth_date: date

    @property
    def masked_bsn(self) -> str:
        return mask_bsn(self.bsn)


@dataclass(frozen=True)
class CaseRow:
    """One line of a case list. ``client_name`` is None when it could not be decrypted (see the log)."""

    id: str
    reference: str
    client_name: str | None
    partner_id: str
    partner_name: str
    bewind_kind: str
    status: str
    beschikking_date: date | None  # None while the case waits for the court (status aangemeld)
    bewind_start_date: date | None
    created_at: datetime

    @property
    def kind_label(self) -> str:
        return kind_label(self.bewind_kind)

    @property
    def status_label(self) -> str:
        return status_label(self.status)


@dataclass(frozen=True)
class CaseDetails:
    """The organisations and people around a case, for its page."""

    case: Case
    gemeente: Organisation
    kantoor: Organisation
    convenant: Convenant | None
    bewindvoerder: User | None
    gemeente_contact: User | None

    @property
    def kind_label(self) -> str:
        return kind_label(self.case.bewind_kind)

    @property
    def status_label(self) -> str:
        return status_label(self.case.status)
