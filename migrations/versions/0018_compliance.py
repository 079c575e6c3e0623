"""steekproef op rechtmatigheid, and the routekaart's contacts per topic

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 16:30:00

- ``steekproef``: one draw of bijzondere-bijstand cases (§2.2) with its seed, population, rates and result, so that
  anyone can recompute it (hub.monitoring.steekproef).
- ``steekproef_case``: each drawn case with the contractmanager's finding (the note field-encrypted).
- ``topic_contact``: an organisation's contact per topic of the routekaart (schuldhulp, bijzondere bijstand,
  uitstroom); none at first, so every topic falls back to the organisation's fixed contact.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=32), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "steekproef",
        _id("id"),
        _id("gemeente_id"),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("algorithm", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("seed", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rate_deelnemer_bp", sa.Integer(), nullable=False),
        sa.Column("rate_buiten_bp", sa.Integer(), nullable=False),
        sa.Column("population", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        _id("drawn_by"),
        sa.Column("drawn_at", hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["gemeente_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["drawn_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_steekproef_gemeente_drawn", "steekproef", ["gemeente_id", "drawn_at"])
    op.create_table(
        "steekproef_case",
        _id("id"),
        _id("steekproef_id"),
        _id("case_id"),
        sa.Column("stratum", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        _id("assessed_by", nullable=True),
        sa.Column("assessed_at", hub.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["steekproef_id"], ["steekproef.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["dossier.id"]),
        sa.ForeignKeyConstraint(["assessed_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("steekproef_id", "case_id", name="uq_steekproef_case"),
    )
    op.create_table(
        "topic_contact",
        _id("organisation_id"),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("person", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("organisation_id", "topic"),
    )


def downgrade() -> None:
    op.drop_table("topic_contact")
    op.drop_table("steekproef_case")
    op.drop_index("ix_steekproef_gemeente_drawn", table_name="steekproef")
    op.drop_table("steekproef")
