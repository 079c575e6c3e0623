"""The yearly check of contact details (§1a.1) is due one year after the confirmation date by the terms rule
(:func:`hub.terms.controle_contactgegevens_due`), not 365 days; overdue only once that day is over. Through the
service, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.accounts.models import User
from hub.accounts.organisations import OrganisationService, PartnerContact
from hub.accounts.roles import OrgKind, Role
from hub.accounts.views.contacts import routekaart_row
from hub.terms import AMSTERDAM
from tests.support.hubclient import HubUnderTest

LAST_MICROSECOND = timedelta(microseconds=1)


def local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=AMSTERDAM)


@pytest.fixture
async def people(hub: HubUnderTest) -> dict[str, User]:
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente G")
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor K")
    await hub.convenant(gemeente, kantoor)
    return {
        "contractmanager": await hub.user(gemeente, Role.CONTRACTMANAGER),
        "kantoorbeheerder": await hub.user(kantoor, Role.KANTOORBEHEERDER),
    }


async def _confirm(hub: HubUnderTest, people: dict[str, User], when: datetime) -> None:
    async with hub.db() as db:
        await OrganisationService(db).confirm_own_contacts(
            people["kantoorbeheerder"], person="K. Contact", email="vast@kantoor.example.nl", phone="", now=when
        )


async def _kantoor(hub: HubUnderTest, people: dict[str, User], now: datetime) -> PartnerContact:
    async with hub.db() as db:
        _own, entries = await OrganisationService(db).routekaart_for(people["contractmanager"], now)
    [entry] = [e for e in entries if e.organisation.name == "Kantoor K"]
    return entry


@pytest.mark.parametrize(
    ("confirmed", "due_day"),
    [
        # 1 March 2023 + 1 jaar = Friday 1 March 2024; 365 days would end on 29 February 2024 (a leap year).
        (local(2023, 3, 1, 10), local(2024, 3, 1)),
        # 29 February 2024 + 1 jaar = 28 February 2025 (the last day of that February), a Friday.
        (local(2024, 2, 29, 10), local(2025, 2, 28)),
        # 23:30 UTC on 31 December is already 1 January 2026 in Amsterdam: 1 January 2027 is Nieuwjaarsdag, a
        # Friday, so the check is due Monday 4 January 2027.
        (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), local(2027, 1, 4)),
    ],
)
async def test_the_yearly_check_is_due_a_year_after_the_confirmation_date(
    hub: HubUnderTest, people: dict[str, User], confirmed: datetime, due_day: datetime
) -> None:
    await _confirm(hub, people, confirmed)
    next_day = due_day + timedelta(days=1)
    last_moment = next_day - LAST_MICROSECOND  # 23:59:59.999999 on the due day
    entry = await _kantoor(hub, people, last_moment)
    assert entry.next_check == due_day.replace(hour=23, minute=59, second=59)
    assert entry.overdue is False
    assert routekaart_row(entry, last_moment).status == "Controle binnenkort"
    entry = await _kantoor(hub, people, next_day)
    assert entry.overdue is True
    assert routekaart_row(entry, next_day).status == "Controle nodig: langer dan een jaar niet bevestigd"


async def test_a_check_is_soon_within_a_month_of_its_due_date(hub: HubUnderTest, people: dict[str, User]) -> None:
    await _confirm(hub, people, local(2024, 2, 29, 10))  # due Friday 28 February 2025
    assert routekaart_row(await _kantoor(hub, people, local(2025, 1, 27)), local(2025, 1, 27)).status == "Bevestigd"
    soon = local(2025, 1, 28)
    assert routekaart_row(await _kantoor(hub, people, soon), soon).status == "Controle binnenkort"
