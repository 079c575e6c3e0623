"""The contractmanager's steekproeven: draw one for a period, read it back with its verification, and record the
finding on each drawn case. A draw of another gemeente does not exist for the caller (404)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import DecryptionError, Keyring, decrypt_text, encrypt_field
from hub.accounts.authz import Action, require
from hub.accounts.models import Organisation, User
from hub.accounts.roles import OrgKind
from hub.audit import services as audit
from hub.cases.models import Case
from hub.db import utcnow
from hub.errors import NotFound, ValidationError
from hub.fields import STEEKPROEF_CASE_NOTE
from hub.monitoring.compliance import Period
from hub.monitoring.steekproef import ALGORITHM, BASIS, Stratum, draw, population_from_json, population_json, verify
from hub.monitoring.steekproef_models import Steekproef, SteekproefCase
from hub.monitoring.steekproef_population import population

OUTCOMES = {"in_orde": "In orde", "niet_in_orde": "Niet in orde"}
NOTE_MAX = 2000


@dataclass(frozen=True)
class DrawnCase:
    row: SteekproefCase
    reference: str
    kantoor: str
    note: str


@dataclass(frozen=True)
class DrawView:
    draw: Steekproef
    population: list[tuple[str, str]]
    result: list[str]
    verified: bool
    cases: list[DrawnCase]

    def count(self, stratum: str) -> tuple[int, int]:
        """(drawn, population) of one stratum."""
        members = {case_id for case_id, s in self.population if s == stratum}
        return len(members & set(self.result)), len(members)


def seed_of(row: Steekproef) -> bytes:
    return bytes.fromhex(row.seed)


def rates_of(row: Steekproef) -> dict[str, int]:
    return {Stratum.DEELNEMER.value: row.rate_deelnemer_bp, Stratum.BUITEN_CONVENANT.value: row.rate_buiten_bp}


def check_draw(period: Period, rate_deelnemer_bp: int, rate_buiten_bp: int) -> None:
    """A draw's inputs: a period that does not end before it starts, rates from 0 to 100 %, and participants at a
    rate not above the rate outside the convenant (§2.2: they are checked less often). ValidationError otherwise."""
    errors: dict[str, str] = {}
    if period.end < period.start:
        errors["tot"] = "De einddatum ligt voor de begindatum."
    for name, rate in (("rate_deelnemer", rate_deelnemer_bp), ("rate_buiten", rate_buiten_bp)):
        if not 0 <= rate <= BASIS:
            errors[name] = "Vul een percentage tussen 0 en 100 in."
    if not errors and rate_deelnemer_bp > rate_buiten_bp:
        too_high = "Het percentage voor deelnemers mag niet hoger zijn dan voor bewindvoerders buiten het convenant"
        errors["rate_deelnemer"] = too_high + "."
    if errors:
        raise ValidationError(errors)


class SteekproefService:
    def __init__(self, db: AsyncSession, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring

    async def _gemeente(self, user: User) -> Organisation:
        require(user, Action.DRAW_STEEKPROEF)
        own = await self.db.get(Organisation, user.organisation_id)
        if own is None or own.org_kind != OrgKind.GEMEENTE:
            raise NotFound("Organisation")
        return own

    async def draw(
        self, user: User, period: Period, rate_deelnemer_bp: int, rate_buiten_bp: int, now: datetime | None = None
    ) -> Steekproef:
        """Draw a new steekproef with a fresh random seed and store it with its inputs and result."""
        own = await self._gemeente(user)
        check_draw(period, rate_deelnemer_bp, rate_buiten_bp)
        members = await population(self.db, own.id, period)
        seed = secrets.token_bytes(32)
        row = Steekproef(
            gemeente_id=own.id,
            period_start=period.start,
            period_end=period.end,
            algorithm=ALGORITHM,
            seed=seed.hex(),
            rate_deelnemer_bp=rate_deelnemer_bp,
            rate_buiten_bp=rate_buiten_bp,
            population=population_json(members),
            result="[]",
            drawn_by=user.id,
            drawn_at=now or utcnow(),
        )
        result = draw(seed, members, rates_of(row))
        row.result = json.dumps(result)
        self.db.add(row)
        await self.db.flush()
        stratum_of = dict(members)
        for case_id in result:
            self.db.add(SteekproefCase(steekproef_id=row.id, case_id=case_id, stratum=stratum_of[case_id]))
        await audit.record(self.db, user_id=user.id, organisation_id=own.id, action="steekproef.drawn",
                           object_type="steekproef", object_id=row.id)  # fmt: skip
        await self.db.flush()
        return row

    async def draws(self, user: User) -> list[Steekproef]:
        own = await self._gemeente(user)
        rows = await self.db.execute(
            select(Steekproef).where(col(Steekproef.gemeente_id) == own.id).order_by(col(Steekproef.drawn_at).desc())
        )
        return list(rows.scalars())

    async def _own_draw(self, user: User, steekproef_id: str) -> Steekproef:
        own = await self._gemeente(user)
        row = await self.db.get(Steekproef, steekproef_id)
        if row is None or row.gemeente_id != own.id:
            raise NotFound("Steekproef")
        return row

    async def view(self, user: User, steekproef_id: str) -> DrawView:
        """The draw with its inputs, whether they give its result again, and its cases with their findings."""
        row = await self._own_draw(user, steekproef_id)
        members = population_from_json(row.population)
        result = [str(case_id) for case_id in json.loads(row.result)]
        found = await self.db.execute(
            select(SteekproefCase, col(Case.reference), col(Organisation.name))
            .join(Case, col(Case.id) == col(SteekproefCase.case_id))
            .join(Organisation, col(Organisation.id) == col(Case.kantoor_id))
            .where(col(SteekproefCase.steekproef_id) == row.id)
            .order_by(col(Case.reference))
        )
        cases = [DrawnCase(case, reference, kantoor, self._note(case)) for case, reference, kantoor in found.all()]
        return DrawView(row, members, result, verify(seed_of(row), members, rates_of(row), result), cases)

    def _note(self, case: SteekproefCase) -> str:
        if case.note is None:
            return ""
        try:
            return decrypt_text(self.keyring, case.note, context=STEEKPROEF_CASE_NOTE.context(case.id))
        except DecryptionError:
            return "(niet leesbaar)"

    async def assess(
        self, user: User, steekproef_id: str, case_id: str, outcome: str, note: str, now: datetime | None = None
    ) -> SteekproefCase:
        """Record (or change) the finding on a drawn case; a note is required when it is not in order."""
        row = await self._own_draw(user, steekproef_id)
        found = await self.db.execute(
            select(SteekproefCase).where(
                col(SteekproefCase.steekproef_id) == row.id, col(SteekproefCase.case_id) == case_id
            )
        )
        case = found.scalars().first()
        if case is None:
            raise NotFound("SteekproefCase")
        text = note.strip()
        errors: dict[str, str] = {}
        if outcome not in OUTCOMES:
            errors["outcome"] = "Kies in orde of niet in orde."
        elif outcome == "niet_in_orde" and not text:
            errors["note"] = "Schrijf op wat niet in orde is."
        if len(text) > NOTE_MAX:
            errors["note"] = f"De toelichting is te lang (ten hoogste {NOTE_MAX} tekens)."
        if errors:
            raise ValidationError(errors)
        case.outcome = outcome
        case.note = encrypt_field(self.keyring, text, context=STEEKPROEF_CASE_NOTE.context(case.id)) if text else None
        case.assessed_by, case.assessed_at = user.id, now or utcnow()
        self.db.add(case)
        await audit.record(self.db, user_id=user.id, organisation_id=row.gemeente_id, action="steekproef.assessed",
                           object_type="steekproef_case", object_id=case.id)  # fmt: skip
        await self.db.flush()
        return case
