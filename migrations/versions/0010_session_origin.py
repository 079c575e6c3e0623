"""user_session.client_address and user_agent: where a login came from, shown to that user on Mijn account

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:30:00

Existing sessions get empty values (shown as "onbekend"); they expire within 12 hours anyway.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_session") as batch:
        batch.add_column(
            sa.Column("client_address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("user_session") as batch:
        batch.drop_column("user_agent")
        batch.drop_column("client_address")
