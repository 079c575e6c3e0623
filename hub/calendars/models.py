"""The days a gemeente is closed besides the national feestdagen and decree days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.db import UTCDateTime, new_id, utcnow


class GemeenteClosingDay(SQLModel, table=True):
    """A day a gemeente is closed besides the national feestdagen: not a werkdag on its calendar."""

    __tablename__ = "gemeente_closing_day"
    __table_args__ = (UniqueConstraint("gemeente_id", "day"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    gemeente_id: str = Field(foreign_key="organisation.id", max_length=32)
    day: date
    description: str = Field(default="", max_length=200)
    created_by: str = Field(foreign_key="user_account.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
