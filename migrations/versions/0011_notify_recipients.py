"""message_thread.bijzondere_bijstand, and outbox_mail.moved_terms / moved_werkdagen: who is told (issue 11)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 10:00:00

A thread marked as about bijzondere bijstand also reaches the gemeente's consulenten bijzondere bijstand; existing
threads are not marked. A "termijnen verschoven" mail (a gemeente's closing days moved running terms) says how many
terms moved and by how many werkdagen at most; other rows leave both NULL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message_thread") as batch:
        batch.add_column(sa.Column("bijzondere_bijstand", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("outbox_mail") as batch:
        batch.add_column(sa.Column("moved_terms", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("moved_werkdagen", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_mail") as batch:
        batch.drop_column("moved_werkdagen")
        batch.drop_column("moved_terms")
    with op.batch_alter_table("message_thread") as batch:
        batch.drop_column("bijzondere_bijstand")
