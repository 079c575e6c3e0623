"""An organisation's own retention period for one document type (hub.retention.document_types)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class DocumentRetentionRule(SQLModel, table=True):
    """An organisation's own rule for a document type, instead of the hub's default (DOCUMENT_TYPE_YEARS): ``years``
    after the document's date, or None for "follows the case" (deleted with its case only). No row: the default."""

    __tablename__ = "retention_document_rule"

    organisation_id: str = Field(foreign_key="organisation.id", primary_key=True, max_length=32)
    doc_type: str = Field(primary_key=True, max_length=40)
    years: int | None = None
