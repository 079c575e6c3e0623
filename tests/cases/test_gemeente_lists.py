"""The gemeente's lists over its cases' paths, on SQLite and PostgreSQL: the consulent bijzondere bijstand's
applications (new and decided, with their terms) and the contractmanager's monthly check of §2.3 (per kantoor, the
cases approaching and past their 12 months or agreed extension without aanmelding). Another gemeente sees nothing."""

from __future__ import annotations

from datetime import date, timedelta

from hub.accounts.roles import Role
from hub.calendars.services import CalendarSource
from hub.cases.bijstand_list import applications_for
from hub.cases.milestones import K
from hub.cases.records import local_today
from hub.cases.schuldhulp_check import schuldhulp_check
from hub.cases.term_sweep import refresh_stale
from hub.db import utcnow
from hub.notifications.term_outbox import OutboxTermNotifier
from hub.terms import aanvraag_bijzondere_bijstand_due, add_months, default_calendar
from tests.cases.path import build_path
from tests.cases.world import BSN_2, BSN_3, World


async def test_the_consulent_lists_new_and_decided_applications_of_the_own_gemeente(world: World) -> None:
    path = await build_path(world)
    consulent = path.consulent
    new = await world.open_case()  # beschikking 4 March 2025
    await path.apply_bijstand(world.bv_x, new, date(2025, 4, 1))
    decided = await world.open_case(bsn=BSN_2)
    await path.apply_bijstand(world.bv_x, decided, date(2025, 7, 1))  # after the 3 months
    await path.record(consulent, decided, K.BESLUIT_BIJSTAND, date(2025, 7, 20), choice="toegekend")
    other_kantoor = await world.open_case(world.bv_y, bsn=BSN_3, convenant_id=world.arnhem_ypsilon.id)
    await path.apply_bijstand(world.bv_y, other_kantoor, date(2025, 3, 20))
    not_yet = await world.open_case(bsn="123456782", convenant_id=world.berkel_xander.id)  # Berkel's, no aanvraag
    berkel = await world.open_case(bsn="100000009", convenant_id=world.berkel_xander.id)
    await path.apply_bijstand(world.bv_x, berkel, date(2025, 5, 1))

    async with world.hub.db() as db:
        found = await applications_for(db, consulent, CalendarSource())
    assert [a.reference for a in found.new] == [other_kantoor.reference, new.reference]  # oldest first
    assert [(a.reference, a.decision_label, a.decided_on) for a in found.decided] == [
        (decided.reference, "Toegekend", date(2025, 7, 20))
    ]
    first = found.new[1]
    assert first.kantoor == "Kantoor Xander" and first.submitted_on == date(2025, 4, 1)
    assert first.due_at == aanvraag_bijzondere_bijstand_due(date(2025, 3, 4), calendar=default_calendar())
    assert first.in_time is True and found.decided[0].in_time is False
    assert first.evidence_complete and first.evidence_linked == 2

    client = await world.hub.client_for(consulent)
    start = await client.get("/")
    assert 'href="/bijzondere-bijstand"' in start.text  # in the gemeente's navigation
    page = await client.get("/bijzondere-bijstand")
    assert page.status_code == 200
    new_part, decided_part = page.text.split("<h2>Besloten")
    assert new.reference in new_part and other_kantoor.reference in new_part and decided.reference not in new_part
    assert decided.reference in decided_part and "Toegekend" in decided_part and "te laat" in decided_part
    assert f'href="/dossiers/{new.id}#verloop"' in new_part
    assert berkel.reference not in page.text and not_yet.reference not in page.text
    assert "Johanna" not in page.text  # references only, never a client name

    # Another gemeente's consulent sees only its own; other roles have no such page.
    berkel_consulent = await world.hub.user(world.berkel, Role.CONSULENT, name="Bea Consulent")
    async with world.hub.db() as db:
        theirs = await applications_for(db, berkel_consulent, CalendarSource())
    assert [a.reference for a in theirs.new] == [berkel.reference] and theirs.decided == []
    other = await (await world.hub.client_for(berkel_consulent)).get("/bijzondere-bijstand")
    assert new.reference not in other.text and decided.reference not in other.text
    assert (await (await world.hub.client_for(world.km_arnhem)).get("/bijzondere-bijstand")).status_code == 403
    assert 'href="/bijzondere-bijstand"' not in (await (await world.hub.client_for(world.km_arnhem)).get("/")).text


async def test_the_contractmanager_sees_the_monthly_check_per_kantoor(world: World) -> None:
    path = await build_path(world)
    today = local_today()
    soon_start = add_months(today, -12) + timedelta(days=20)
    past = await world.open_case()  # bewind started 4 March 2025: 12 months past
    soon = await world.open_case(bsn=BSN_2, beschikking_date=soon_start, bewind_start_date=soon_start)
    far = await world.open_case(bsn=BSN_3, beschikking_date=today - timedelta(days=30),
                                bewind_start_date=today - timedelta(days=30))  # fmt: skip
    done = await world.open_case(world.bv_y, bsn="100000009", convenant_id=world.arnhem_ypsilon.id)
    extended = await world.open_case(world.bv_y, bsn="100000010", convenant_id=world.arnhem_ypsilon.id)
    toestand = await world.open_case(bsn="100000022", bewind_kind="toestandenbewind")
    berkel = await world.open_case(bsn="100000034", convenant_id=world.berkel_xander.id)
    await path.record(world.bv_y, done, K.AANMELDING_SCHULDHULP, date(2026, 1, 5))
    await path.record(world.km_arnhem, extended, K.UITSTEL_SCHULDHULP, today - timedelta(days=1),
                      detail_date=today + timedelta(days=30))  # fmt: skip
    async with world.hub.db() as db:
        await refresh_stale(db, utcnow(), CalendarSource(), OutboxTermNotifier(db), (2, 1))

    async with world.hub.db() as db:
        check = await schuldhulp_check(db, path.contractmanager, warn_months=(2, 1), today=today)
    by_name = {k.kantoor: k for k in check.kantoren}
    assert set(by_name) == {"Kantoor Xander", "Kantoor Ypsilon"}
    xander, ypsilon = by_name["Kantoor Xander"], by_name["Kantoor Ypsilon"]
    assert [c.reference for c in xander.past] == [past.reference]
    assert [c.reference for c in xander.approaching] == [soon.reference]
    assert ypsilon.past == [] and [(c.reference, c.extended) for c in ypsilon.approaching] == [
        (extended.reference, True)
    ]
    assert (check.past, check.approaching, check.horizon) == (1, 2, add_months(today, 2))
    listed = {c.reference for k in check.kantoren for c in (*k.past, *k.approaching)}
    assert not listed & {far.reference, done.reference, toestand.reference, berkel.reference}

    client = await world.hub.client_for(path.contractmanager)
    assert 'href="/aanmelding-schuldhulp"' in (await client.get("/")).text
    page = await client.get("/aanmelding-schuldhulp")
    assert page.status_code == 200
    row = (
        '<tr><td data-label="Bewindvoerderskantoor">{}</td><td data-label="Termijn verlopen">{}</td>'
        '<td data-label="Termijn nadert">{}</td></tr>'
    )
    assert row.format("Kantoor Xander", 1, 1) in page.text
    assert row.format("Kantoor Ypsilon", 0, 1) in page.text
    assert "uitstel afgesproken met BSHV" in page.text and "Termijn verlopen" in page.text
    assert f'href="/dossiers/{soon.id}#verloop"' in page.text and berkel.reference not in page.text

    # Berkel's contractmanager sees Berkel's case only; a klantmanager has no such page.
    berkel_cm = await world.hub.user(world.berkel, Role.CONTRACTMANAGER, name="Bert Contractmanager")
    async with world.hub.db() as db:
        theirs = await schuldhulp_check(db, berkel_cm, warn_months=(2, 1), today=today)
    assert [(k.kantoor, [c.reference for c in k.past]) for k in theirs.kantoren] == [
        ("Kantoor Xander", [berkel.reference])
    ]
    assert (await (await world.hub.client_for(world.km_arnhem)).get("/aanmelding-schuldhulp")).status_code == 403
