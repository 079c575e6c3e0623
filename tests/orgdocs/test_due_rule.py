"""When a quality document is due again (hub.orgdocs.quality.due_again over hub.terms): a kwaliteitsverklaring at
the end of its last valid day, a decharge HUB_DECHARGE_MONTHS after its date, moved to a werkdag; overdue only once
the due day is over."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from hub.config import ConfigError, load_settings
from hub.orgdocs.models import OrgDocKind
from hub.orgdocs.quality import due_again
from hub.terms import AMSTERDAM, is_overdue


def test_kwaliteitsverklaring_is_due_at_the_end_of_its_last_valid_day() -> None:
    due = due_again(OrgDocKind.KWALITEITSVERKLARING, date(2025, 3, 1), date(2026, 5, 2), decharge_months=12)
    assert due == datetime(2026, 5, 2, 23, 59, 59, tzinfo=AMSTERDAM)  # a Saturday: a validity end is not moved
    assert not is_overdue(due, datetime(2026, 5, 2, 23, 0, tzinfo=AMSTERDAM))
    assert is_overdue(due, datetime(2026, 5, 3, 0, 0, 1, tzinfo=AMSTERDAM))
    assert due_again(OrgDocKind.KWALITEITSVERKLARING, date(2025, 3, 1), None, decharge_months=12) is None


def test_decharge_is_due_the_setting_months_later_on_a_werkdag() -> None:
    # 27 April 2025 + 12 months = Monday 27 April 2026, Koningsdag: the next werkdag, 28 April.
    due = due_again(OrgDocKind.DECHARGE, date(2025, 4, 27), None, decharge_months=12)
    assert due == datetime(2026, 4, 28, 23, 59, 59, tzinfo=AMSTERDAM)
    shorter = due_again(OrgDocKind.DECHARGE, date(2025, 1, 31), None, decharge_months=6)
    assert shorter == datetime(2025, 7, 31, 23, 59, 59, tzinfo=AMSTERDAM)
    assert due_again(OrgDocKind.CONVENANT, date(2025, 1, 31), None, decharge_months=6) is None


def test_the_setting(tmp_path: Path) -> None:
    assert load_settings({"HUB_DATA_DIR": str(tmp_path)}).decharge_months == 12
    assert load_settings({"HUB_DATA_DIR": str(tmp_path), "HUB_DECHARGE_MONTHS": "24"}).decharge_months == 24
    with pytest.raises(ConfigError):
        load_settings({"HUB_DATA_DIR": str(tmp_path), "HUB_DECHARGE_MONTHS": "0"})
