"""Lists and searches of cases: filtered, sorted and paged lists within the caller's reach, and the BSN search."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import blind_index, normalise_bsn
from crypto import is_valid_bsn as elfproef_ok
from hub.accounts.authz import Action, may
from hub.accounts.models import Organisation, User
from hub.accounts.roles import OrgKind
from hub.audit import actions
from hub.cases.models import Case
from hub.cases.reading import CaseReading
from hub.cases.records import CaseRow, name_sort_key, reference_matches
from hub.errors import Forbidden, NotFound, ValidationError

log = logging.getLogger("hub.cases")

SORTS: tuple[str, ...] = ("nieuwste", "oudste", "referentie", "naam")
PAGE_MAX = 200
# Names are ciphertext, so sorting by name happens in memory after decryption, on at most this many of the
# filtered cases (the newest). Organisations with more cases narrow the list with a filter first.
NAME_SORT_LIMIT = 2000


class AmbiguousReference(Exception):
    """A typed dossiernummer (its last digits, say) fits more than one case of the caller's organisation."""


async def case_by_typed_reference(db: AsyncSession, user: User, typed: str) -> Case:
    """The one case of the user's organisation that a typed dossiernummer finds (the case list's rule): NotFound
    when none does (another organisation's case is never looked at), AmbiguousReference when several do."""
    org = user.organisation_id
    found = list(
        (
            await db.execute(
                select(Case)
                .where(reference_matches(typed), or_(col(Case.gemeente_id) == org, col(Case.kantoor_id) == org))
                .limit(2)
            )
        ).scalars()
    )
    if not found:
        raise NotFound("Case")
    if len(found) > 1:
        raise AmbiguousReference(typed)
    return found[0]


class CaseQueries(CaseReading):
    # -- lists and searches --------------------------------------------------------------------------------------

    def _scoped(self, user: User) -> Any:
        org = user.organisation_id
        return or_(col(Case.gemeente_id) == org, col(Case.kantoor_id) == org)

    async def _sides(self, user: User) -> tuple[Any, Any]:
        """(own, partner): the case columns that hold the user's organisation and the other party. A gemeente is
        only ever a case's gemeente, a kantoor its kantoor; so the lists scope by one indexed comparison instead of
        :meth:`_scoped`'s OR (the database reads a page in order from ``ix_dossier_*_created`` and stops after it),
        and join the partner by plain equality (a CASE expression in the join hides that order from PostgreSQL)."""
        org = await self.db.get(Organisation, user.organisation_id)
        if org is not None and org.kind == OrgKind.KANTOOR:
            return col(Case.kantoor_id), col(Case.gemeente_id)
        return col(Case.gemeente_id), col(Case.kantoor_id)

    def _filtered(
        self,
        user: User,
        own: Any,
        query: Any,
        *,
        status: str | None,
        kind: str | None,
        partner_id: str | None,
        reference: str | None,
    ) -> Any:
        query = query.where(own == user.organisation_id)
        if status:
            query = query.where(col(Case.status) == status)
        if kind:
            query = query.where(col(Case.bewind_kind) == kind)
        if partner_id:
            # The own organisation is one party, so the partner is the other one.
            query = query.where(or_(col(Case.gemeente_id) == partner_id, col(Case.kantoor_id) == partner_id))
        if reference:
            query = query.where(reference_matches(reference))
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
        """The cases of the user's organisation with decrypted client names: audited as ``case.list`` when a page
        without any filter shows a case, and as ``case.search`` (with the kind of search, never its value) whenever
        a filter or a typed dossiernummer was given, whatever it found.

        ``sort="naam"`` sorts in memory after decryption (names are ciphertext in the database), over at most
        :data:`NAME_SORT_LIMIT` of the newest filtered cases; the other sorts are done by the database.
        """
        if not may(user, Action.VIEW_CASES):
            raise Forbidden(Action.VIEW_CASES.value)
        limit = max(1, min(limit, PAGE_MAX))
        offset = max(0, offset)
        own, partner_side = await self._sides(user)
        partner = aliased(Organisation)
        query = select(Case, col(partner.id), col(partner.name)).join(partner, col(partner.id) == partner_side)
        query = self._filtered(user, own, query, status=status, kind=kind, partner_id=partner_id, reference=reference)
        if sort == "naam":
            fetched = (
                await self.db.execute(query.order_by(col(Case.created_at).desc(), col(Case.id)).limit(NAME_SORT_LIMIT))
            ).all()
            rows = [self._row(c, pid, pname) for c, pid, pname in fetched]
            rows.sort(key=lambda r: (name_sort_key(r.client_name), r.reference))
            rows = rows[offset : offset + limit]
        else:
            order = {
                "oudste": (col(Case.created_at).asc(), col(Case.reference).asc()),
                "referentie": (col(Case.reference).asc(),),
            }.get(sort, (col(Case.created_at).desc(), col(Case.reference).desc()))
            fetched = (await self.db.execute(query.order_by(*order).limit(limit).offset(offset))).all()
            rows = [self._row(c, pid, pname) for c, pid, pname in fetched]
        if reference or status or kind or partner_id:
            kind_of_search = actions.SEARCH_REFERENCE if reference else actions.SEARCH_FILTER
            await self._audit(user, actions.CASE_SEARCH, kind_of_search, object_type=actions.SEARCH_OBJECT)
        elif rows:
            await self._audit(user, actions.CASE_LIST, "-")
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
        own, _ = await self._sides(user)
        query = self._filtered(
            user, own, select(func.count()).select_from(Case), status=status, kind=kind, partner_id=partner_id,
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
                select(col(Organisation.id), col(Organisation.name)).where(col(Organisation.id).in_(partner_ids))
            )
            names = {i: n for i, n in rows.all()}
        result = []
        for c in cases:
            pid = c.kantoor_id if c.gemeente_id == user.organisation_id else c.gemeente_id
            result.append(self._row(c, pid, names.get(pid, "")))
        return result

    async def find_by_bsn(self, user: User, bsn: str) -> list[Case]:
        """The user's organisation's cases of the client with exactly this BSN (audited as ``case.search`` of
        kind ``bsn``; the number is not recorded). ValidationError for something that is not a valid BSN."""
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
        await self._audit(user, actions.CASE_SEARCH, actions.SEARCH_BSN, object_type=actions.SEARCH_OBJECT)
        rows = await self.db.execute(
            select(Case)
            .where(col(Case.bsn_index) == blind_index(self.keyring.index_key, digits), self._scoped(user))
            .order_by(col(Case.created_at).desc())
        )
        return list(rows.scalars())
