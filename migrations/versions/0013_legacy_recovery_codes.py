"""recovery_code.legacy_until: recovery codes of the old 50-bit kind expire

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09 10:00:00

Until December 2026 recovery codes had 50 bits and were stored as an unkeyed SHA-256; newer ones have 80 bits and
are stored as an HMAC under the keyring's index key. The stored hashes look alike, so which rows are of the old kind
cannot be told from the database. Every row that exists at this upgrade may be, and gets ``legacy_until``: the
upgrade moment plus LEGACY_GRACE_DAYS. A code matched through the old SHA-256 is accepted only until then; a code
matched through the HMAC is not affected. Rows made from now on are of the new kind (``legacy_until`` NULL). The
account page tells a user with such rows to make new codes.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_GRACE_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table("recovery_code") as batch:
        batch.add_column(sa.Column("legacy_until", hub.db.UTCDateTime(timezone=True), nullable=True))
    codes = sa.table("recovery_code", sa.column("legacy_until", hub.db.UTCDateTime(timezone=True)))
    cutoff = datetime.now(UTC) + timedelta(days=LEGACY_GRACE_DAYS)
    op.execute(codes.update().values(legacy_until=cutoff))


def downgrade() -> None:
    with op.batch_alter_table("recovery_code") as batch:
        batch.drop_column("legacy_until")
