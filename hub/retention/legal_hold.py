"""The legal hold of a case: while set, retention never deletes the case, nor its withdrawn documents.

Who: any case worker of either party (a gemeente facing a bezwaar or a court case, a kantoor facing a complaint or
the kantonrechter's questions), with a reason, which is required and field-encrypted. Lifting it is the same right.
Both are audited (``case.hold`` and ``case.release``, the case's id). Another organisation's case: NotFound.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring, decrypt_text, encrypt_field
from hub.accounts.authz import Action, require
from hub.accounts.models import User
from hub.audit import actions
from hub.audit import services as audit
from hub.cases.models import Case
from hub.cases.reading import OBJECT_TYPE as CASE_OBJECT
from hub.db import is_id, utcnow
from hub.errors import NotFound, ValidationError
from hub.fields import CASE_LEGAL_HOLD_REASON

REASON_FIELD = "hold_reason"
REASON_MAX = 500
REASON_MISSING = "Geef een reden waarom dit dossier bewaard moet blijven."
REASON_TOO_LONG = f"De reden is te lang (ten hoogste {REASON_MAX} tekens)."
ALREADY_HELD = "Dit dossier staat al op bewaren."
NOT_HELD = "Dit dossier staat niet op bewaren."


async def _case(db: AsyncSession, user: User, case_id: str) -> Case:
    case = await db.get(Case, case_id, with_for_update=True) if is_id(case_id) else None
    if case is None:
        raise NotFound("Case")
    require(user, Action.VIEW_CASES, case)
    return case


def hold_reason(keyring: Keyring, case: Case) -> str | None:
    """The hold's reason in plain text, for the case's parties; None when the case is not on hold."""
    if case.legal_hold_reason is None:
        return None
    return decrypt_text(keyring, case.legal_hold_reason, context=CASE_LEGAL_HOLD_REASON.context(case.id))


async def place_hold(
    db: AsyncSession, keyring: Keyring, user: User, case_id: str, reason: str, *, now: datetime | None = None
) -> Case:
    """Put the case on legal hold; ValidationError (nothing changed) for a missing or long reason or a held case."""
    case = await _case(db, user, case_id)
    text = unicodedata.normalize("NFC", reason).strip()
    if not text:
        raise ValidationError({REASON_FIELD: REASON_MISSING})
    if len(text) > REASON_MAX:
        raise ValidationError({REASON_FIELD: REASON_TOO_LONG})
    if case.legal_hold_at is not None:
        raise ValidationError({REASON_FIELD: ALREADY_HELD})
    case.legal_hold_at = now or utcnow()
    case.legal_hold_by = user.id
    case.legal_hold_reason = encrypt_field(keyring, text, context=CASE_LEGAL_HOLD_REASON.context(case.id))
    db.add(case)
    await audit.record(
        db, user_id=user.id, organisation_id=user.organisation_id, action=actions.CASE_HOLD,
        object_type=CASE_OBJECT, object_id=case.id,
    )  # fmt: skip
    return case


async def lift_hold(db: AsyncSession, user: User, case_id: str) -> Case:
    """Lift the case's legal hold; ValidationError when it has none."""
    case = await _case(db, user, case_id)
    if case.legal_hold_at is None:
        raise ValidationError({REASON_FIELD: NOT_HELD})
    case.legal_hold_at = None
    case.legal_hold_by = None
    case.legal_hold_reason = None
    db.add(case)
    await audit.record(
        db, user_id=user.id, organisation_id=user.organisation_id, action=actions.CASE_RELEASE,
        object_type=CASE_OBJECT, object_id=case.id,
    )  # fmt: skip
    return case
