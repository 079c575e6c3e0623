"""Every audit action the hub writes, in one place: its name (the record's ``action``) and what the Auditlog page
calls it. README's "Audit actions" table describes each one; tests/audit/test_actions.py keeps the code, this list
and the README in step (an action written anywhere must be listed here).

Names are ``<object>.<verb>``. A record names who, which organisation, what, which object (a type and an id), when
and from where (client address and user agent of the request; none for the worker and the command line), never
content: no name, BSN, subject, message text, file name or search term.

Searches record the fact and the kind of search as the object (type :data:`SEARCH_OBJECT`, id one of
:data:`SEARCH_KINDS`), never the value searched for. Every page view writes exactly one record: a list page without
a search writes its ``*.list`` record (only when it showed content), one with a search or filter its ``*.search``
record (always: looking is what is recorded).
"""

from __future__ import annotations

from typing import Final

# -- cases -------------------------------------------------------------------------------------------------------
CASE_VIEW: Final = "case.view"  # the case page (client identity shown)
CASE_LIST: Final = "case.list"  # the case list without a search, showing client names
CASE_SEARCH: Final = "case.search"  # the case list with a search or filter, or the BSN search; object = kind
CASE_OPEN: Final = "case.open"
CASE_ASSIGN: Final = "case.assign"
CASE_HOLD: Final = "case.hold"  # legal hold placed: retention does not delete the case
CASE_RELEASE: Final = "case.release"  # legal hold lifted
CASE_EXPORT: Final = "case.export"  # the client's export (AVG art. 15)
CASE_DELETE: Final = "case.delete"  # deleted by retention, one record per party organisation
# -- messages ----------------------------------------------------------------------------------------------------
THREAD_VIEW: Final = "thread.view"  # a thread's messages
THREAD_LIST: Final = "thread.list"  # an inbox page without a filter, showing subjects
THREAD_SEARCH: Final = "thread.search"  # an inbox page with a filter; object = kind
THREAD_ASSIGN: Final = "thread.assign"
THREAD_CLOSE: Final = "thread.close"
MESSAGE_POST: Final = "message.post"
# -- internal notes (hub.notes) ----------------------------------------------------------------------------------
NOTE_ADDED: Final = "note.added"  # a note on a case or thread, for the author's own organisation only
NOTE_REMOVED: Final = "note.removed"  # its author removed it (the text is gone; this record stays)
# -- documents ---------------------------------------------------------------------------------------------------
DOCUMENT_UPLOAD: Final = "document.upload"
DOCUMENT_DOWNLOAD: Final = "document.download"
DOCUMENT_PREVIEW: Final = "document.preview"  # shown in the browser (PDF, PNG, JPEG), next to the download
DOCUMENT_HEAD: Final = "document.head"  # the API's HEAD of a download: its name, type and size, no content
DOCUMENT_DELETE: Final = "document.delete"  # a withdrawn document deleted by retention, one record per party
# -- organisation documents: the signed convenant, a kantoor's quality documents (hub.orgdocs) --------------------
ORG_DOCUMENT_UPLOAD: Final = "orgdocument.upload"
ORG_DOCUMENT_DOWNLOAD: Final = "orgdocument.download"
ORG_DOCUMENT_WITHDRAW: Final = "orgdocument.withdraw"
# -- retention ---------------------------------------------------------------------------------------------------
ORGANISATION_RETENTION_CHANGED: Final = "organisation.retention_changed"  # `hub retention years`
RETENTION_RUN: Final = "retention.run"  # a real (not dry) run; object id: who ran it (worker or cli)
# -- the API ------------------------------------------------------------------------------------------------------
API_CALL: Final = "api.call"  # every accepted API call; object: the token (its id, never the token)
API_TOKEN_CREATE: Final = "api.token_create"  # noqa: S105  (an action name)
API_TOKEN_REVOKE: Final = "api.token_revoke"  # noqa: S105  (an action name)
WEBHOOK_ADD: Final = "webhook.add"  # an organisation's webhook endpoint added (object: the endpoint, never its URL)
WEBHOOK_REMOVE: Final = "webhook.remove"
WEBHOOK_PAUSE: Final = "webhook.pause"
WEBHOOK_RESUME: Final = "webhook.resume"
WEBHOOK_ROTATE: Final = "webhook.rotate"  # its signing secret replaced
# -- the audit log itself ----------------------------------------------------------------------------------------
AUDIT_VIEW: Final = "audit.view"  # the Auditlog page of a functionaris gegevensbescherming
AUDIT_EXPORT: Final = "audit.export"  # a JSON-lines export: the FG's download, or `hub audit export`

SEARCH_OBJECT: Final = "search"
SEARCH_BSN: Final = "bsn"
SEARCH_REFERENCE: Final = "reference"  # a dossiernummer (whole or its last digits)
SEARCH_NAME: Final = "name"  # a client's name
SEARCH_FILTER: Final = "filter"  # status, kind, partner, assignee: no typed value
SEARCH_KINDS: Final = (SEARCH_BSN, SEARCH_REFERENCE, SEARCH_NAME, SEARCH_FILTER)

AUDIT_LOG_OBJECT: Final = "audit_log"

# Every action, with its Dutch label for the Auditlog page, in the order the page offers them.
ACTIONS: Final[dict[str, str]] = {
    CASE_VIEW: "Dossier bekeken",
    CASE_LIST: "Dossierlijst bekeken",
    CASE_SEARCH: "Dossiers gezocht of gefilterd",
    CASE_OPEN: "Dossier aangemaakt",
    CASE_ASSIGN: "Dossier toegewezen",
    "case.correct": "Dossiergegevens gecorrigeerd",
    CASE_HOLD: "Dossier op bewaren gezet",
    CASE_RELEASE: "Bewaren van dossier opgeheven",
    CASE_EXPORT: "Inzage-export van cliënt gemaakt",
    CASE_DELETE: "Dossier verwijderd (bewaartermijn)",
    "milestone.record": "Stap in het verloop vastgelegd",
    "milestone.correct": "Stap in het verloop gecorrigeerd",
    "milestone.withdraw": "Stap in het verloop ingetrokken",
    THREAD_VIEW: "Gesprek bekeken",
    THREAD_LIST: "Berichtenlijst bekeken",
    THREAD_SEARCH: "Berichten gefilterd",
    THREAD_ASSIGN: "Gesprek toegewezen",
    THREAD_CLOSE: "Gesprek afgerond",
    MESSAGE_POST: "Bericht verstuurd",
    NOTE_ADDED: "Interne notitie toegevoegd",
    NOTE_REMOVED: "Interne notitie verwijderd",
    DOCUMENT_UPLOAD: "Document toegevoegd",
    DOCUMENT_DOWNLOAD: "Document gedownload",
    DOCUMENT_PREVIEW: "Document bekeken in de browser",
    DOCUMENT_HEAD: "Documentgegevens opgevraagd (API, zonder inhoud)",
    "document.withdraw": "Document ingetrokken",
    DOCUMENT_DELETE: "Ingetrokken document verwijderd (bewaartermijn)",
    ORG_DOCUMENT_UPLOAD: "Convenant- of kwaliteitsdocument toegevoegd",
    ORG_DOCUMENT_DOWNLOAD: "Convenant- of kwaliteitsdocument gedownload",
    ORG_DOCUMENT_WITHDRAW: "Convenant- of kwaliteitsdocument ingetrokken",
    RETENTION_RUN: "Bewaartermijnen toegepast",
    "clock.due_recomputed": "Termijn herberekend (sluitingsdag)",
    "calendar.closing_day_add": "Sluitingsdag toegevoegd",
    "calendar.closing_day_remove": "Sluitingsdag verwijderd",
    API_CALL: "API-aanroep",
    API_TOKEN_CREATE: "API-sleutel aangemaakt",
    API_TOKEN_REVOKE: "API-sleutel ingetrokken",
    WEBHOOK_ADD: "Webhook toegevoegd",
    WEBHOOK_REMOVE: "Webhook verwijderd",
    WEBHOOK_PAUSE: "Webhook gepauzeerd",
    WEBHOOK_RESUME: "Webhook hervat",
    WEBHOOK_ROTATE: "Geheim van webhook vernieuwd",
    AUDIT_VIEW: "Auditlog bekeken",
    AUDIT_EXPORT: "Auditlog geëxporteerd",
    "organisation.create": "Organisatie aangemaakt",
    "organisation.contacts_changed": "Contactgegevens gewijzigd",
    "organisation.contacts_confirmed": "Contactgegevens bevestigd",
    ORGANISATION_RETENTION_CHANGED: "Bewaartermijn van organisatie gewijzigd",
    "convenant.create": "Convenant aangemaakt",
    "organisation.changed": "Organisatie gewijzigd",
    "organisation.ended": "Organisatie beëindigd",
    "convenant.changed": "Convenant gewijzigd",
    "convenant.ended": "Convenant beëindigd",
    "auth.login": "Ingelogd",
    "auth.logout": "Uitgelogd",
    "auth.password_failed": "Wachtwoord onjuist",
    "auth.mfa_failed": "Code onjuist",
    "auth.recovery_code_used": "Herstelcode gebruikt",
    "auth.account_locked": "Account tijdelijk geblokkeerd",
    "auth.address_locked": "Adres tijdelijk geblokkeerd",
    "auth.locked_attempt": "Poging tijdens blokkade",
    "auth.reauth_failed": "Huidig wachtwoord onjuist",
    "auth.session_expired": "Sessie verlopen",
    "auth.session_purged": "Verlopen sessie opgeruimd",
    "auth.session_ended": "Andere sessie beëindigd",
    "auth.password_changed": "Wachtwoord gewijzigd",
    "auth.recovery_codes_renewed": "Nieuwe herstelcodes",
    "auth.mfa_enrolled": "Authenticator-app ingesteld",
    "user.created": "Gebruiker aangemaakt",
    "user.created_enrolment_link": "Gebruiker aangemaakt (activeringslink)",
    "user.blocked": "Gebruiker geblokkeerd",
    "user.unblocked": "Gebruiker gedeblokkeerd",
    "user.password_reset": "Wachtwoord hersteld",
    "user.password_reset_enrolment_link": "Wachtwoord hersteld (activeringslink)",
    "user.mfa_reset": "Authenticator-app hersteld",
    "user.roles_changed": "Rollen gewijzigd",
    "user.enrolment_link_used": "Activeringslink gebruikt",
    "user.enrolment_link_reissued": "Nieuwe activeringslink",
    "user.address_refused": "E-mailadres geweigerd",
    "user.details_changed": "Naam of e-mailadres gewijzigd",
    "user.removed": "Gebruiker verwijderd",
    "user.assignments_handed_over": "Dossiers en gesprekken overgedragen",
    "keys.rotate": "Sleutel vernieuwd",
    "keys.rewrap": "Gegevenssleutels herverpakt",
    "keys.remove": "Sleutel verwijderd",
    # Written before this list existed; kept so that older records have a label.
    "case.search_bsn": "Gezocht op BSN",
}


def label(action: str) -> str:
    """The Dutch label of an action; the name itself for one this hub does not know (a newer or older hub's)."""
    return ACTIONS.get(action, action)


def search_label(kind: str) -> str:
    return {
        SEARCH_BSN: "op BSN",
        SEARCH_REFERENCE: "op dossiernummer",
        SEARCH_NAME: "op naam",
        SEARCH_FILTER: "met filters",
    }.get(kind, kind)
