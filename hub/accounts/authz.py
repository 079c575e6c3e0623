"""The one place that decides what a user may do with an object.

Two questions, always in this order:
1. Is the user's organisation party to the object? If not, the object does not exist for them: NotFound (404),
   never 403 and never its data.
2. Does one of the user's roles allow the action? If not: Forbidden (403).
The functioneel beheerder manages organisations and convenants and creates each organisation's first administrator,
but is party to no case: operators read no case content, and never obtain a secret of an account with a case role
(hub.accounts.users).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol

from hub.accounts.models import User
from hub.accounts.roles import Role
from hub.errors import Forbidden, NotFound


class Action(StrEnum):
    MANAGE_ORGANISATIONS = "manage_organisations"  # organisations and convenants of the whole hub
    MANAGE_ALL_USERS = "manage_all_users"
    MANAGE_OWN_USERS = "manage_own_users"
    MANAGE_ORGANISATION_TOKENS = "manage_organisation_tokens"  # API tokens of the own organisation (hub.api)
    VIEW_ROUTEKAART = "view_routekaart"
    CONFIRM_OWN_CONTACTS = "confirm_own_contacts"
    VIEW_CASES = "view_cases"
    OPEN_CASE = "open_case"
    CORRECT_CASE = "correct_case"  # which fields each side may correct: hub.cases.corrections
    UPLOAD_DOCUMENT = "upload_document"
    POST_MESSAGE = "post_message"
    VIEW_OPERATIONS = "view_operations"  # outbox, failed mails: no case content
    MANAGE_CLOSING_DAYS = "manage_closing_days"  # a gemeente's own closing days (not werkdagen on its calendar)
    VIEW_BIJSTAND_APPLICATIONS = "view_bijstand_applications"  # the gemeente's aanvragen bijzondere bijstand (§2.2)
    VIEW_SCHULDHULP_CHECK = "view_schuldhulp_check"  # the monthly check of §2.3, per kantoor
    VIEW_AUDIT_LOG = "view_audit_log"  # the audit records about the own organisation's cases and users (the FG)
    VIEW_TERM_COMPLIANCE = "view_term_compliance"  # how the partners kept the terms (no content)
    DRAW_STEEKPROEF = "draw_steekproef"  # the steekproef op rechtmatigheid of the gemeente's bijstand cases (§2.2)
    READ_CONVENANTS = "read_convenants"  # the convenants of the user's own organisation and their signed copy
    UPLOAD_CONVENANT_DOCUMENT = "upload_convenant_document"  # the signed convenant, by its gemeente (hub.orgdocs)
    VIEW_QUALITY_DOCUMENTS = "view_quality_documents"  # a kantoor's own §3 documents, or its partners' for a gemeente
    UPLOAD_QUALITY_DOCUMENT = "upload_quality_document"  # decharge, kwaliteitsverklaring (§3), by the kantoor
    VIEW_MONITORING = "view_monitoring"  # the gemeente's monitoring figures (aggregated, small counts suppressed)


CASE_WORKERS = frozenset(
    {Role.BEWINDVOERDER, Role.KANTOORBEHEERDER, Role.KLANTMANAGER, Role.CONSULENT, Role.CONTRACTMANAGER}
)

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.MANAGE_ORGANISATIONS: frozenset({Role.FUNCTIONEEL_BEHEERDER}),
    Action.MANAGE_ALL_USERS: frozenset({Role.FUNCTIONEEL_BEHEERDER}),
    Action.MANAGE_OWN_USERS: frozenset({Role.KANTOORBEHEERDER, Role.GEMEENTEBEHEERDER, Role.FUNCTIONEEL_BEHEERDER}),
    Action.MANAGE_ORGANISATION_TOKENS: frozenset({Role.KANTOORBEHEERDER, Role.GEMEENTEBEHEERDER}),
    Action.VIEW_ROUTEKAART: frozenset({Role.CONTRACTMANAGER}),
    Action.CONFIRM_OWN_CONTACTS: frozenset({Role.KANTOORBEHEERDER, Role.CONTRACTMANAGER}),
    Action.VIEW_CASES: CASE_WORKERS,
    Action.OPEN_CASE: frozenset({Role.BEWINDVOERDER, Role.KANTOORBEHEERDER}),
    Action.CORRECT_CASE: CASE_WORKERS,
    Action.UPLOAD_DOCUMENT: CASE_WORKERS,
    Action.POST_MESSAGE: CASE_WORKERS,
    Action.VIEW_OPERATIONS: frozenset({Role.FUNCTIONEEL_BEHEERDER}),
    Action.MANAGE_CLOSING_DAYS: frozenset({Role.CONTRACTMANAGER}),
    Action.VIEW_BIJSTAND_APPLICATIONS: frozenset({Role.CONSULENT}),
    Action.VIEW_SCHULDHULP_CHECK: frozenset({Role.CONTRACTMANAGER}),
    Action.VIEW_AUDIT_LOG: frozenset({Role.FG}),
    Action.VIEW_TERM_COMPLIANCE: frozenset({Role.CONTRACTMANAGER, Role.KANTOORBEHEERDER}),
    Action.DRAW_STEEKPROEF: frozenset({Role.CONTRACTMANAGER}),
    Action.READ_CONVENANTS: frozenset({Role.CONTRACTMANAGER, Role.KANTOORBEHEERDER}),
    Action.UPLOAD_CONVENANT_DOCUMENT: frozenset({Role.CONTRACTMANAGER}),
    Action.VIEW_QUALITY_DOCUMENTS: frozenset({Role.CONTRACTMANAGER, Role.KANTOORBEHEERDER, Role.BEWINDVOERDER}),
    Action.UPLOAD_QUALITY_DOCUMENT: frozenset({Role.KANTOORBEHEERDER, Role.BEWINDVOERDER}),
    Action.VIEW_MONITORING: frozenset({Role.CONTRACTMANAGER}),
}


class HasParties(Protocol):
    """Anything owned by organisations: a case, a thread, a document, an organisation itself."""

    def party_ids(self) -> Iterable[str]: ...


def may(user: User, action: Action) -> bool:
    return not user.disabled and bool(user.role_set & PERMISSIONS[action])


def is_party(user: User, obj: HasParties) -> bool:
    return user.organisation_id in set(obj.party_ids())


def require(user: User, action: Action, obj: HasParties | None = None) -> None:
    """Raise NotFound when `obj` is not the user's organisation's, Forbidden when the role lacks `action`."""
    if obj is not None and not is_party(user, obj):
        raise NotFound(type(obj).__name__)
    if not may(user, action):
        raise Forbidden(action.value)
