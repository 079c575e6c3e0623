"""an organisation token's stored integration actor (issue 17)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 21:30:00

- ``user_account.kind``: ``person`` (every existing user) or ``integration``: the actor of an organisation's API
  token (hub.accounts.api_tokens), a row with the token's id that documents and messages name as their author. It
  never logs in and is in no list of people.
- Every existing organisation token gets its actor (disabled when the token is revoked or expired), with the token's
  id: the audit records its calls made before this revision already carry that id.

Downgrade: the actors stay (documents and messages may name them), removed and disabled, so that the earlier code
lists them nowhere it lists the people who may log in; the column goes.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import hub.db

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_tokens = sa.table(
    "api_token",
    sa.column("id", sa.String),
    sa.column("organisation_id", sa.String),
    sa.column("user_id", sa.String),
    sa.column("role", sa.String),
    sa.column("name", sa.String),
    sa.column("created_at", hub.db.UTCDateTime()),
    sa.column("expires_at", hub.db.UTCDateTime()),
    sa.column("revoked_at", hub.db.UTCDateTime()),
)
_users = sa.table(
    "user_account",
    sa.column("id", sa.String),
    sa.column("organisation_id", sa.String),
    sa.column("name", sa.String),
    sa.column("email", sa.String),
    sa.column("roles", sa.String),
    sa.column("password_hash", sa.String),
    sa.column("must_change_password", sa.Boolean),
    sa.column("disabled", sa.Boolean),
    sa.column("notify_mode", sa.String),
    sa.column("created_at", hub.db.UTCDateTime()),
    sa.column("removed_at", hub.db.UTCDateTime()),
    sa.column("kind", sa.String),
)


def upgrade() -> None:
    op.add_column("user_account", sa.Column("kind", sa.String(length=20), nullable=False, server_default="person"))
    conn = op.get_bind()
    now = datetime.now(UTC)
    org_tokens = conn.execute(sa.select(_tokens).where(_tokens.c.user_id.is_(None))).all()
    existing = set(conn.execute(sa.select(_users.c.id).where(_users.c.id.in_([t.id for t in org_tokens]))).scalars())
    for token in org_tokens:
        ended = token.revoked_at is not None or token.expires_at <= now
        if token.id in existing:  # an earlier downgrade left it removed: it is the token's actor again
            conn.execute(
                _users.update()
                .where(_users.c.id == token.id)
                .values(kind="integration", removed_at=None, disabled=ended)
            )
            continue
        conn.execute(
            _users.insert().values(
                id=token.id, organisation_id=token.organisation_id, name=f"API-koppeling {token.name}"[:200],
                email=f"api-{token.id}@koppeling.invalid", roles=token.role or "", password_hash="!",  # noqa: S106
                must_change_password=False, disabled=ended, notify_mode="direct", created_at=token.created_at,
                removed_at=None, kind="integration",
            )
        )  # fmt: skip


def downgrade() -> None:
    op.execute(
        _users.update()
        .where(_users.c.kind == "integration")
        .values(disabled=True, removed_at=sa.func.coalesce(_users.c.removed_at, datetime.now(UTC)))
    )
    # SQLite (3.35+) drops a plain column in place; it is neither indexed nor constrained.
    op.drop_column("user_account", "kind")
