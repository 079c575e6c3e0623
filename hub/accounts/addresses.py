"""The e-mail address of a new account, and what the add-user form may say about one that is already in use.

An address is unique in the whole hub (it is the login name), but an organisation's own administrator learns nothing
about other organisations' accounts. An address in use in the administrator's own organisation (whose users they see
anyway) is named as such; one in use in any other organisation gets one answer, whichever organisation it is in
(:data:`ADDRESS_UNUSABLE`), with the same status and after the same work (one indexed read). So the administrator
learns that the address cannot be used, never where it is used. Each such refusal is audited for the functioneel
beheerder (``user.address_refused``: who was refused, and the account holding the address, by id; never the
address), who can help a user moving between organisations, or see an administrator probing. The operator and the
command line see every account, and get the plain answer.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.email_rule import valid_email
from hub.accounts.models import User
from hub.audit import auth_events as events
from hub.audit.auth_events import Origin
from hub.errors import ValidationError

ADDRESS_INVALID = "Vul een geldig e-mailadres in, bijvoorbeeld naam@organisatie.nl."
ADDRESS_TAKEN = "Er bestaat al een gebruiker met dit e-mailadres."
ADDRESS_UNUSABLE = "Dit e-mailadres kan niet worden gebruikt. Neem contact op met de functioneel beheerder."
ADDRESS_REFUSED = "user.address_refused"


class AddressRefused(ValidationError):
    """The form's errors, among them an address in use in an organisation the actor does not manage (by the account
    ``holder_id``). Nothing was written; :func:`record_address_refused` audits it in a transaction of its own."""

    def __init__(self, errors: dict[str, str], holder_id: str) -> None:
        super().__init__(errors)
        self.holder_id = holder_id


async def address_problem(
    db: AsyncSession, email: str, organisation_id: str, *, sees_all_users: bool
) -> tuple[str, str]:
    """The Dutch message for a new account's (normalised) address in ``organisation_id``, "" when it is fine; and
    the id of the account holding it in an organisation the caller may not see into ("" otherwise)."""
    if not valid_email(email):
        return ADDRESS_INVALID, ""
    holder = (await db.execute(select(col(User.id), col(User.organisation_id)).where(col(User.email) == email))).first()
    if holder is None:
        return "", ""
    if sees_all_users or holder.organisation_id == organisation_id:
        return ADDRESS_TAKEN, ""
    return ADDRESS_UNUSABLE, holder.id


async def record_address_refused(db: AsyncSession, actor: User, refused: AddressRefused, origin: Origin) -> None:
    """Audit and log that ``actor`` was refused an address in use elsewhere (ids only)."""
    await events.record_auth_event(
        db,
        ADDRESS_REFUSED,
        origin,
        user_id=actor.id,
        organisation_id=actor.organisation_id,
        object_type="user",
        object_id=refused.holder_id,
    )
