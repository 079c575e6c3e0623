"""Authentication events: each one is appended to the audit chain AND written to the log (logger ``hub.auth``).

A record names the user (by id, when known), the event and where the request came from (client address, user
agent); never a password, code, token, e-mail address or name. An attempt for an unknown e-mail address is recorded
without any user and without the address that was typed.

Events (``action``): ``auth.login`` (second factor passed), ``auth.password_failed``, ``auth.mfa_failed``,
``auth.recovery_code_used``, ``auth.account_locked`` / ``auth.address_locked`` (a throttle lock set),
``auth.locked_attempt`` (an attempt refused because the account or the address is locked: one record per attempt,
as a failed attempt makes one; object ``account`` or ``address``),
``auth.reauth_failed`` (a wrong current password on the account page), ``auth.logout``, ``auth.session_expired``
(a request found its session expired), ``auth.session_purged`` (the worker removed an expired session),
``auth.password_changed``, ``auth.recovery_codes_renewed``, ``auth.mfa_enrolled``; account changes made by an
administrator (created, blocked, MFA or password reset, roles changed) as ``user.<event>`` through
:func:`hub.accounts.enrolment.record_event`, with the same origin; ``user.address_refused`` (an administrator
refused an address in use in another organisation: hub.accounts.addresses);
``keys.rotate`` / ``keys.rewrap`` / ``keys.remove`` (the command line, no request; the key id only).
"""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.audit.services import clean_request_field, record
from hub.origin import NO_ORIGIN, Origin

__all__ = ["NO_ORIGIN", "Origin", "record_auth_event"]

log = logging.getLogger("hub.auth")

LOGIN = "auth.login"
PASSWORD_FAILED = "auth.password_failed"  # noqa: S105  (an event name)
MFA_FAILED = "auth.mfa_failed"
RECOVERY_CODE_USED = "auth.recovery_code_used"
ACCOUNT_LOCKED = "auth.account_locked"
ADDRESS_LOCKED = "auth.address_locked"
LOCKED_ATTEMPT = "auth.locked_attempt"
REAUTH_FAILED = "auth.reauth_failed"
LOGOUT = "auth.logout"
SESSION_EXPIRED = "auth.session_expired"
SESSION_PURGED = "auth.session_purged"
PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105  (an event name)
RECOVERY_CODES_RENEWED = "auth.recovery_codes_renewed"
MFA_ENROLLED = "auth.mfa_enrolled"
SESSION_ENDED = "auth.session_ended"  # the user ended one (or all) of their other sessions


async def record_auth_event(
    db: AsyncSession,
    action: str,
    origin: Origin,
    *,
    user_id: str | None = None,
    organisation_id: str | None = None,
    object_type: str = "user",
    object_id: str | None = None,
) -> None:
    """Append the event to the audit chain in the caller's transaction, and log it."""
    event = await record(
        db,
        user_id=user_id,
        organisation_id=organisation_id,
        action=action,
        object_type=object_type,
        object_id=object_id if object_id is not None else (user_id or ""),
        client_address=origin.client_address or None,
        user_agent=origin.user_agent or None,
    )
    log.info(
        "%s user=%s address=%s audit_seq=%d",
        action,
        user_id or "-",
        clean_request_field(origin.client_address, 64) or "-",
        event.seq,
    )
