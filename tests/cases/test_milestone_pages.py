"""The Verloop section of the case page, on SQLite and PostgreSQL: the steps in words, the forms of the user's side,
recording through the page (CSRF, Dutch errors, nothing written on an error), corrections and withdrawals."""

from __future__ import annotations

from datetime import timedelta

from hub.cases.milestones import K
from hub.cases.records import local_today
from hub.web.forms import date_text
from tests.cases.path import Path, build_path
from tests.cases.world import World


async def _path(world: World) -> Path:
    return await build_path(world)


async def test_the_case_page_shows_the_path_and_records_a_step(world: World) -> None:
    path = await _path(world)
    case = await world.open_case(beschikking_date=None, bewind_start_date=None)
    kantoor = await world.hub.client_for(world.bv_x)
    page = await kantoor.get(f"/dossiers/{case.id}")
    assert page.status_code == 200
    text = page.text
    assert "Verloop" in text and "Nog niet: de rechtbank heeft nog niet beslist" in text
    assert "Beschikking ontvangen" in text and "Nog te doen" in text and "Niet van toepassing" in text
    assert 'id="m-beschikking-milestone_date"' in text  # the kantoor records the beschikking
    assert 'id="m-advies-milestone_date"' not in text  # the gemeente gives the advice

    gemeente = await world.hub.client_for(world.km_arnhem)
    assert 'id="m-advies-milestone_date"' in (await gemeente.get(f"/dossiers/{case.id}")).text

    day = local_today() - timedelta(days=2)
    done = await kantoor.post_form(
        f"/dossiers/{case.id}/verloop",
        {"kind": "beschikking", "milestone_date": day.isoformat(), "detail_date": day.strftime("%d-%m-%Y")},
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?gelukt=stap#verloop")
    page = await kantoor.get(done.headers["location"])
    assert "De stap is vastgelegd" in page.text and "Gedaan op" in page.text
    assert "Termijn loopt" in page.text  # the bijstand and schuldhulp terms now run
    assert "Vastgelegd door Bas Bewindvoerder (Kantoor Xander)" in page.text
    assert len(await path.rows(case)) == 1


async def test_refusals_come_back_in_dutch_and_write_nothing(world: World) -> None:
    path = await _path(world)
    case = await world.open_case(beschikking_date=None, bewind_start_date=None)
    kantoor = await world.hub.client_for(world.bv_x)
    url = f"/dossiers/{case.id}/verloop"
    future = (local_today() + timedelta(days=1)).isoformat()
    refused = await kantoor.post_form(url, {"kind": "aanmelding_verzonden", "milestone_date": future})
    assert refused.status_code == 400
    assert "De datum kan niet in de toekomst liggen." in refused.text
    assert 'href="#m-aanmelding_verzonden-milestone_date"' in refused.text  # the summary links to the field
    assert f'value="{date_text(future)}"' in refused.text  # the value is kept, in the format the user sees
    bad = await kantoor.post_form(url, {"kind": "aanmelding_verzonden", "milestone_date": "31-02-2025"})
    assert bad.status_code == 400 and "Vul een geldige datum in" in bad.text
    unknown = await kantoor.post_form(url, {"kind": "iets", "milestone_date": "01-02-2025"})
    assert unknown.status_code == 400 and "Kies een stap uit het verloop." in unknown.text
    forbidden = await kantoor.post_form(url, {"kind": "advies", "milestone_date": "01-02-2025"})
    assert forbidden.status_code == 403
    no_csrf = await kantoor.post_form(url, {"kind": "aanmelding_verzonden", "milestone_date": "01-02-2025"}, csrf=False)
    assert no_csrf.status_code == 403
    other = await world.hub.client_for(world.bv_y)
    elsewhere = await other.post_form(url, {"kind": "aanmelding_verzonden", "milestone_date": "01-02-2025"})
    assert elsewhere.status_code == 404
    assert await path.rows(case) == []
    # A step recorded meanwhile by a colleague: its form is gone, the reason is shown at the section.
    await path.record(world.bv_x2, case, K.AANMELDING_VERZONDEN, local_today())
    twice = await kantoor.post_form(url, {"kind": "aanmelding_verzonden", "milestone_date": "01-02-2025"})
    assert twice.status_code == 400 and 'href="#verloop"' in twice.text and "al vastgelegd" in twice.text


async def test_correct_and_withdraw_through_the_page(world: World) -> None:
    path = await _path(world)
    case = await world.open_case()  # opened with its beschikking: the first milestone
    [first] = await path.rows(case)
    kantoor = await world.hub.client_for(world.bv_x)
    page = (await kantoor.get(f"/dossiers/{case.id}")).text
    prefix = f"c-{first.id[:8]}-"
    assert f'id="{prefix}milestone_date"' in page and "Intrekken" in page
    fixed = await kantoor.post_form(
        f"/dossiers/{case.id}/verloop",
        {"kind": "beschikking", "supersedes": first.id, "milestone_date": "2025-03-05", "detail_date": "2025-03-06"},
    )
    assert fixed.status_code == 303
    [_, correction] = await path.rows(case)
    assert correction.supersedes_id == first.id
    assert (await path.case(case)).beschikking_date.isoformat() == "2025-03-05"  # type: ignore[union-attr]
    withdrawn = await kantoor.post_form(f"/dossiers/{case.id}/verloop/{correction.id}/intrekken", {})
    assert withdrawn.status_code == 303
    page = (await kantoor.get(withdrawn.headers["location"])).text
    assert "De vastlegging is ingetrokken" in page and "ingetrokken" in page and "gecorrigeerd" in page
    assert (await path.case(case)).status == "aangemeld"
