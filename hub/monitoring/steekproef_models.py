"""A steekproef op rechtmatigheid as drawn (its seed, inputs and result), and the follow-up of each drawn case."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.db import UTCDateTime, new_id, utcnow


class Steekproef(SQLModel, table=True):
    """One draw: everything needed to recompute it (hub.monitoring.steekproef)."""

    __tablename__ = "steekproef"
    __table_args__ = (Index("ix_steekproef_gemeente_drawn", "gemeente_id", "drawn_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    gemeente_id: str = Field(foreign_key="organisation.id", max_length=32)
    period_start: date
    period_end: date
    algorithm: str = Field(max_length=30)
    seed: str = Field(max_length=64)  # 32 random bytes (secrets), hex
    rate_deelnemer_bp: int  # basis points: 1000 = 10 %
    rate_buiten_bp: int
    population: str = Field(sa_column=Column(Text, nullable=False))  # JSON [[case id, stratum], ...], canonical order
    result: str = Field(sa_column=Column(Text, nullable=False))  # JSON [case id, ...], sorted
    drawn_by: str = Field(foreign_key="user_account.id", max_length=32)
    drawn_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class SteekproefCase(SQLModel, table=True):
    """A drawn case and the contractmanager's finding: in orde or niet in orde, with a note (field-encrypted)."""

    __tablename__ = "steekproef_case"
    __table_args__ = (UniqueConstraint("steekproef_id", "case_id", name="uq_steekproef_case"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    steekproef_id: str = Field(foreign_key="steekproef.id", max_length=32)
    case_id: str = Field(foreign_key="dossier.id", max_length=32)
    stratum: str = Field(max_length=20)
    outcome: str | None = Field(default=None, max_length=20)  # in_orde | niet_in_orde; None: not assessed yet
    note: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    assessed_by: str | None = Field(default=None, foreign_key="user_account.id", max_length=32)
    assessed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
