"""account enrolment: single-use enrolment links and expiring one-time passwords

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 14:00:00

``enrolment_token`` holds the SHA-256 of each mailed enrolment link (the token itself exists only in the mail), its
expiry and when it was used. ``user_account.password_expires_at``: after this moment a one-time password no longer
logs in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enrolment_token",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", hub.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", hub.db.UTCDateTime(), nullable=False),
        sa.Column("used_at", hub.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_enrolment_token_user_id"), "enrolment_token", ["user_id"], unique=False)
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("password_expires_at", hub.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("password_expires_at")
    op.drop_index(op.f("ix_enrolment_token_user_id"), table_name="enrolment_token")
    op.drop_table("enrolment_token")
