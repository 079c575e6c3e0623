"""Cases (dossiers): one client under bewind, within one convenant (one gemeente, one kantoor)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from hub.db import UTCDateTime, new_id, utcnow


class BewindKind(StrEnum):
    SCHULDENBEWIND = "schuldenbewind"
    TOESTANDENBEWIND = "toestandenbewind"
    BEIDE = "beide"

    @property
    def label(self) -> str:
        return {
            "schuldenbewind": "Schuldenbewind",
            "toestandenbewind": "Toestandenbewind",
            "beide": "Schulden- en toestandenbewind",
        }[self.value]


class CaseStatus(StrEnum):
    AANGEMELD = "aangemeld"
    ACTIEF = "actief"
    BEEINDIGD = "beeindigd"

    @property
    def label(self) -> str:
        return {"aangemeld": "Aangemeld", "actief": "Actief", "beeindigd": "Beëindigd"}[self.value]


# A case that has not ended blocks a second case for the same BSN on its convenant (hub.cases.duplicates); the
# partial unique index below holds the same rule in the database, so two simultaneous openings cannot both succeed.
NOT_ENDED = text("status <> 'beeindigd'")


class Case(SQLModel, table=True):
    """A dossier. The client's identity is field-encrypted; the BSN is findable only through a keyed blind index."""

    __tablename__ = "dossier"
    __table_args__ = (
        Index("ix_dossier_gemeente_status", "gemeente_id", "status"),
        Index("ix_dossier_kantoor_status", "kantoor_id", "status"),
        Index(
            "uq_dossier_convenant_bsn_open",
            "convenant_id",
            "bsn_index",
            unique=True,
            sqlite_where=NOT_ENDED,
            postgresql_where=NOT_ENDED,
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    # A reference that is not the BSN, e.g. 2026-000123; unique across the hub.
    reference: str = Field(max_length=20, unique=True)
    convenant_id: str = Field(foreign_key="convenant.id", index=True, max_length=32)
    # The two parties, copied from the convenant so that every scoped query is one indexed comparison.
    gemeente_id: str = Field(foreign_key="organisation.id", max_length=32)
    kantoor_id: str = Field(foreign_key="organisation.id", max_length=32)
    client_name: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    bsn: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    bsn_index: str = Field(max_length=64, index=True)
    birth_date: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    bewind_kind: str = Field(max_length=20)
    beschikking_date: date  # date of the benoemingsbeschikking; the 3-month bijstand clock starts here (§2.2)
    bewind_start_date: date  # start of the bewind; the 12-month schuldhulp clock starts here (§2.3)
    rechtbank: str = Field(max_length=100)
    status: str = Field(default=CaseStatus.ACTIEF.value, max_length=20)
    schuldregeling_start_date: date | None = None  # the uitstroomverslag is due in the first quarter of year 3
    bewindvoerder_id: str | None = Field(default=None, foreign_key="user_account.id", max_length=32)
    gemeente_contact_id: str | None = Field(default=None, foreign_key="user_account.id", max_length=32)
    created_by: str = Field(foreign_key="user_account.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    def party_ids(self) -> tuple[str, str]:
        return (self.gemeente_id, self.kantoor_id)


class CaseCorrection(SQLModel, table=True):
    """One corrected field of a case: who, when, and the old and new values, field-encrypted (hub.fields)."""

    __tablename__ = "case_correction"
    __table_args__ = (Index("ix_case_correction_case_at", "case_id", "corrected_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_id: str = Field(foreign_key="dossier.id", max_length=32)
    field_name: str = Field(max_length=40)  # a name of hub.cases.corrections.FIELD_LABELS, never a value
    old_value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    new_value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    reason: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    corrected_by: str = Field(foreign_key="user_account.id", max_length=32)
    organisation_id: str = Field(foreign_key="organisation.id", max_length=32)
    corrected_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class CaseNameToken(SQLModel, table=True):
    """The encrypted token index of client names (hub.cases.name_index): a keyed HMAC of each trigram of the
    normalised name, per convenant. Never a plaintext column."""

    __tablename__ = "case_name_token"

    token: str = Field(primary_key=True, max_length=32)
    case_id: str = Field(foreign_key="dossier.id", primary_key=True, max_length=32, index=True)
