"""The retention periods and the one rule for when a case ended."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hub.cases.milestones import effective
from hub.cases.models import CaseMilestone


@dataclass(frozen=True)
class RetentionPolicy:
    """How long the hub keeps what (README "Retention" gives the defaults and their sources)."""

    case_years: int = 7  # after the case ended
    withdrawn_days: int = 30  # after a document's withdrawal
    outbox_days: int = 90  # after a mail outbox row was made

    def case_cutoff(self, today: date) -> date:
        """A case that ended on or before this day is due: ``case_years`` whole years ago (29 February → 28th)."""
        try:
            return today.replace(year=today.year - self.case_years)
        except ValueError:
            return today.replace(year=today.year - self.case_years, day=28)

    def withdrawn_cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.withdrawn_days)

    def outbox_cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.outbox_days)


def ended_on(milestones: Iterable[CaseMilestone]) -> date | None:
    """The day an ended case's path last moved: its einde bewind, or a nazorg step recorded after it. Only for a case
    whose status is *beëindigd*; None when it has no effective milestone (not expected for an ended case)."""
    days = [m.milestone_date for m in effective(milestones)]
    return max(days, default=None)
