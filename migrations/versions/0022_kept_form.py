"""kept forms: what a user typed when their session had ended (restore, issue 15)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 18:30:00

- ``kept_form``: the text fields of a form posted after the session had ended, encrypted
  (hub.fields.KEPT_FORM_FIELDS), found by the SHA-256 of a random cookie reference, for at most 30 minutes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.db import UTCDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kept_form",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reference_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("return_path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("form_path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("fields", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference_hash"),
    )
    op.create_index("ix_kept_form_user_id", "kept_form", ["user_id"])
    op.create_index("ix_kept_form_expires_at", "kept_form", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_kept_form_expires_at", table_name="kept_form")
    op.drop_index("ix_kept_form_user_id", table_name="kept_form")
    op.drop_table("kept_form")
