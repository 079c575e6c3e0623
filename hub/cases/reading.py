"""Reading one case within the caller's reach, its client's identity and the people around it; the audit record."""

from __future__ import annotations

import logging
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import DecryptionError, Keyring, decrypt_text
from hub.accounts.authz import Action, require
from hub.accounts.models import Convenant, Organisation, User
from hub.audit import actions
from hub.audit import services as audit
from hub.cases.models import Case
from hub.cases.records import CaseDetails, ClientIdentity
from hub.errors import NotFound
from hub.fields import CASE_BIRTH_DATE, CASE_BSN, CASE_CLIENT_NAME

log = logging.getLogger("hub.cases")

TABLE = "dossier"
OBJECT_TYPE = "dossier"


class CaseReading:
    def __init__(self, db: AsyncSession, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring

    # -- audit ---------------------------------------------------------------------------------------------------

    async def _audit(self, user: User, action: str, object_id: str, *, object_type: str = OBJECT_TYPE) -> None:
        await audit.record(
            self.db,
            user_id=user.id,
            organisation_id=user.organisation_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
        )

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
        await self._audit(user, actions.CASE_VIEW, case.id)
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
        return self.name_of(case.id, case.client_name)

    def name_of(self, case_id: str, sealed: bytes) -> str | None:
        """:meth:`client_name` from the case's id and its stored name alone."""
        try:
            return decrypt_text(self.keyring, sealed, context=CASE_CLIENT_NAME.context(case_id))
        except DecryptionError:
            log.warning("client name of case %s does not decrypt", case_id)
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
