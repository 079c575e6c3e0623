"""Opening a case: the kantoor's active convenants, its bewindvoerders, the checks on every field, and a unique
reference.

A reference is the year and a random six-digit number (2026-483917), not a sequence: a sequence would tell every
party how many cases the whole hub opened this year, and in which order. The number is drawn from 100000-999999, so
no reference reads like a small count; the unique constraint on ``case.reference`` decides, and a number already
taken (by an earlier case, or a concurrent opening that committed first) is drawn again. References made before
(2026-000123, numbered in sequence) keep their form and stay valid: the rule for a typed dossiernummer is the same.
Room: 900 000 numbers a year; at 90 000 cases in a year one draw in ten is taken, and ten draws all taken is a
chance of 10^-10."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from crypto import blind_index, encrypt_field
from hub.accounts.authz import Action, may, require
from hub.accounts.models import CONVENANT_ACTIVE, Convenant, Organisation, User, people
from hub.accounts.roles import Role
from hub.cases.checks import (
    PENDING_DATE_MESSAGES,
    RECHTBANKEN,
    check_bewind_date,
    check_bewind_kind,
    check_birth_date,
    check_bsn,
    check_client_name,
    check_rechtbank,
)
from hub.cases.duplicates import CONFIRM_FIELD, REFUSED, Duplicate, DuplicateCase, find_duplicate, refusal
from hub.cases.milestones import MilestoneKind
from hub.cases.models import Case, CaseMilestone, CaseStatus
from hub.cases.name_index import index_case_name
from hub.cases.reading import CaseReading
from hub.cases.records import local_today
from hub.db import new_id
from hub.errors import Forbidden, NotFound
from hub.fields import CASE_BIRTH_DATE, CASE_BSN, CASE_CLIENT_NAME, EncryptedField

__all__ = ["NEW_CASE_FIELDS", "RECHTBANKEN", "CaseOpening"]

REFERENCE_ATTEMPTS = 10
REFERENCE_LOWEST = 100_000  # six digits, never a leading zero
REFERENCE_SPAN = 900_000

NEW_CASE_FIELDS = (
    "convenant_id",
    "client_name",
    "bsn",
    CONFIRM_FIELD,
    "birth_date",
    "beschikking_date",
    "bewind_start_date",
    "bewind_kind",
    "rechtbank",
    "bewindvoerder_id",
)


def draw_reference(year: int) -> str:
    """A new case reference: the year and a random six-digit number, e.g. 2026-483917."""
    return f"{year}-{REFERENCE_LOWEST + secrets.randbelow(REFERENCE_SPAN)}"


class CaseOpening(CaseReading):
    # -- opening a case ------------------------------------------------------------------------------------------

    async def active_convenants(self, user: User, today: date | None = None) -> list[tuple[Convenant, Organisation]]:
        """The active convenants of the user's kantoor, each with its gemeente, by gemeente name."""
        today = today or local_today()
        rows = await self.db.execute(
            select(Convenant, Organisation)
            .join(Organisation, col(Organisation.id) == col(Convenant.gemeente_id))
            .where(col(Convenant.kantoor_id) == user.organisation_id, col(Convenant.status) == CONVENANT_ACTIVE)
            .order_by(col(Organisation.name), col(Convenant.start_date))
        )
        return [(c, g) for c, g in rows.all() if c.is_active_on(today)]

    async def bewindvoerders(self, kantoor_id: str) -> list[User]:
        """The kantoor's users who can be a case's bewindvoerder (role bewindvoerder, not blocked), by name."""
        rows = await self.db.execute(
            select(User)
            .where(col(User.organisation_id) == kantoor_id, col(User.disabled).is_(False), people())
            .order_by(col(User.name))
        )
        return [u for u in rows.scalars() if u.has_role(Role.BEWINDVOERDER)]

    async def open_case(
        self,
        user: User,
        *,
        convenant_id: str,
        client_name: str,
        bsn: str,
        birth_date: date | None,
        bewind_kind: str,
        beschikking_date: date | None,
        bewind_start_date: date | None,
        rechtbank: str,
        bewindvoerder_id: str | None = None,
        confirm_duplicate: bool = False,
        today: date | None = None,
    ) -> Case:
        """A bewindvoerder (or kantoorbeheerder) opens a case under an active convenant of their kantoor.

        Raises NotFound for a convenant the user's kantoor is not party to, Forbidden without the role, and
        ValidationError (Dutch messages per form field) for bad input; nothing is written then. A date that is
        None counts as not filled in (the web layer passes None for a date it could not read). Another running case
        for the BSN (hub.cases.duplicates) raises DuplicateCase: on the same convenant always, on another convenant
        of the same gemeente and the same kantoor unless ``confirm_duplicate``.
        """
        today = today or local_today()
        if not may(user, Action.OPEN_CASE):
            raise Forbidden(Action.OPEN_CASE.value)
        errors: dict[str, str] = {}

        convenant: Convenant | None = None
        if not convenant_id:
            errors["convenant_id"] = "Kies de gemeente van de cliënt."
        else:
            convenant = await self.db.get(Convenant, convenant_id)
            if convenant is None:
                raise NotFound("Convenant")
            require(user, Action.OPEN_CASE, convenant)
            if convenant.kantoor_id != user.organisation_id:
                raise Forbidden(Action.OPEN_CASE.value)
            if not convenant.is_active_on(today):
                errors["convenant_id"] = (
                    "Uw kantoor heeft met deze gemeente geen actief convenant. Kies een gemeente met een actief "
                    "convenant."
                )

        name, problem = check_client_name(client_name)
        if problem:
            errors["client_name"] = problem
        bsn_digits, problem = check_bsn(bsn)
        if problem:
            errors["bsn"] = problem
        if problem := check_birth_date(birth_date, today, beschikking_date):
            errors["birth_date"] = problem
        # Both dates empty: the court has not decided yet (adviesrecht, §2.1); the case is aangemeld and gets its
        # beschikking later, as a milestone. One without the other is a mistake.
        court_pending = beschikking_date is None and bewind_start_date is None
        for field, day in (("beschikking_date", beschikking_date), ("bewind_start_date", bewind_start_date)):
            if day is None:
                if not court_pending:
                    errors[field] = PENDING_DATE_MESSAGES[field]
            elif problem := check_bewind_date(field, day, today):
                errors[field] = problem
        kind, problem = check_bewind_kind(bewind_kind)
        if problem:
            errors["bewind_kind"] = problem
        if problem := check_rechtbank(rechtbank):
            errors["rechtbank"] = problem

        if bewindvoerder_id:
            person = await self.db.get(User, bewindvoerder_id)
            if (
                person is None
                or person.organisation_id != user.organisation_id
                or person.disabled
                or not person.is_person  # an organisation token's integration actor is nobody's bewindvoerder
                or not person.has_role(Role.BEWINDVOERDER)
            ):
                errors["bewindvoerder_id"] = "Kies een bewindvoerder van uw kantoor."

        duplicate: Duplicate | None = None
        bsn_index = blind_index(self.keyring.index_key, bsn_digits) if "bsn" not in errors else ""
        if convenant is not None and bsn_index and "convenant_id" not in errors:
            duplicate = await find_duplicate(
                self.db, user, convenant_id=convenant.id, gemeente_id=convenant.gemeente_id, bsn_index=bsn_index,
                confirmed=confirm_duplicate,
            )  # fmt: skip
            if duplicate is not None:
                errors[duplicate.field] = duplicate.message
        if errors:
            raise refusal({k: errors[k] for k in NEW_CASE_FIELDS if k in errors}, duplicate)
        assert convenant is not None and birth_date is not None and kind is not None  # for the type checker

        case_id = new_id()

        def seal(field: EncryptedField, value: str) -> bytes:
            return encrypt_field(self.keyring, value, context=field.context(case_id))

        values: dict[str, Any] = {
            "convenant_id": convenant.id,
            "gemeente_id": convenant.gemeente_id,
            "kantoor_id": convenant.kantoor_id,
            "client_name": seal(CASE_CLIENT_NAME, name),
            "bsn": seal(CASE_BSN, bsn_digits),
            "bsn_index": bsn_index,
            "birth_date": seal(CASE_BIRTH_DATE, birth_date.isoformat()),
            "bewind_kind": kind.value,
            "beschikking_date": beschikking_date,
            "bewind_start_date": bewind_start_date,
            "rechtbank": rechtbank,
            "status": (CaseStatus.AANGEMELD if court_pending else CaseStatus.ACTIEF).value,
            "bewindvoerder_id": bewindvoerder_id or None,
            "created_by": user.id,
            "terms_stale": not court_pending,  # the term sweep computes the running terms
        }
        # The audit record comes first: it locks the chain head (PostgreSQL) and opens SQLite's write transaction,
        # so the savepoints below nest inside one transaction, and a concurrent opening has committed (or not) before
        # this one draws its reference.
        await self._audit(user, "case.open", case_id)
        try:
            case = await self._insert_with_reference(case_id, values, today.year)
        except IntegrityError:
            # Another opening for this BSN on this convenant was committed after our check: the unique index says so.
            raced = await find_duplicate(
                self.db, user, convenant_id=convenant.id, gemeente_id=convenant.gemeente_id, bsn_index=bsn_index,
                confirmed=True,
            )  # fmt: skip
            if raced is None:
                raise
            raise DuplicateCase({"bsn": REFUSED.format(reference=raced.case.reference)}, existing=raced.case,
                                confirmable=False) from None  # fmt: skip
        if beschikking_date is not None:
            # The beschikking known at opening is the case's first milestone: the status and the terms follow from
            # milestones alone (hub.cases.milestones).
            self.db.add(
                CaseMilestone(
                    case_id=case.id,
                    kind=MilestoneKind.BESCHIKKING.value,
                    milestone_date=beschikking_date,
                    detail_date=bewind_start_date,
                    recorded_by=user.id,
                    recorded_by_org_id=user.organisation_id,
                )
            )
            await self.db.flush()
        await index_case_name(self.db, self.keyring, case, name)
        return case

    async def _insert_with_reference(self, case_id: str, values: dict[str, Any], year: int) -> Case:
        """Insert under a newly drawn reference; one that is taken already (the unique constraint says so, in a
        savepoint) is drawn again."""
        for _ in range(REFERENCE_ATTEMPTS):
            reference = draw_reference(year)
            case = Case(id=case_id, reference=reference, **values)
            try:
                async with self.db.begin_nested():
                    self.db.add(case)
                    await self.db.flush()
            except IntegrityError:
                taken = (await self.db.execute(select(col(Case.id)).where(col(Case.reference) == reference))).first()
                if taken is None:
                    raise  # not the reference: a real constraint violation
                continue
            return case
        raise RuntimeError("no free case reference after ten draws")
