"""audit_event records the client address and user agent of authentication events

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 14:10:00

Two nullable columns, filled only for records made from a request (login, logout, MFA, ...). Existing records keep
NULL there and keep their hub-audit-v1 hash; records with either field are hashed as hub-audit-v2 (hub.audit.services).
Adding and dropping a column leaves the append-only triggers of 0005 in place on both backends (SQLite >= 3.35 drops
a column in place). A downgrade drops the two fields, so hub-audit-v2 records written since no longer verify.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("client_address", sqlmodel.sql.sqltypes.AutoString(length=64)))
    op.add_column("audit_event", sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=200)))


def downgrade() -> None:
    # Plain ALTER TABLE on both backends: Alembic's SQLite batch mode would copy the table and lose its triggers.
    op.execute("ALTER TABLE audit_event DROP COLUMN user_agent")
    op.execute("ALTER TABLE audit_event DROP COLUMN client_address")
