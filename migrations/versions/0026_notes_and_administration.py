"""internal notes; removed users; ended organisations (issue 15, notes and administration)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 18:30:00

- ``internal_note``: a note on a case or on a thread that only its author's organisation sees (hub.notes). The
  body is field-encrypted like a message body; ``organisation_id`` is the one organisation that may read it. Exactly
  one of ``case_id`` and ``thread_id`` is set; retention deletes a case's notes with it.
- ``user_account.removed_at``: a user removed by their administrator (hub.accounts.user_admin): cannot log in,
  keeps their name in the audit log and in messages.
- ``organisation.ended_on``: the day an organisation ended; its convenants end on that day too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "internal_note",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("organisation_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("thread_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["dossier.id"]),
        sa.ForeignKeyConstraint(["thread_id"], ["message_thread.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("(case_id IS NULL) <> (thread_id IS NULL)", name="ck_internal_note_one_subject"),
    )
    op.create_index("ix_internal_note_case", "internal_note", ["case_id", "organisation_id", "created_at"])
    op.create_index("ix_internal_note_thread", "internal_note", ["thread_id", "organisation_id", "created_at"])
    op.add_column("user_account", sa.Column("removed_at", hub.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column("organisation", sa.Column("ended_on", sa.Date(), nullable=True))


def downgrade() -> None:
    # SQLite (3.35+) drops a plain column in place; neither is indexed or constrained.
    op.drop_column("organisation", "ended_on")
    op.drop_column("user_account", "removed_at")
    op.drop_index("ix_internal_note_thread", table_name="internal_note")
    op.drop_index("ix_internal_note_case", table_name="internal_note")
    op.drop_table("internal_note")
