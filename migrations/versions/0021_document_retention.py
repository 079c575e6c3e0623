"""retention period per organisation and document type (retention, issue 14)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 17:15:00

- ``retention_document_rule``: an organisation's own rule for one document type (hub.retention.document_types):
  ``years`` after the document's date, or NULL for "follows the case". No row: the hub's documented default.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_document_rule",
        sa.Column("organisation_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("doc_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("years", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("organisation_id", "doc_type"),
    )


def downgrade() -> None:
    op.drop_table("retention_document_rule")
