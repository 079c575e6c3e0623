"""audit log append-only in the database; document size as a 64-bit integer

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:20:00

The hash chain finds a changed or removed audit record afterwards; these triggers refuse the change in the first
place, for anyone who is not also allowed to change the schema. document.size was a 32-bit INTEGER on PostgreSQL,
too small for uploads of 2 GiB and more (HUB_MAX_UPLOAD_MB allows up to 10 GiB).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit_event is append-only"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # SQLite's INTEGER holds 64 bits already (and a type change there would copy the whole table).
        op.alter_column("document", "size", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)
        op.execute(
            f"""
            CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION audit_event_refuse_change()")
        op.alter_column("document", "size", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
    else:
        op.execute("DROP TRIGGER audit_event_no_delete")
        op.execute("DROP TRIGGER audit_event_no_update")
