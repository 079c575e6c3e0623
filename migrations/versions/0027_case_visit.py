"""a user's last visit to a case: documents new since are marked (issue 15)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 18:30:00

- ``case_visit``: per user and case, when the user last opened the case page (hub.cases.visits); documents uploaded
  by someone else since are marked "nieuw" in the lists to attach or choose from.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_visit",
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("last_seen_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["dossier.id"]),
        sa.PrimaryKeyConstraint("user_id", "case_id"),
    )
    op.create_index("ix_case_visit_case_id", "case_visit", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_visit_case_id", table_name="case_visit")
    op.drop_table("case_visit")
