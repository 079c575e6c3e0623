"""The internal note: one row per note, owned by one organisation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from hub.db import UTCDateTime, new_id, utcnow


class InternalNote(SQLModel, table=True):
    """A note on a case or on a thread (exactly one of the two), visible only to ``organisation_id``."""

    __tablename__ = "internal_note"
    __table_args__ = (
        Index("ix_internal_note_case", "case_id", "organisation_id", "created_at"),
        Index("ix_internal_note_thread", "thread_id", "organisation_id", "created_at"),
        CheckConstraint("(case_id IS NULL) <> (thread_id IS NULL)", name="ck_internal_note_one_subject"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    organisation_id: str = Field(foreign_key="organisation.id", max_length=32)
    case_id: str | None = Field(default=None, foreign_key="dossier.id", max_length=32)
    thread_id: str | None = Field(default=None, foreign_key="message_thread.id", max_length=32)
    author_id: str = Field(foreign_key="user_account.id", max_length=32)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # field-encrypted plain text
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
