"""The append-only, hash-chained access log. Records name who did what to which object — never its content."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from hub.db import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True)  # 1, 2, 3 ... assigned under the chain head's lock
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    user_id: str | None = Field(default=None, max_length=32, index=True)
    organisation_id: str | None = Field(default=None, max_length=32, index=True)
    action: str = Field(max_length=40)  # e.g. case.view, document.download, document.upload
    object_type: str = Field(max_length=30)
    object_id: str = Field(max_length=32, index=True)
    # Where an authentication event came from (hash format hub-audit-v2); None for records without a request.
    client_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=200)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """One row: the newest sequence number and hash. Locked while appending, so the chain never forks."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default="0" * 64, max_length=64)
