"""Correcting a case's client identity and bewind data, with its history.

Who corrects what:

- the kantoor (bewindvoerder, kantoorbeheerder) every field: it opened the case and holds the benoemingsbeschikking,
  the source of the bewind data; the beschikking's dates are the milestone *beschikking ontvangen* and are corrected
  there, on the case's path (hub.cases.milestone_service), which keeps its own history: one source for those dates;
- the gemeente (klantmanager, consulent, contractmanager) the client's identity (name, BSN, date of birth), which it
  checks against the BRP; a mistake in the bewind data it reports to the kantoor in a message;
- the bewindvoerder of the case is changed by the kantoor's assignment on the case page, which keeps the same history
  (:meth:`CaseCorrections.record_correction`);
- nobody once the case has ended (status beeindigd).

Each changed field is one ``case_correction`` row: the field's name, who, which organisation, when, the old and new
values and the optional reason, these three field-encrypted (hub.fields), and one audit record ``case.correct``
naming the row (no value). A corrected BSN gets a new blind index and passes the duplicate rule
(hub.cases.duplicates) again; a corrected name is indexed again for the name search.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from crypto import DecryptionError, blind_index, decrypt_text, encrypt_field
from hub.accounts.authz import Action, may, require
from hub.accounts.models import Organisation, User
from hub.audit import services as audit
from hub.cases.checks import (
    check_bewind_kind,
    check_birth_date,
    check_bsn,
    check_client_name,
    check_rechtbank,
)
from hub.cases.duplicates import Duplicate, find_duplicate, refusal
from hub.cases.models import Case, CaseCorrection
from hub.cases.name_index import index_case_name
from hub.cases.reading import CaseReading, log
from hub.cases.records import kind_label, local_today
from hub.db import new_id, utcnow
from hub.errors import Forbidden, ValidationError
from hub.fields import (
    CASE_BIRTH_DATE,
    CASE_BSN,
    CASE_CLIENT_NAME,
    CASE_CORRECTION_NEW,
    CASE_CORRECTION_OLD,
    CASE_CORRECTION_REASON,
    EncryptedField,
)

IDENTITY_FIELDS: tuple[str, ...] = ("client_name", "bsn", "birth_date")
BEWIND_FIELDS: tuple[str, ...] = ("bewind_kind", "rechtbank")
DATE_FIELDS: tuple[str, ...] = ("birth_date",)
FIELD_LABELS: dict[str, str] = {
    "client_name": "naam",
    "bsn": "BSN",
    "birth_date": "geboortedatum",
    "bewind_kind": "soort bewind",
    "beschikking_date": "datum benoemingsbeschikking",
    "bewind_start_date": "ingangsdatum bewind",
    "rechtbank": "rechtbank",
    "bewindvoerder_id": "bewindvoerder",
}
REASON_MAX = 1000
FORM_FIELD = "correctie"  # the form as a whole (nothing changed; the case has ended)
ENDED = "Dit dossier is beëindigd: de gegevens kunnen niet meer worden gecorrigeerd."
NOTHING_CHANGED = "U heeft niets gewijzigd. Pas een gegeven aan, of ga terug naar het dossier."

# A changed value as the service takes it: text, or a date (None: not filled in or not readable).
Value = str | date | None


def correctable_fields(user: User, case: Case) -> tuple[str, ...]:
    """The fields ``user`` may correct on ``case`` (none: no right, or the case has ended)."""
    if not may(user, Action.CORRECT_CASE) or case.ended:
        return ()
    if user.organisation_id == case.kantoor_id:
        return IDENTITY_FIELDS + BEWIND_FIELDS
    if user.organisation_id == case.gemeente_id:
        return IDENTITY_FIELDS
    return ()


@dataclass(frozen=True)
class Change:
    """One field of an entry in the history, its values as shown (text, or a date the page formats)."""

    field: str
    old: str | date
    new: str | date

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.field, self.field)


@dataclass(frozen=True)
class HistoryEntry:
    """The fields one person changed at one moment."""

    at: datetime
    by_id: str
    by: str
    organisation: str
    changes: tuple[Change, ...]
    reason: str

    @property
    def fields_label(self) -> str:
        return ", ".join(c.label for c in self.changes)


def _stored(field: str, value: str | date) -> str:
    return value.isoformat() if isinstance(value, date) else value


def _shown(field: str, stored: str) -> str | date:
    if field in DATE_FIELDS:
        try:
            return date.fromisoformat(stored)
        except ValueError:
            return stored
    if field == "bewind_kind":
        return kind_label(stored)
    return stored if stored or field != "bewindvoerder_id" else "niemand"


class CaseCorrections(CaseReading):
    # -- the current values ----------------------------------------------------------------------------------

    def current_values(self, case: Case) -> dict[str, str | date]:
        """Every correctable field's value now (the identity decrypted)."""
        identity = self.identity(case)
        return {
            "client_name": identity.name,
            "bsn": identity.bsn,
            "birth_date": identity.birth_date,
            "bewind_kind": case.bewind_kind,
            "rechtbank": case.rechtbank,
        }

    # -- correcting ------------------------------------------------------------------------------------------

    async def correct_case(
        self,
        user: User,
        case_id: str,
        changes: Mapping[str, Value],
        *,
        reason: str = "",
        confirm_duplicate: bool = False,
        today: date | None = None,
    ) -> list[CaseCorrection]:
        """Correct the fields in ``changes`` (only those that differ are written); the new rows, one per field.

        NotFound for a case of another organisation; Forbidden without the right or for a field the user's side
        may not correct; ValidationError (DuplicateCase for a BSN of another running case) for bad input, the
        case having ended, or nothing changed; nothing is written then.
        """
        today = today or local_today()
        case = await self.get_case(user, case_id)
        require(user, Action.CORRECT_CASE, case)
        if case.ended:
            raise ValidationError({FORM_FIELD: ENDED})
        allowed = correctable_fields(user, case)
        if set(changes) - set(allowed):
            raise Forbidden(Action.CORRECT_CASE.value)
        current = self.current_values(case)
        errors: dict[str, str] = {}
        new: dict[str, str | date] = {}
        for field, raw in changes.items():
            value, problem = self._check(field, raw, today)
            if problem:
                errors[field] = problem
            elif value != current[field]:
                new[field] = value
        if "birth_date" in new and "birth_date" not in errors:
            birth = new["birth_date"]
            assert isinstance(birth, date)
            if problem := check_birth_date(birth, today, case.beschikking_date):
                errors["birth_date"] = problem
        text = reason.strip()
        if len(text) > REASON_MAX:
            errors["reason"] = f"De toelichting is te lang: gebruik hoogstens {REASON_MAX} tekens."
        elif any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for ch in text):
            errors["reason"] = "De toelichting bevat een teken dat niet in een tekst hoort."
        if not new and not errors:
            errors[FORM_FIELD] = NOTHING_CHANGED
        duplicate: Duplicate | None = None
        bsn_index = ""
        if "bsn" in new:
            bsn_index = blind_index(self.keyring.index_key, str(new["bsn"]))
            duplicate = await find_duplicate(
                self.db, user, convenant_id=case.convenant_id, gemeente_id=case.gemeente_id, bsn_index=bsn_index,
                confirmed=confirm_duplicate, exclude_case_id=case.id,
            )  # fmt: skip
            if duplicate is not None:
                errors[duplicate.field] = duplicate.message
        if errors:
            order = (*allowed, "confirm_duplicate", "reason", FORM_FIELD)
            raise refusal({k: errors[k] for k in order if k in errors}, duplicate)

        now = utcnow()
        written: list[CaseCorrection] = []
        where = {"convenant_id": case.convenant_id, "gemeente_id": case.gemeente_id, "exclude_case_id": case.id}
        try:
            # In a savepoint: a BSN that another case on the convenant took since our check leaves nothing behind.
            async with self.db.begin_nested():
                for field in allowed:  # in the form's order
                    if field in new:
                        old_text, new_text = _stored(field, current[field]), _stored(field, new[field])
                        written.append(await self.record_correction(user, case, field, old_text, new_text, text, now))
                        self._apply(case, field, new[field])
                if bsn_index:
                    case.bsn_index = bsn_index
                if "bewind_kind" in new:  # a toestandenbewind has no schuldhulp steps: the term sweep recomputes
                    case.terms_stale = True
                case.updated_at = now
                self.db.add(case)
                await self.db.flush()
        except IntegrityError:
            # (The savepoint's rollback expired ``case``: its keys were kept in ``where``.)
            raced = await find_duplicate(self.db, user, bsn_index=bsn_index, confirmed=True, **where)
            if raced is None:
                raise
            raise refusal({"bsn": raced.message}, raced) from None
        if "client_name" in new:
            await index_case_name(self.db, self.keyring, case, str(new["client_name"]))
        for correction in written:
            await audit.record(
                self.db, user_id=user.id, organisation_id=user.organisation_id, action="case.correct",
                object_type="case_correction", object_id=correction.id,
            )  # fmt: skip
        return written

    @staticmethod
    def _check(field: str, raw: Value, today: date) -> tuple[str | date, str | None]:
        """One field's new value and its problem, by the rules a new case follows (hub.cases.checks)."""
        if field == "birth_date":  # against the beschikking: afterwards, with the new value known
            day = raw if isinstance(raw, date) else None
            return (day if day is not None else ""), check_birth_date(day, today, None)
        text = raw if isinstance(raw, str) else ""
        if field == "client_name":
            return check_client_name(text)
        if field == "bsn":
            return check_bsn(text)
        if field == "bewind_kind":
            kind, problem = check_bewind_kind(text)
            return (kind.value if kind else text), problem
        return text, check_rechtbank(text)

    def _apply(self, case: Case, field: str, value: str | date) -> None:
        sealed = {"client_name": CASE_CLIENT_NAME, "bsn": CASE_BSN, "birth_date": CASE_BIRTH_DATE}
        if field in sealed:
            plain = value.isoformat() if isinstance(value, date) else value
            setattr(case, field, encrypt_field(self.keyring, plain, context=sealed[field].context(case.id)))
        else:
            setattr(case, field, value)

    async def record_correction(
        self, user: User, case: Case, field: str, old: str, new: str, reason: str, now: datetime
    ) -> CaseCorrection:
        """One row of the history; the values as text (a date as yyyy-mm-dd, a person by name)."""
        correction_id = new_id()

        def seal(target: EncryptedField, value: str) -> bytes:
            return encrypt_field(self.keyring, value, context=target.context(correction_id))

        correction = CaseCorrection(
            id=correction_id,
            case_id=case.id,
            field_name=field,
            old_value=seal(CASE_CORRECTION_OLD, old),
            new_value=seal(CASE_CORRECTION_NEW, new),
            reason=seal(CASE_CORRECTION_REASON, reason) if reason else None,
            corrected_by=user.id,
            organisation_id=user.organisation_id,
            corrected_at=now,
        )
        self.db.add(correction)
        return correction

    # -- the history -----------------------------------------------------------------------------------------

    async def history(self, user: User, case: Case) -> list[HistoryEntry]:
        """The case's corrections, newest first, grouped per person and moment (for its parties only)."""
        require(user, Action.VIEW_CASES, case)
        rows = await self.db.execute(
            select(CaseCorrection, col(User.name), col(Organisation.name))
            .join(User, col(User.id) == col(CaseCorrection.corrected_by))
            .join(Organisation, col(Organisation.id) == col(CaseCorrection.organisation_id))
            .where(col(CaseCorrection.case_id) == case.id)
            .order_by(col(CaseCorrection.corrected_at).desc(), col(CaseCorrection.id))
        )
        entries: list[HistoryEntry] = []
        for correction, by, organisation in rows.all():
            change = Change(
                correction.field_name,
                _shown(correction.field_name, self._open(CASE_CORRECTION_OLD, correction, correction.old_value)),
                _shown(correction.field_name, self._open(CASE_CORRECTION_NEW, correction, correction.new_value)),
            )
            reason = self._open(CASE_CORRECTION_REASON, correction, correction.reason) if correction.reason else ""
            last = entries[-1] if entries else None
            if last is not None and (last.at, last.by_id) == (correction.corrected_at, correction.corrected_by):
                entries[-1] = replace(last, changes=(*last.changes, change), reason=last.reason or reason)
            else:
                entries.append(
                    HistoryEntry(correction.corrected_at, correction.corrected_by, by, organisation, (change,), reason)
                )
        return [replace(e, changes=self._in_form_order(e.changes)) for e in entries]

    @staticmethod
    def _in_form_order(changes: tuple[Change, ...]) -> tuple[Change, ...]:
        order = list(FIELD_LABELS)
        return tuple(sorted(changes, key=lambda c: order.index(c.field) if c.field in order else len(order)))

    def _open(self, target: EncryptedField, correction: CaseCorrection, sealed: bytes | None) -> str:
        assert sealed is not None
        try:
            return decrypt_text(self.keyring, sealed, context=target.context(correction.id))
        except DecryptionError:
            log.warning("correction %s does not decrypt", correction.id)
            return "(niet leesbaar)"
