"""clock_notice records its due moment in a column of its own

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:25:00

Until now the due moment a reminder stage was handled for was kept inside ``stage`` ("verlopen:1777499999", epoch
seconds). It becomes the column ``due_at``, part of the primary key (clock_id, stage, due_at). The table is small
(a few rows per reaction clock), so it is rebuilt: rows read, table recreated, rows written back; on PostgreSQL in
one transaction.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(with_due_at: bool) -> sa.Table:
    columns: list[sa.Column] = [
        sa.Column("clock_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    ]
    key = ["clock_id", "stage"]
    if with_due_at:
        columns.append(sa.Column("due_at", hub.db.UTCDateTime(timezone=True), nullable=False))
        key.append("due_at")
    columns.append(sa.Column("created_at", hub.db.UTCDateTime(timezone=True), nullable=False))
    return op.create_table("clock_notice", *columns, sa.PrimaryKeyConstraint(*key))


def upgrade() -> None:
    bind = op.get_bind()
    old = sa.table(
        "clock_notice", sa.column("clock_id"), sa.column("stage"), sa.column("created_at", hub.db.UTCDateTime())
    )
    clocks = sa.table("reaction_clock", sa.column("id"), sa.column("due_at", hub.db.UTCDateTime()))
    current_due = dict(bind.execute(sa.select(clocks.c.id, clocks.c.due_at)).all())
    rows = []
    for clock_id, stage, created_at in bind.execute(sa.select(old.c.clock_id, old.c.stage, old.c.created_at)).all():
        name, _, epoch = stage.partition(":")
        if epoch.isdigit():
            due_at = datetime.fromtimestamp(int(epoch), UTC)
        else:  # written before due moments were recorded: it was for the clock's due moment then, taken as now
            due_at = current_due.get(clock_id) or created_at
        rows.append({"clock_id": clock_id, "stage": name, "due_at": due_at, "created_at": created_at})
    op.drop_table("clock_notice")
    table = _create(with_due_at=True)
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    bind = op.get_bind()
    new = sa.table(
        "clock_notice",
        sa.column("clock_id"),
        sa.column("stage"),
        sa.column("due_at", hub.db.UTCDateTime()),
        sa.column("created_at", hub.db.UTCDateTime()),
    )
    rows = [
        {"clock_id": clock_id, "stage": f"{stage}:{int(due_at.timestamp())}", "created_at": created_at}
        for clock_id, stage, due_at, created_at in bind.execute(
            sa.select(new.c.clock_id, new.c.stage, new.c.due_at, new.c.created_at)
        ).all()
    ]
    op.drop_table("clock_notice")
    table = _create(with_due_at=False)
    if rows:
        op.bulk_insert(table, rows)
