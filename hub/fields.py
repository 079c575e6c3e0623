"""Every encrypted column of the hub, in one registry that the services and key rotation both read.

An encrypted value is bound to its table, column and row (:func:`crypto.field_context`), so a value copied to
another row or column does not decrypt. A part of the hub that adds an encrypted column adds it here, in the same
change as its migration; ``hub keys status`` and ``hub keys rotate`` then reach it without further work.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto import field_context


@dataclass(frozen=True)
class EncryptedField:
    """A column holding :func:`crypto.encrypt_field` envelopes."""

    table: str
    column: str

    def context(self, row_id: str) -> bytes:
        """The associated data binding a value to this table, column and row."""
        return field_context(self.table, self.column, row_id)


@dataclass(frozen=True)
class WrappedKeyColumn:
    """A column holding a bare wrapped data key (:meth:`crypto.Keyring.wrap`); its associated data is the row id."""

    table: str
    column: str

    @staticmethod
    def associated_data(row_id: str) -> bytes:
        return row_id.encode("utf-8")


USER_TOTP_SECRET = EncryptedField("user_account", "totp_secret")
SESSION_PENDING_TOTP_SECRET = EncryptedField("user_session", "pending_totp_secret")
CASE_CLIENT_NAME = EncryptedField("dossier", "client_name")
CASE_BSN = EncryptedField("dossier", "bsn")
CASE_BIRTH_DATE = EncryptedField("dossier", "birth_date")
CASE_LEGAL_HOLD_REASON = EncryptedField("dossier", "legal_hold_reason")
CASE_MILESTONE_NOTE = EncryptedField("case_milestone", "note")  # a reason or description: may be personal
CASE_CORRECTION_OLD = EncryptedField("case_correction", "old_value")
CASE_CORRECTION_NEW = EncryptedField("case_correction", "new_value")
CASE_CORRECTION_REASON = EncryptedField("case_correction", "reason")
DOCUMENT_FILENAME = EncryptedField("document", "filename")
DOCUMENT_SHA256 = EncryptedField("document", "sha256")
DOCUMENT_WITHDRAWAL_REASON = EncryptedField("document", "withdrawal_reason")
THREAD_SUBJECT = EncryptedField("message_thread", "subject")
MESSAGE_BODY = EncryptedField("message", "body")
STEEKPROEF_CASE_NOTE = EncryptedField("steekproef_case", "note")  # the finding on a drawn case: may be personal
KEPT_FORM_FIELDS = EncryptedField("kept_form", "fields")  # what a user typed when their session had ended
INTERNAL_NOTE_BODY = EncryptedField("internal_note", "body")  # an organisation's own note on a case or thread
WEBHOOK_SECRET = EncryptedField("webhook_endpoint", "secret")  # the signing secret of an organisation's webhook

DOCUMENT_KEY = WrappedKeyColumn("document", "wrapped_key")

ENCRYPTED_FIELDS: tuple[EncryptedField, ...] = (
    USER_TOTP_SECRET,
    SESSION_PENDING_TOTP_SECRET,
    CASE_CLIENT_NAME,
    CASE_BSN,
    CASE_BIRTH_DATE,
    CASE_LEGAL_HOLD_REASON,
    CASE_MILESTONE_NOTE,
    CASE_CORRECTION_OLD,
    CASE_CORRECTION_NEW,
    CASE_CORRECTION_REASON,
    DOCUMENT_FILENAME,
    DOCUMENT_SHA256,
    DOCUMENT_WITHDRAWAL_REASON,
    THREAD_SUBJECT,
    MESSAGE_BODY,
    STEEKPROEF_CASE_NOTE,
    KEPT_FORM_FIELDS,
    INTERNAL_NOTE_BODY,
    WEBHOOK_SECRET,
)

WRAPPED_KEYS: tuple[WrappedKeyColumn, ...] = (DOCUMENT_KEY,)
