"""message.form_token: the digest of the one-time token of the form a message was sent with

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 14:20:00

A retried submission of the same form (its answer was lost, the user pressed again) finds the first message by this
digest instead of posting it twice. Unique; NULL for messages sent without a form token (older ones, the demo).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("form_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.create_unique_constraint("uq_message_form_token", ["form_token"])


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_constraint("uq_message_form_token", type_="unique")
        batch.drop_column("form_token")
