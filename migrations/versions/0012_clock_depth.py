"""reaction_clock.depth replaces handed_over: counter-questions nest (the turn is a stack)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 10:00:00

A clock's depth is 0 for the original question and d + 1 for the clocks a vraag om informatie of the party owing at
depth d started (hub.messaging.clocks). Existing rows: handed_over=True becomes depth 1, False depth 0 (before this
revision a counter-question to a counter-question was also recorded as merely handed over; its depth is not
recoverable, and 1 is what the old rules acted on). The downgrade marks every clock with depth > 0 as handed over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOCKS = sa.table(
    "reaction_clock",
    sa.column("id", sa.String()),
    sa.column("handed_over", sa.Boolean()),
    sa.column("depth", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("reaction_clock") as batch:
        batch.add_column(sa.Column("depth", sa.Integer(), nullable=False, server_default="0"))
    op.execute(CLOCKS.update().where(CLOCKS.c.handed_over == sa.true()).values(depth=1))
    with op.batch_alter_table("reaction_clock") as batch:
        batch.drop_column("handed_over")


def downgrade() -> None:
    with op.batch_alter_table("reaction_clock") as batch:
        batch.add_column(sa.Column("handed_over", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(CLOCKS.update().where(CLOCKS.c.depth > 0).values(handed_over=True))
    with op.batch_alter_table("reaction_clock") as batch:
        batch.drop_column("depth")
