"""the worker's heartbeat, for the worker-lag metric (operations, issue 16)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 18:40:00

- ``ops_heartbeat``: one row per periodic job (today only ``worker_sweep``, inserted here) with the moment the newest sweep of any
  worker completed (hub.ops.heartbeat; NULL before the first), so that every server's metrics report the same worker lag.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.db import UTCDateTime

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ops_heartbeat",
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("job"),
    )
    # The one row, there from the start: workers only ever update it (no race between two first inserts).
    op.execute("INSERT INTO ops_heartbeat (job, completed_at) VALUES ('worker_sweep', NULL)")


def downgrade() -> None:
    op.drop_table("ops_heartbeat")
