"""Cases (dossiers): opening one, finding and listing them, the client's identity — always within the caller's reach.

A case belongs to one convenant: one gemeente, one kantoor. Only those two organisations see it; for everybody else
it does not exist (NotFound). The functioneel beheerder sees no cases at all.

The client's name, BSN and date of birth are field-encrypted, each bound to (``dossier``, column, case id), so a
value copied to another row or column does not decrypt. The BSN is findable only through a keyed blind index (HMAC
with the keyring's index key) of the normalised number; the plain number is never stored or logged.

Every read of a case's content is audited: ``case.view`` (the case page), ``case.list`` (a list of cases with client
names), ``case.search`` (a filtered list or a BSN search: the kind of search, never the value), ``case.open`` and
``case.assign`` (hub.audit.actions names them all).

One concept a module: :mod:`~hub.cases.reading` (one case, its identity, the audit record),
:mod:`~hub.cases.opening`, :mod:`~hub.cases.queries` (lists and the BSN search), and here the assignment and
:class:`CaseService`, which offers them all.

No Starlette here: the web layer passes plain values.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from hub.accounts.authz import Action, require
from hub.accounts.models import User, people
from hub.accounts.roles import Role
from hub.cases.corrections import CaseCorrections
from hub.cases.models import CASE_ENDED, Case
from hub.cases.name_search import CaseNameSearch
from hub.cases.opening import NEW_CASE_FIELDS, RECHTBANKEN, CaseOpening
from hub.cases.queries import NAME_SORT_LIMIT, SORTS
from hub.cases.records import CaseDetails, CaseRow, ClientIdentity, local_today
from hub.db import utcnow
from hub.errors import ValidationError

__all__ = [
    "NAME_SORT_LIMIT",
    "NEW_CASE_FIELDS",
    "RECHTBANKEN",
    "SORTS",
    "CaseDetails",
    "CaseRow",
    "CaseService",
    "ClientIdentity",
    "local_today",
]

# Gemeente roles that can be a case's contact person.
GEMEENTE_CASE_ROLES = (Role.KLANTMANAGER, Role.CONSULENT, Role.CONTRACTMANAGER)


class CaseService(CaseOpening, CaseCorrections, CaseNameSearch):
    """Everything a caller does with cases; each method checks the caller's rights itself."""

    # -- assignment ----------------------------------------------------------------------------------------------

    async def assignable(self, user: User, case: Case) -> list[User]:
        """The colleagues the user may assign to the case on their own organisation's side."""
        if user.organisation_id == case.kantoor_id:
            return await self.bewindvoerders(case.kantoor_id)
        rows = await self.db.execute(
            select(User)
            .where(col(User.organisation_id) == user.organisation_id, col(User.disabled).is_(False), people())
            .order_by(col(User.name))
        )
        return [u for u in rows.scalars() if u.has_role(*GEMEENTE_CASE_ROLES)]

    async def update_assignment(self, user: User, case: Case, *, person_id: str | None) -> Case:
        """Assign (or, with None, unassign) the person on the user's own side: the bewindvoerder for the kantoor,
        the contact person for the gemeente. Audited as ``case.assign``."""
        require(user, Action.VIEW_CASES, case)
        if case.ended:
            raise ValidationError({"person_id": CASE_ENDED})
        if person_id and person_id not in {u.id for u in await self.assignable(user, case)}:
            raise ValidationError({"person_id": "Kies een collega van uw eigen organisatie."})
        now = utcnow()
        if user.organisation_id == case.kantoor_id:
            if (person_id or None) != case.bewindvoerder_id:  # the bewindvoerder is bewind data: kept in the history
                old, new = await self._name_of(case.bewindvoerder_id), await self._name_of(person_id)
                await self.record_correction(user, case, "bewindvoerder_id", old, new, "", now)
            case.bewindvoerder_id = person_id or None
        else:
            case.gemeente_contact_id = person_id or None
        case.updated_at = now
        self.db.add(case)
        await self._audit(user, "case.assign", case.id)
        await self.db.flush()
        return case

    async def _name_of(self, user_id: str | None) -> str:
        person = await self.db.get(User, user_id) if user_id else None
        return person.name if person is not None else ""
