"""organisation documents: the signed convenant and the quality documents of §3 in the vault (issue 13)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 18:30:00

- ``document.case_id`` and ``document.gemeente_id`` become nullable: an organisation document belongs to no case
  (and a kantoor's quality document to no gemeente). A check keeps every case document's gemeente.
- ``organisation_document``: one row per such document (hub.orgdocs.models): the convenant it belongs to (the
  signed convenant) or none (a kantoor's quality document), and the validity end of a kwaliteitsverklaring.

Downgrade forgets the organisation documents (their rows; the orphan sweep removes their blobs).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_HAS_GEMEENTE = "ck_document_case_has_gemeente"


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.alter_column("case_id", existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        batch.alter_column("gemeente_id", existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        batch.create_check_constraint(CASE_HAS_GEMEENTE, "case_id IS NULL OR gemeente_id IS NOT NULL")
    op.create_table(
        "organisation_document",
        sa.Column("document_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("convenant_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.ForeignKeyConstraint(["convenant_id"], ["convenant.id"]),
        sa.PrimaryKeyConstraint("document_id"),
    )
    op.create_index("ix_organisation_document_convenant_id", "organisation_document", ["convenant_id"])


def downgrade() -> None:
    op.drop_index("ix_organisation_document_convenant_id", table_name="organisation_document")
    op.drop_table("organisation_document")
    op.execute("DELETE FROM document WHERE case_id IS NULL")
    with op.batch_alter_table("document") as batch:
        batch.drop_constraint(CASE_HAS_GEMEENTE, type_="check")
        batch.alter_column("gemeente_id", existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False)
        batch.alter_column("case_id", existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False)
