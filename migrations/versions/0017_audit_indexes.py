"""audit_event indexes for the Auditlog page and the export: by organisation and by moment

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10 10:00:00

The functionaris gegevensbescherming's Auditlog page selects the records of one organisation's users
(``organisation_id``) and a period (``at``); ``hub audit export --since`` selects by moment. The records about an
organisation's cases are found through ``object_id``, which has its index since 0002. No data changes: the hash
chain does not cover indexes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.create_index("ix_audit_event_organisation_id", ["organisation_id"], unique=False)
        batch.create_index("ix_audit_event_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_index("ix_audit_event_at")
        batch.drop_index("ix_audit_event_organisation_id")
