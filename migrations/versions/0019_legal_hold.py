"""legal hold per case, retention period per organisation (retention, issue 14)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 17:00:00

- ``dossier.legal_hold_at``, ``legal_hold_by`` and ``legal_hold_reason`` (field-encrypted): a case on legal hold is
  never deleted by retention (hub.retention). Plain added columns, no table rebuild: the case table's partial unique
  index stays as it is on SQLite. ``legal_hold_by`` names a user id without a foreign key, like the audit log: users
  are blocked, never deleted.
- ``organisation.retention_case_years``: an organisation's own period for ended cases (None: the setting).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("dossier", sa.Column("legal_hold_at", hub.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column("dossier", sa.Column("legal_hold_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.add_column("dossier", sa.Column("legal_hold_reason", sa.LargeBinary(), nullable=True))
    op.add_column("organisation", sa.Column("retention_case_years", sa.Integer(), nullable=True))


def downgrade() -> None:
    # SQLite (3.35+) drops a plain column in place; none of these is indexed or constrained.
    op.drop_column("organisation", "retention_case_years")
    op.drop_column("dossier", "legal_hold_reason")
    op.drop_column("dossier", "legal_hold_by")
    op.drop_column("dossier", "legal_hold_at")
