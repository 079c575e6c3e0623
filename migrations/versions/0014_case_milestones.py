"""case milestones: the case's path under the covenant (case_milestone), its running terms (case_term) and the
reminders sent for them (case_term_notice); a case may wait for its beschikking

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 12:00:00

- ``dossier.beschikking_date`` and ``bewind_start_date`` become nullable: a case opened before the court decides
  (adviesrecht, §2.1) has neither until its "beschikking" milestone is recorded.
- ``dossier.terms_stale``: the running terms must be computed again; every existing case starts stale, so the term
  sweep computes its terms once.
- Every existing case gets the milestone its data already states: "beschikking" (the beschikking and bewind start
  dates, recorded by whoever opened the case, at that moment); a case with status ``beeindigd`` also "einde_bewind"
  with the reason ``anders`` (the reason was never recorded).

The downgrade refuses while a case has no beschikking (the old schema cannot hold it); it drops the tables (the
milestones other than the beschikking are lost with them).
"""

from collections.abc import Sequence
from uuid import uuid4

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=32), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.alter_column("beschikking_date", existing_type=sa.Date(), nullable=True)
        batch.alter_column("bewind_start_date", existing_type=sa.Date(), nullable=True)
        batch.add_column(sa.Column("terms_stale", sa.Boolean(), nullable=False, server_default=sa.true()))

    milestone = op.create_table(
        "case_milestone",
        _id("id"),
        _id("case_id"),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("milestone_date", sa.Date(), nullable=False),
        _id("recorded_by"),
        _id("recorded_by_org_id"),
        sa.Column("recorded_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        _id("evidence_document_id", nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("detail_date", sa.Date(), nullable=True),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        _id("supersedes_id", nullable=True),
        sa.Column("void", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["dossier.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["recorded_by_org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["evidence_document_id"], ["document.id"]),
        sa.ForeignKeyConstraint(["supersedes_id"], ["case_milestone.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("supersedes_id"),
    )
    with op.batch_alter_table("case_milestone") as batch:
        batch.create_index("ix_case_milestone_case_kind", ["case_id", "kind"], unique=False)
        batch.create_index("ix_case_milestone_kind_date", ["kind", "milestone_date"], unique=False)

    op.create_table(
        "case_term",
        _id("case_id"),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        _id("owed_by_org_id"),
        _id("gemeente_id"),
        sa.Column("due_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_stage_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["dossier.id"]),
        sa.ForeignKeyConstraint(["owed_by_org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["gemeente_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("case_id", "step"),
    )
    with op.batch_alter_table("case_term") as batch:
        batch.create_index("ix_case_term_next_stage", ["next_stage_on"], unique=False)
        batch.create_index("ix_case_term_owed_due", ["owed_by_org_id", "due_at"], unique=False)

    op.create_table(
        "case_term_notice",
        _id("case_id"),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("due_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "step", "stage", "due_at"),
    )

    # The facts existing cases already state.
    dossier = sa.table(
        "dossier",
        sa.column("id"),
        sa.column("kantoor_id"),
        sa.column("beschikking_date", sa.Date()),
        sa.column("bewind_start_date", sa.Date()),
        sa.column("status"),
        sa.column("created_by"),
        sa.column("created_at", hub.db.UTCDateTime()),
        sa.column("updated_at", hub.db.UTCDateTime()),
    )
    rows = []
    cases = op.get_bind().execute(
        sa.select(
            dossier.c.id, dossier.c.kantoor_id, dossier.c.beschikking_date, dossier.c.bewind_start_date,
            dossier.c.status, dossier.c.created_by, dossier.c.created_at, dossier.c.updated_at,
        )
    ).all()  # fmt: skip
    for case_id, kantoor_id, beschikking, start, status, created_by, created_at, updated_at in cases:
        common = {
            "case_id": case_id,
            "recorded_by": created_by,
            "recorded_by_org_id": kantoor_id,
            "evidence_document_id": None,
            "note": None,
            "supersedes_id": None,
            "void": False,
        }
        rows.append(
            {**common, "id": uuid4().hex, "kind": "beschikking", "milestone_date": beschikking, "detail_date": start,
             "recorded_at": created_at, "outcome": None}
        )  # fmt: skip
        if status == "beeindigd":
            rows.append(
                {**common, "id": uuid4().hex, "kind": "einde_bewind", "milestone_date": updated_at.date(),
                 "detail_date": None, "recorded_at": updated_at, "outcome": "anders"}
            )  # fmt: skip
    if rows:
        op.bulk_insert(milestone, rows)


def downgrade() -> None:
    bind = op.get_bind()
    waiting = bind.execute(sa.text("SELECT count(*) FROM dossier WHERE beschikking_date IS NULL")).scalar_one()
    if waiting:
        raise RuntimeError(
            f"{waiting} case(s) wait for their beschikking; revision 0010 cannot hold a case without one. "
            "Record their beschikking (or remove the cases) before downgrading."
        )
    op.drop_table("case_term_notice")
    with op.batch_alter_table("case_term") as batch:
        batch.drop_index("ix_case_term_owed_due")
        batch.drop_index("ix_case_term_next_stage")
    op.drop_table("case_term")
    with op.batch_alter_table("case_milestone") as batch:
        batch.drop_index("ix_case_milestone_kind_date")
        batch.drop_index("ix_case_milestone_case_kind")
    op.drop_table("case_milestone")
    # The status copied from the milestones stays; the old schema knows aangemeld, actief and beeindigd only.
    op.execute("UPDATE dossier SET status = 'actief' WHERE status IN ('in_schuldregeling', 'uitstroom')")
    with op.batch_alter_table("dossier") as batch:
        batch.drop_column("terms_stale")
        batch.alter_column("bewind_start_date", existing_type=sa.Date(), nullable=False)
        batch.alter_column("beschikking_date", existing_type=sa.Date(), nullable=False)
