"""One client, one running case per convenant: the duplicate rule for opening a case and for correcting its BSN.

The blind index of the BSN (``dossier.bsn_index``) finds the client's other cases at the same gemeente; a case that
has ended (status beeindigd) never counts.

- The same convenant: refused, naming the existing case (its organisations are the user's, so the user may open
  it). The database holds the same rule (the partial unique index ``uq_dossier_convenant_bsn_open``), so two
  simultaneous openings cannot both succeed.
- Another convenant of the same gemeente that the user's organisation is party to (a kantoor with two convenants
  with one gemeente; for a gemeente user correcting a BSN, any kantoor): a warning naming that case, and the user
  confirms before the case is opened or the BSN saved.
- A case of another kantoor: nothing is said to the kantoor, not even that there is one. That a client is under
  bewind at another kantoor is personal data of a case this kantoor is not party to, and an answer that differs
  would tell it. The gemeente, party to both, finds both with its BSN search.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.authz import is_party
from hub.accounts.models import User
from hub.cases.models import Case, CaseStatus
from hub.errors import ValidationError

CONFIRM_FIELD = "confirm_duplicate"
REFUSED = "Er is al een dossier voor dit BSN bij deze gemeente: {reference}."
WARNING = (
    "Er is al een dossier voor dit BSN bij deze gemeente, onder een ander convenant: {reference}. Vink aan dat u "
    "dit weet als u toch wilt doorgaan."
)


class DuplicateCase(ValidationError):
    """A ValidationError whose problems include another case for the same BSN, which the user's organisation is
    party to: ``existing`` (for a link). ``confirmable``: a warning the user may confirm (another convenant), not a
    refusal (the same convenant)."""

    def __init__(self, errors: dict[str, str], *, existing: Case, confirmable: bool) -> None:
        super().__init__(errors)
        self.existing_id = existing.id
        self.reference = existing.reference
        self.confirmable = confirmable


@dataclass(frozen=True)
class Duplicate:
    """What the form says about the client's other case: the field it concerns, the message, and the case."""

    field: str
    message: str
    case: Case
    confirmable: bool


async def find_duplicate(
    db: AsyncSession,
    user: User,
    *,
    convenant_id: str,
    gemeente_id: str,
    bsn_index: str,
    confirmed: bool,
    exclude_case_id: str | None = None,
) -> Duplicate | None:
    """The problem with a (new or corrected) BSN on ``convenant_id``, or None. ``confirmed``: the user ticked that
    they know of a case under another convenant."""
    query = select(Case).where(
        col(Case.gemeente_id) == gemeente_id,
        col(Case.bsn_index) == bsn_index,
        col(Case.status) != CaseStatus.BEEINDIGD.value,
    )
    if exclude_case_id is not None:
        query = query.where(col(Case.id) != exclude_case_id)
    others = list((await db.execute(query.order_by(col(Case.created_at)))).scalars())
    for case in others:
        if case.convenant_id == convenant_id:
            return Duplicate("bsn", REFUSED.format(reference=case.reference), case, confirmable=False)
    told = [c for c in others if is_party(user, c)]  # never another kantoor's case (see the module text)
    if told and not confirmed:
        return Duplicate(CONFIRM_FIELD, WARNING.format(reference=told[0].reference), told[0], confirmable=True)
    return None


def refusal(errors: dict[str, str], duplicate: Duplicate | None) -> ValidationError:
    """The exception for a form's problems: a DuplicateCase when one of them is ``duplicate``."""
    if duplicate is None:
        return ValidationError(errors)
    return DuplicateCase(errors, existing=duplicate.case, confirmable=duplicate.confirmable)
