"""case corrections, the client-name token index, one running case per BSN and convenant, withdrawn documents

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-09 10:00:00

- ``case_correction``: the history of corrected case fields (old and new values and the reason field-encrypted).
- ``case_name_token``: the keyed-HMAC trigram tokens of client names for the name search; the hub fills it for
  existing cases at its next start (hub.cases.name_index.index_missing_names), since a migration has no keys.
- ``uq_dossier_convenant_bsn_open``: a partial unique index, one case per BSN and convenant that has not ended.
  The upgrade stops, naming the case references (never a BSN), when existing cases break that rule: end or
  correct one of each pair first.
- ``document.withdrawn_at``, ``withdrawn_by`` and ``withdrawal_reason`` (field-encrypted).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_ENDED = sa.text("status <> 'beeindigd'")


def _refuse_existing_duplicates() -> None:
    rows = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT a.reference, b.reference FROM dossier a JOIN dossier b ON a.convenant_id = b.convenant_id "
                "AND a.bsn_index = b.bsn_index AND a.id < b.id "
                "WHERE a.status <> 'beeindigd' AND b.status <> 'beeindigd' ORDER BY a.reference, b.reference"
            )
        )
        .all()
    )
    if rows:
        pairs = ", ".join(f"{a} en {b}" for a, b in rows)
        raise RuntimeError(
            "Revision 0011 allows one running case per BSN and convenant, and these cases break that rule: "
            f"{pairs}. End or correct one case of each pair, then run the migration again."
        )


def upgrade() -> None:
    _refuse_existing_duplicates()
    op.create_index(
        "uq_dossier_convenant_bsn_open",
        "dossier",
        ["convenant_id", "bsn_index"],
        unique=True,
        sqlite_where=NOT_ENDED,
        postgresql_where=NOT_ENDED,
    )
    op.create_table(
        "case_correction",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("field_name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("old_value", sa.LargeBinary(), nullable=False),
        sa.Column("new_value", sa.LargeBinary(), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=True),
        sa.Column("corrected_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("organisation_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("corrected_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["dossier.id"]),
        sa.ForeignKeyConstraint(["corrected_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_correction_case_at", "case_correction", ["case_id", "corrected_at"])
    op.create_table(
        "case_name_token",
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["dossier.id"]),
        sa.PrimaryKeyConstraint("token", "case_id"),
    )
    op.create_index("ix_case_name_token_case_id", "case_name_token", ["case_id"])
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("withdrawn_at", hub.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("withdrawn_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column("withdrawal_reason", sa.LargeBinary(), nullable=True))
        batch.create_foreign_key("fk_document_withdrawn_by_user_account", "user_account", ["withdrawn_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.drop_constraint("fk_document_withdrawn_by_user_account", type_="foreignkey")
        batch.drop_column("withdrawal_reason")
        batch.drop_column("withdrawn_by")
        batch.drop_column("withdrawn_at")
    op.drop_index("ix_case_name_token_case_id", table_name="case_name_token")
    op.drop_table("case_name_token")
    op.drop_index("ix_case_correction_case_at", table_name="case_correction")
    op.drop_table("case_correction")
    op.drop_index("uq_dossier_convenant_bsn_open", table_name="dossier")
