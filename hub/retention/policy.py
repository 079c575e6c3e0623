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

    def case_years_for(self, *party_years: int | None) -> int:
        """A case's period: the longer of its parties' own periods (an organisation without one has the default);
        each party keeps the case as long as it needs it."""
        return max((years or self.case_years for years in party_years), default=self.case_years)

    def case_cutoff(self, today: date, years: int | None = None) -> date:
        """A case that ended on or before this day is due: ``years`` (default ``case_years``) whole years ago
        (29 February → 28th)."""
        years = years or self.case_years
        try:
            return today.replace(year=today.year - years)
        except ValueError:
            return today.replace(year=today.year - years, day=28)

    def withdrawn_cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.withdrawn_days)

    def outbox_cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.outbox_days)


def ended_on(milestones: Iterable[CaseMilestone]) -> date | None:
    """The day an ended case's path last moved: its einde bewind, or a nazorg step recorded after it. Only for a case
    whose status is *beëindigd*; None when it has no effective milestone (not expected for an ended case)."""
    days = [m.milestone_date for m in effective(milestones)]
    return max(days, default=None)
