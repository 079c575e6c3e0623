"""The SQL twin of :func:`hub.cases.milestones.effective`'s rule, for queries that read many cases at once (the
monitoring): a milestone is in force when it is not a withdrawal (``void``) and no other record supersedes it.

A kind that is not repeatable has at most one milestone in force per case (recording a second one is refused, a
correction supersedes the first), so aggregating the rows in force per case and kind gives what
:func:`hub.cases.milestones.latest` gives for those kinds. tests/monitoring/test_seeded_figures.py checks that the two
agree, corrections and withdrawals included.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from hub.cases.models import CaseMilestone


def in_force() -> ColumnElement[bool]:
    """The condition on ``case_milestone`` rows (the unaliased table) that keeps the milestones in force."""
    # NOT IN over the (few) superseded ids, not a correlated NOT EXISTS: both databases then hash or index that list
    # once instead of probing the whole table for every row (PostgreSQL sorted both sides for a merge anti-join).
    later = aliased(CaseMilestone)
    superseded = select(col(later.supersedes_id)).where(col(later.supersedes_id).is_not(None))
    return and_(col(CaseMilestone.void).is_(False), col(CaseMilestone.id).not_in(superseded))
