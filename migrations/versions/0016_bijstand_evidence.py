"""the evidence checklist of the aanvraag bijzondere bijstand

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 16:30:00

- ``case_milestone.beschermd_wonen``: the client lives in a beschermde woonvorm or Wlz-instelling (a CAK-nota is
  then part of the evidence); false for every existing milestone.
- ``case_milestone_evidence``: per milestone and checklist item (benoemingsbeschikking, nota periodieke kosten,
  CAK-nota) the case's document that proves it. Applications recorded before this have no links: they stay as they
  were recorded.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_milestone") as batch:
        batch.add_column(sa.Column("beschermd_wonen", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "case_milestone_evidence",
        sa.Column("milestone_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("document_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(["milestone_id"], ["case_milestone.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.PrimaryKeyConstraint("milestone_id", "item"),
    )
    op.create_index("ix_case_milestone_evidence_document_id", "case_milestone_evidence", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_case_milestone_evidence_document_id", table_name="case_milestone_evidence")
    op.drop_table("case_milestone_evidence")
    with op.batch_alter_table("case_milestone") as batch:
        batch.drop_column("beschermd_wonen")
