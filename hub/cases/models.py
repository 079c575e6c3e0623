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
    """Where a case stands on the covenant's path. Set by its milestones (hub.cases.milestones.status_for), never
    typed in; stored on the case for the lists."""

    AANGEMELD = "aangemeld"  # opened before the court decided (adviesrecht, §2.1): no beschikking yet
    ACTIEF = "actief"  # the beschikking is recorded: the bewind runs
    IN_SCHULDREGELING = "in_schuldregeling"  # a schuldregeling (minnelijk or Wsnp) started (§2.3)
    UITSTROOM = "uitstroom"  # the uitstroomverslag says the client leaves bewind (§2.5)
    BEEINDIGD = "beeindigd"  # einde bewind recorded: read-only but for nazorg

    @property
    def label(self) -> str:
        return {
            "aangemeld": "Aangemeld",
            "actief": "Actief",
            "in_schuldregeling": "In schuldregeling",
            "uitstroom": "Uitstroom",
            "beeindigd": "Beëindigd",
        }[self.value]


# A case that has not ended blocks a second case for the same BSN on its convenant (hub.cases.duplicates); the
# partial unique index below holds the same rule in the database, so two simultaneous openings cannot both succeed.
NOT_ENDED = text("status <> 'beeindigd'")


# Why a change to an ended case (Case.ended) is refused: its documents, its assignment.
CASE_ENDED = "Het dossier is beëindigd: er kan niets meer worden gewijzigd of toegevoegd."


class Case(SQLModel, table=True):
    """A dossier. The client's identity is field-encrypted; the BSN is findable only through a keyed blind index."""

    __tablename__ = "dossier"
    __table_args__ = (
        Index("ix_dossier_gemeente_status", "gemeente_id", "status"),
        Index("ix_dossier_kantoor_status", "kantoor_id", "status"),
        # The case lists' order (hub.cases.queries.list_cases): a page is read from the index, not sorted.
        Index("ix_dossier_kantoor_created", "kantoor_id", "created_at", "reference"),
        Index("ix_dossier_gemeente_created", "gemeente_id", "created_at", "reference"),
        # The monitoring (hub.monitoring.queries) reads a gemeente's cases in id order with these (covering).
        Index("ix_dossier_gemeente_case", "gemeente_id", "id", "kantoor_id", "bewind_kind"),
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
    # A reference that is not the BSN: the year and a random number, e.g. 2026-483917 (hub.cases.opening); unique
    # across the hub. Older ones were numbered in sequence (2026-000123).
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
    # Both None until the beschikking is recorded (a case opened before the court decided, §2.1); kept in step with
    # the effective "beschikking ontvangen" milestone.
    beschikking_date: date | None = None  # date of the benoemingsbeschikking; the 3-month bijstand term (§2.2)
    bewind_start_date: date | None = None  # start of the bewind; the 12-month schuldhulp term starts here (§2.3)
    rechtbank: str = Field(max_length=100)
    status: str = Field(default=CaseStatus.ACTIEF.value, max_length=20)
    # The effective "start schuldregeling" milestone's date: the uitstroomverslag is due in the first quarter of year 3.
    schuldregeling_start_date: date | None = None
    # The running terms (case_term) must be computed again: set by a migration, a closing day of the gemeente or a
    # corrected bewind kind, and cleared by whoever recomputes them (the term sweep, or recording a milestone).
    terms_stale: bool = Field(default=False)
    bewindvoerder_id: str | None = Field(default=None, foreign_key="user_account.id", max_length=32)
    gemeente_contact_id: str | None = Field(default=None, foreign_key="user_account.id", max_length=32)
    created_by: str = Field(foreign_key="user_account.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # Legal hold (hub.retention.legal_hold): while set, retention never deletes the case. The reason is
    # field-encrypted; legal_hold_by is a user id (no foreign key: users are blocked, never deleted).
    legal_hold_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    legal_hold_by: str | None = Field(default=None, max_length=32)
    legal_hold_reason: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))

    def party_ids(self) -> tuple[str, str]:
        return (self.gemeente_id, self.kantoor_id)

    @property
    def ended(self) -> bool:
        """Einde bewind is recorded: the case is read-only (its documents, assignment and data) but for the steps
        that follow the end (nazorg, the stop of the bijstand: hub.cases.milestones ``after_end``)."""
        return self.status == CaseStatus.BEEINDIGD.value


class CaseMilestone(SQLModel, table=True):
    """One fact on the case's path (hub.cases.milestones names the kinds and what their details mean).

    Append-only: a mistake is corrected by a new row that ``supersedes`` the old one (with ``void`` when the fact did
    not happen at all); the old row stays, so the history shows who said what, when. The effective milestones are
    those no later row supersedes.
    """

    __tablename__ = "case_milestone"
    __table_args__ = (
        Index("ix_case_milestone_case_kind", "case_id", "kind"),
        # Monitoring (issue 13) counts milestones of a kind per year.
        Index("ix_case_milestone_kind_date", "kind", "milestone_date"),
        # ... and every case's milestones of the counted kinds with what the figures read (covering).
        Index(
            "ix_case_milestone_monitoring",
            "case_id",
            "kind",
            "void",
            "milestone_date",
            "detail_date",
            "outcome",
            "id",
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_id: str = Field(foreign_key="dossier.id", max_length=32)
    kind: str = Field(max_length=40)  # MilestoneKind
    milestone_date: date  # the day it happened
    recorded_by: str = Field(foreign_key="user_account.id", max_length=32)
    recorded_by_org_id: str = Field(foreign_key="organisation.id", max_length=32)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    evidence_document_id: str | None = Field(default=None, foreign_key="document.id", max_length=32)
    # The kind's structured details: a fixed choice (advies, besluit, soort schuldregeling, reden einde, ...) and a
    # second date (sent to the rechtbank, the agreed new date, the day of the change, the start of the bewind).
    outcome: str | None = Field(default=None, max_length=40)
    detail_date: date | None = None
    note: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))  # field-encrypted text
    supersedes_id: str | None = Field(default=None, foreign_key="case_milestone.id", unique=True, max_length=32)
    void: bool = False  # this row withdraws the one it supersedes
    # Aanvraag bijzondere bijstand (§2.2): the client lives in a beschermde woonvorm or Wlz-instelling, so the
    # evidence includes a CAK-nota (hub.cases.bijstand_evidence).
    beschermd_wonen: bool = False


class CaseMilestoneEvidence(SQLModel, table=True):
    """One item of a milestone's evidence checklist (hub.cases.bijstand_evidence) and the case's own document that
    proves it. Written with the milestone and never changed: a correction is a new milestone with its own links."""

    __tablename__ = "case_milestone_evidence"

    milestone_id: str = Field(foreign_key="case_milestone.id", primary_key=True, max_length=32)
    item: str = Field(primary_key=True, max_length=40)  # EvidenceItem
    document_id: str = Field(foreign_key="document.id", max_length=32, index=True)


class CaseTerm(SQLModel, table=True):
    """A running deadline of a case's path (derived from its milestones, like a reaction clock from its messages):
    who owes the step and by when. Recomputed whenever the case's milestones change; what the term sweep and the
    work lists read."""

    __tablename__ = "case_term"
    __table_args__ = (
        Index("ix_case_term_next_stage", "next_stage_on"),
        Index("ix_case_term_owed_due", "owed_by_org_id", "due_at"),
    )

    case_id: str = Field(foreign_key="dossier.id", primary_key=True, max_length=32)
    step: str = Field(primary_key=True, max_length=40)  # StepKind
    owed_by_org_id: str = Field(foreign_key="organisation.id", max_length=32)
    gemeente_id: str = Field(foreign_key="organisation.id", max_length=32)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The first day on which a reminder stage not yet handled begins (a warning, the due day, the day after);
    # None once "verlopen" was handled. The sweep selects on it.
    next_stage_on: date | None = None


class CaseTermNotice(SQLModel, table=True):
    """That a reminder stage of a case term was handled for one due moment: at most once, whoever received it."""

    __tablename__ = "case_term_notice"

    case_id: str = Field(primary_key=True, max_length=32)
    step: str = Field(primary_key=True, max_length=40)
    stage: str = Field(primary_key=True, max_length=20)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


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


class CaseVisit(SQLModel, table=True):
    """When a user last opened a case's page: documents uploaded since by someone else are marked "nieuw"
    (hub.cases.visits). The case's twin of messaging's ThreadRead."""

    __tablename__ = "case_visit"

    # The key starts with the user: a page asks for one user's visit of one case.
    user_id: str = Field(foreign_key="user_account.id", primary_key=True, max_length=32)
    case_id: str = Field(foreign_key="dossier.id", primary_key=True, max_length=32, index=True)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
