"""case list order: an organisation's cases newest first, read in order from an index

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 21:45:00

- ``ix_dossier_kantoor_created`` and ``ix_dossier_gemeente_created``: a kantoor's (a gemeente's) cases in the
  order of the case lists (``created_at``, then ``reference``), so a page of the list (``/dossiers``,
  ``GET /api/v1/cases``) reads its rows from the index and stops, instead of sorting every case of the organisation
  (bench/api_bench.py: 100 of 20 000 cases).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_dossier_kantoor_created", "dossier", ["kantoor_id", "created_at", "reference"])
    op.create_index("ix_dossier_gemeente_created", "dossier", ["gemeente_id", "created_at", "reference"])


def downgrade() -> None:
    op.drop_index("ix_dossier_gemeente_created", table_name="dossier")
    op.drop_index("ix_dossier_kantoor_created", table_name="dossier")
