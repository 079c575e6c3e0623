"""Cases (dossiers): opening one, finding and listing them, the client's identity — always within the caller's reach.

A case belongs to one convenant: one gemeente, one kantoor. Only those two organisations see it; for everybody else
it does not exist (NotFound). The functioneel beheerder sees no cases at all.

The client's name, BSN and date of birth are field-encrypted, each bound to (``dossier``, column, case id), so a
value copied to another row or column does not decrypt. The BSN is findable only through a keyed blind index (HMAC
with the keyring's index key) of the normalised number; the plain number is never stored or logged.

Every read of a case's content is audited: ``case.view`` (the case page), ``case.list`` (a list of cases with client
names), ``case.search_bsn`` (a BSN search; the number itself is not recorded), ``case.open`` and ``case.assign``.

No Starlette here: the web layer passes plain values.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import DecryptionError, Keyring, blind_index, decrypt_text, encrypt_field, normalise_bsn
from crypto import is_valid_bsn as elfproef_ok
from hub.accounts.models import CONVENANT_ACTIVE, Convenant, Organisation, User
from hub.accounts.roles import Role
from hub.audit import services as audit
from hub.authz import Action, may, require
from hub.cases.models import BewindKind, Case, CaseStatus
from hub.db import new_id, utcnow
from hub.errors import Forbidden, NotFound, ValidationError
from hub.fields import CASE_BIRTH_DATE, CASE_BSN, CASE_CLIENT_NAME, EncryptedField
from hub.terms import AMSTERDAM

log = logging.getLogger("hub.cases")

TABLE = "dossier"
OBJECT_TYPE = "dossier"

# The eleven rechtbanken (Wet herziening gerechtelijke kaart, since 2013); the kantonrechter of one of them
# appoints and supervises the bewindvoerder.
RECHTBANKEN: tuple[str, ...] = (
    "Rechtbank Amsterdam",
    "Rechtbank Den Haag",
    "Rechtbank Gelderland",
    "Rechtbank Limburg",
    "Rechtbank Midden-Nederland",
    "Rechtbank Noord-Holland",
    "Rechtbank Noord-Nederland",
    "Rechtbank Oost-Brabant",
    "Rechtbank Overijssel",
    "Rechtbank Rotterdam",
    "Rechtbank Zeeland-West-Brabant",
)
SORTS: tuple[str, ...] = ("nieuwste", "oudste", "referentie", "naam")
NAME_MAX = 200
PAGE_MAX = 200
# Names are ciphertext, so sorting by name happens in memory after decryption, on at most this many of the
# filtered cases (the newest). Organisations with more cases narrow the list with a filter first.
NAME_SORT_LIMIT = 2000
REFERENCE_ATTEMPTS = 5
REFERENCE_LENGTH = len("2026-000123")
OLDEST_AGE_YEARS = 120
# Beschermingsbewind (titel 1.19 BW) exists since 1 januari 1982.
EARLIEST_BEWIND = date(1982, 1, 1)
# Gemeente roles that can be a case's contact person.
GEMEENTE_CASE_ROLES = (Role.KLANTMANAGER, Role.CONSULENT, Role.CONTRACTMANAGER)

NEW_CASE_FIELDS = (
    "convenant_id",
    "client_name",
    "bsn",
    "birth_date",
    "beschikking_date",
    "bewind_start_date",
    "bewind_kind",
    "rechtbank",
    "bewindvoerder_id",
)


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


def name_sort_key(name: str | None) -> str:
    """Case- and accent-insensitive (Ö sorts with O)."""
    decomposed = unicodedata.normalize("NFKD", name or "\uffff")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def local_today() -> date:
    return datetime.now(AMSTERDAM).date()


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


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
    beschikking_date: date
    bewind_start_date: date
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


class CaseService:
    def __init__(self, db: AsyncSession, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring

    # -- audit ---------------------------------------------------------------------------------------------------

    async def _audit(self, user: User, action: str, object_id: str) -> None:
        await audit.record(
            self.db,
            user_id=user.id,
            organisation_id=user.organisation_id,
            action=action,
            object_type=OBJECT_TYPE,
            object_id=object_id,
        )

    # -- opening a case ------------------------------------------------------------------------------------------

    async def active_convenants(self, user: User, today: date | None = None) -> list[tuple[Convenant, Organisation]]:
        """The active convenants of the user's kantoor, each with its gemeente, by gemeente name."""
        today = today or local_today()
        rows = await self.db.execute(
            select(Convenant, Organisation)
            .join(Organisation, Organisation.id == Convenant.gemeente_id)
            .where(Convenant.kantoor_id == user.organisation_id, Convenant.status == CONVENANT_ACTIVE)
            .order_by(Organisation.name, Convenant.start_date)
        )
        return [(c, g) for c, g in rows.all() if c.is_active_on(today)]

    async def bewindvoerders(self, kantoor_id: str) -> list[User]:
        """The kantoor's users who can be a case's bewindvoerder (role bewindvoerder, not blocked), by name."""
        rows = await self.db.execute(
            select(User).where(User.organisation_id == kantoor_id, User.disabled.is_(False)).order_by(User.name)
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
        today: date | None = None,
    ) -> Case:
        """A bewindvoerder (or kantoorbeheerder) opens a case under an active convenant of their kantoor.

        Raises NotFound for a convenant the user's kantoor is not party to, Forbidden without the role, and
        ValidationError (Dutch messages per form field) for bad input; nothing is written then. A date that is
        None counts as not filled in (the web layer passes None for a date it could not read).
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

        name = " ".join(client_name.split())
        if not name:
            errors["client_name"] = "Vul de naam van de cliënt in."
        elif len(name) > NAME_MAX:
            errors["client_name"] = f"De naam is te lang: gebruik hoogstens {NAME_MAX} tekens."
        elif any(unicodedata.category(ch) == "Cc" for ch in name):
            errors["client_name"] = "De naam bevat een teken dat niet in een naam hoort."

        bsn_digits = ""
        if not bsn.strip():
            errors["bsn"] = "Vul het burgerservicenummer (BSN) van de cliënt in."
        else:
            try:
                bsn_digits = normalise_bsn(bsn.strip())
            except (TypeError, ValueError):
                errors["bsn"] = "Een BSN bestaat uit 9 cijfers. Controleer het nummer."
            else:
                if not elfproef_ok(bsn_digits):
                    errors["bsn"] = (
                        "Dit is geen geldig BSN: het nummer voldoet niet aan de elfproef. Controleer het nummer."
                    )

        if birth_date is None:
            errors["birth_date"] = "Vul de geboortedatum van de cliënt in."
        elif birth_date >= today:
            errors["birth_date"] = "De geboortedatum moet in het verleden liggen."
        elif birth_date < _years_before(today, OLDEST_AGE_YEARS):
            errors["birth_date"] = f"Controleer de geboortedatum: de cliënt zou ouder zijn dan {OLDEST_AGE_YEARS} jaar."
        elif beschikking_date is not None and birth_date >= beschikking_date:
            errors["birth_date"] = (
                "De geboortedatum ligt na de datum van de benoemingsbeschikking. Controleer beide datums."
            )

        for field, value, missing, future in (
            ("beschikking_date", beschikking_date, "Vul de datum van de benoemingsbeschikking in.",
             "De datum van de benoemingsbeschikking kan niet in de toekomst liggen."),
            ("bewind_start_date", bewind_start_date, "Vul de ingangsdatum van het bewind in.",
             "De ingangsdatum van het bewind kan niet in de toekomst liggen."),
        ):  # fmt: skip
            if value is None:
                errors[field] = missing
            elif value > today:
                errors[field] = future
            elif value < EARLIEST_BEWIND:
                errors[field] = "Controleer de datum: beschermingsbewind bestaat sinds 1 januari 1982."

        try:
            kind = BewindKind(bewind_kind)
        except ValueError:
            errors["bewind_kind"] = "Kies de soort bewind."

        if rechtbank not in RECHTBANKEN:
            errors["rechtbank"] = "Kies de rechtbank die de benoemingsbeschikking heeft gegeven."

        if bewindvoerder_id:
            person = await self.db.get(User, bewindvoerder_id)
            if (
                person is None
                or person.organisation_id != user.organisation_id
                or person.disabled
                or not person.has_role(Role.BEWINDVOERDER)
            ):
                errors["bewindvoerder_id"] = "Kies een bewindvoerder van uw kantoor."

        if errors:
            raise ValidationError({k: errors[k] for k in NEW_CASE_FIELDS if k in errors})
        assert convenant is not None and birth_date is not None  # for the type checker
        assert beschikking_date is not None and bewind_start_date is not None

        case_id = new_id()

        def seal(field: EncryptedField, value: str) -> bytes:
            return encrypt_field(self.keyring, value, context=field.context(case_id))

        values: dict[str, Any] = {
            "convenant_id": convenant.id,
            "gemeente_id": convenant.gemeente_id,
            "kantoor_id": convenant.kantoor_id,
            "client_name": seal(CASE_CLIENT_NAME, name),
            "bsn": seal(CASE_BSN, bsn_digits),
            "bsn_index": blind_index(self.keyring.index_key, bsn_digits),
            "birth_date": seal(CASE_BIRTH_DATE, birth_date.isoformat()),
            "bewind_kind": kind.value,
            "beschikking_date": beschikking_date,
            "bewind_start_date": bewind_start_date,
            "rechtbank": rechtbank,
            "status": CaseStatus.ACTIEF.value,
            "bewindvoerder_id": bewindvoerder_id or None,
            "created_by": user.id,
        }
        # The audit record comes first: it locks the chain head (PostgreSQL) and opens SQLite's write transaction,
        # so the savepoints below nest inside one transaction and reference numbers are handed out one at a time.
        await self._audit(user, "case.open", case_id)
        return await self._insert_with_reference(case_id, values, today.year)

    async def _next_reference(self, year: int) -> str:
        prefix = f"{year}-"
        top = (
            await self.db.execute(
                select(func.max(Case.reference)).where(
                    Case.reference.startswith(prefix), func.length(Case.reference) == REFERENCE_LENGTH
                )
            )
        ).scalar_one_or_none()
        number = int(top[len(prefix) :]) + 1 if top and top[len(prefix) :].isdigit() else 1
        return f"{prefix}{number:06d}"

    async def _insert_with_reference(self, case_id: str, values: dict[str, Any], year: int) -> Case:
        """Insert under the next free reference; a concurrent insert taking the same one makes us try the next."""
        for _ in range(REFERENCE_ATTEMPTS):
            reference = await self._next_reference(year)
            case = Case(id=case_id, reference=reference, **values)
            try:
                async with self.db.begin_nested():
                    self.db.add(case)
                    await self.db.flush()
            except IntegrityError:
                taken = (await self.db.execute(select(Case.id).where(Case.reference == reference))).first()
                if taken is None:
                    raise  # not the reference: a real constraint violation
                continue
            return case
        raise RuntimeError("no free case reference after several attempts")

    # -- reading -------------------------------------------------------------------------------------------------

    async def get_case(self, user: User, case_id: str) -> Case:
        """The case if the user's organisation is party to it (NotFound otherwise). Writes no audit record: use
        :meth:`view_case` when the case's content is shown."""
        case = await self.db.get(Case, case_id) if case_id and len(case_id) <= 32 else None
        if case is None:
            raise NotFound("Case")
        require(user, Action.VIEW_CASES, case)
        return case

    async def view_case(self, user: User, case_id: str) -> Case:
        """:meth:`get_case` plus the audit record ``case.view``."""
        case = await self.get_case(user, case_id)
        await self._audit(user, "case.view", case.id)
        return case

    def identity(self, case: Case) -> ClientIdentity:
        """The decrypted client identity; DecryptionError if a field was tampered with or moved from elsewhere."""
        return ClientIdentity(
            name=decrypt_text(self.keyring, case.client_name, context=CASE_CLIENT_NAME.context(case.id)),
            bsn=decrypt_text(self.keyring, case.bsn, context=CASE_BSN.context(case.id)),
            birth_date=date.fromisoformat(
                decrypt_text(self.keyring, case.birth_date, context=CASE_BIRTH_DATE.context(case.id))
            ),
        )

    def client_name(self, case: Case) -> str | None:
        """The decrypted name, or None (logged, without content) when it does not decrypt."""
        try:
            return decrypt_text(self.keyring, case.client_name, context=CASE_CLIENT_NAME.context(case.id))
        except DecryptionError:
            log.warning("client name of case %s does not decrypt", case.id)
            return None

    async def details(self, case: Case) -> CaseDetails:
        gemeente = await self.db.get(Organisation, case.gemeente_id)
        kantoor = await self.db.get(Organisation, case.kantoor_id)
        assert gemeente is not None and kantoor is not None  # foreign keys
        return CaseDetails(
            case=case,
            gemeente=gemeente,
            kantoor=kantoor,
            convenant=await self.db.get(Convenant, case.convenant_id),
            bewindvoerder=await self.db.get(User, case.bewindvoerder_id) if case.bewindvoerder_id else None,
            gemeente_contact=(await self.db.get(User, case.gemeente_contact_id) if case.gemeente_contact_id else None),
        )

    # -- lists and searches --------------------------------------------------------------------------------------

    def _scoped(self, user: User) -> Any:
        org = user.organisation_id
        return or_(Case.gemeente_id == org, Case.kantoor_id == org)

    def _filtered(
        self,
        user: User,
        query: Any,
        *,
        status: str | None,
        kind: str | None,
        partner_id: str | None,
        reference: str | None,
    ) -> Any:
        query = query.where(self._scoped(user))
        if status:
            query = query.where(Case.status == status)
        if kind:
            query = query.where(Case.bewind_kind == kind)
        if partner_id:
            # The own organisation is one party, so the partner is the other one.
            query = query.where(or_(Case.gemeente_id == partner_id, Case.kantoor_id == partner_id))
        if reference:
            query = query.where(Case.reference.contains(reference.strip(), autoescape=True))
        return query

    async def list_cases(
        self,
        user: User,
        *,
        status: str | None = None,
        kind: str | None = None,
        partner_id: str | None = None,
        reference: str | None = None,
        sort: str = "nieuwste",
        limit: int = 50,
        offset: int = 0,
    ) -> list[CaseRow]:
        """The cases of the user's organisation with decrypted client names (audited as ``case.list``).

        ``sort="naam"`` sorts in memory after decryption (names are ciphertext in the database), over at most
        :data:`NAME_SORT_LIMIT` of the newest filtered cases; the other sorts are done by the database.
        """
        if not may(user, Action.VIEW_CASES):
            raise Forbidden(Action.VIEW_CASES.value)
        limit = max(1, min(limit, PAGE_MAX))
        offset = max(0, offset)
        org = user.organisation_id
        partner = aliased(Organisation)
        partner_id_col = sql_case((Case.gemeente_id == org, Case.kantoor_id), else_=Case.gemeente_id)
        query = select(Case, partner.id, partner.name).join(partner, partner.id == partner_id_col)
        query = self._filtered(user, query, status=status, kind=kind, partner_id=partner_id, reference=reference)
        if sort == "naam":
            fetched = (
                await self.db.execute(query.order_by(Case.created_at.desc(), Case.id).limit(NAME_SORT_LIMIT))
            ).all()
            rows = [self._row(c, pid, pname) for c, pid, pname in fetched]
            rows.sort(key=lambda r: (name_sort_key(r.client_name), r.reference))
            rows = rows[offset : offset + limit]
        else:
            order = {
                "oudste": (Case.created_at.asc(), Case.reference.asc()),
                "referentie": (Case.reference.asc(),),
            }.get(sort, (Case.created_at.desc(), Case.reference.desc()))
            fetched = (await self.db.execute(query.order_by(*order).limit(limit).offset(offset))).all()
            rows = [self._row(c, pid, pname) for c, pid, pname in fetched]
        if rows:
            await self._audit(user, "case.list", "-")
        return rows

    async def count_cases(
        self,
        user: User,
        *,
        status: str | None = None,
        kind: str | None = None,
        partner_id: str | None = None,
        reference: str | None = None,
    ) -> int:
        if not may(user, Action.VIEW_CASES):
            raise Forbidden(Action.VIEW_CASES.value)
        query = self._filtered(
            user, select(func.count()).select_from(Case), status=status, kind=kind, partner_id=partner_id,
            reference=reference,
        )  # fmt: skip
        return int((await self.db.execute(query)).scalar_one())

    def _row(self, case: Case, partner_id: str, partner_name: str) -> CaseRow:
        return CaseRow(
            id=case.id,
            reference=case.reference,
            client_name=self.client_name(case),
            partner_id=partner_id,
            partner_name=partner_name,
            bewind_kind=case.bewind_kind,
            status=case.status,
            beschikking_date=case.beschikking_date,
            bewind_start_date=case.bewind_start_date,
            created_at=case.created_at,
        )

    async def case_rows(self, user: User, cases: list[Case]) -> list[CaseRow]:
        """List rows (with the partner's name) for cases the caller already holds, e.g. from :meth:`find_by_bsn`."""
        partner_ids = {c.kantoor_id if c.gemeente_id == user.organisation_id else c.gemeente_id for c in cases}
        names: dict[str, str] = {}
        if partner_ids:
            rows = await self.db.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(partner_ids))
            )
            names = {i: n for i, n in rows.all()}
        result = []
        for c in cases:
            pid = c.kantoor_id if c.gemeente_id == user.organisation_id else c.gemeente_id
            result.append(self._row(c, pid, names.get(pid, "")))
        return result

    async def find_by_bsn(self, user: User, bsn: str) -> list[Case]:
        """The user's organisation's cases of the client with exactly this BSN (audited as ``case.search_bsn``;
        the number is not recorded). ValidationError for something that is not a valid BSN."""
        if not may(user, Action.VIEW_CASES):
            raise Forbidden(Action.VIEW_CASES.value)
        if not bsn.strip():
            raise ValidationError({"bsn": "Vul het BSN in waarop u wilt zoeken."})
        try:
            digits = normalise_bsn(bsn.strip())
        except (TypeError, ValueError):
            raise ValidationError({"bsn": "Een BSN bestaat uit 9 cijfers. Controleer het nummer."}) from None
        if not elfproef_ok(digits):
            raise ValidationError(
                {"bsn": "Dit is geen geldig BSN: het nummer voldoet niet aan de elfproef. Controleer het nummer."}
            )
        await self._audit(user, "case.search_bsn", "-")
        rows = await self.db.execute(
            select(Case)
            .where(Case.bsn_index == blind_index(self.keyring.index_key, digits), self._scoped(user))
            .order_by(Case.created_at.desc())
        )
        return list(rows.scalars())

    # -- assignment ----------------------------------------------------------------------------------------------

    async def assignable(self, user: User, case: Case) -> list[User]:
        """The colleagues the user may assign to the case on their own organisation's side."""
        if user.organisation_id == case.kantoor_id:
            return await self.bewindvoerders(case.kantoor_id)
        rows = await self.db.execute(
            select(User)
            .where(User.organisation_id == user.organisation_id, User.disabled.is_(False))
            .order_by(User.name)
        )
        return [u for u in rows.scalars() if u.has_role(*GEMEENTE_CASE_ROLES)]

    async def update_assignment(self, user: User, case: Case, *, person_id: str | None) -> Case:
        """Assign (or, with None, unassign) the person on the user's own side: the bewindvoerder for the kantoor,
        the contact person for the gemeente. Audited as ``case.assign``."""
        require(user, Action.VIEW_CASES, case)
        if person_id and person_id not in {u.id for u in await self.assignable(user, case)}:
            raise ValidationError({"person_id": "Kies een collega van uw eigen organisatie."})
        if user.organisation_id == case.kantoor_id:
            case.bewindvoerder_id = person_id or None
        else:
            case.gemeente_contact_id = person_id or None
        case.updated_at = utcnow()
        self.db.add(case)
        await self._audit(user, "case.assign", case.id)
        await self.db.flush()
        return case
