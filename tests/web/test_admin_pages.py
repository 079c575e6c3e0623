"""User management, organisations, convenants, the routekaart, own contact details and the start page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from hub.accounts.models import Convenant, Organisation, User, UserSession
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import OrganisationService
from hub.db import utcnow
from hub.notifications.models import OutboxMail
from tests.support.hubclient import HubClient, HubUnderTest, csrf_from

ONE_TIME_PASSWORD = re.compile(r'id="one-time-password">([^<]+)<')


async def _count(hub: HubUnderTest, model: type) -> int:
    async with hub.db() as db:
        return int((await db.execute(select(func.count()).select_from(model))).scalar_one())


async def _org(hub: HubUnderTest, name: str) -> Organisation:
    async with hub.db() as db:
        org = await OrganisationService(db).by_name(name)
    assert org is not None
    return org


async def _fb(hub: HubUnderTest) -> HubClient:
    beheer = await hub.org(OrgKind.BEHEER, "Beheer Hub")
    fb = await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER, email="fb@beheer.example.nl", name="Fien Beheer")
    return await hub.client_for(fb)


def _row(html: str, text: str) -> str:
    """The table row that contains `text`."""
    rows = [r for r in html.split("<tr>") if text in r]
    assert len(rows) == 1, f"{text!r} in {len(rows)} rows"
    return rows[0].split("</tr>")[0]


async def test_functioneel_beheerder_adds_organisations_convenant_and_user(hub: HubUnderTest) -> None:
    fb = await _fb(hub)

    response = await fb.post_form(
        "/beheer/organisaties",
        {
            "kind": "gemeente",
            "name": "Gemeente Nijmegen",
            "contact_person": "Greet Gemeente",
            "contact_email": "Convenant@Nijmegen.example.nl",
            "contact_phone": "024 123 45 67",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/beheer/organisaties?gelukt=toegevoegd"
    response = await fb.post_form(
        "/beheer/organisaties",
        {
            "kind": "bewindvoerderskantoor",
            "name": "Bewind & Zo",
            "contact_person": "",
            "contact_email": "",
            "contact_phone": "",
        },
    )
    assert response.status_code == 303
    page = await fb.get("/beheer/organisaties?gelukt=toegevoegd")
    assert page.status_code == 200
    assert "De organisatie is toegevoegd." in page.text
    assert "Gemeente Nijmegen" in page.text and "Bewind &amp; Zo" in page.text
    assert "convenant@nijmegen.example.nl" in page.text
    assert "Nooit bevestigd" in _row(page.text, "Gemeente Nijmegen")

    gemeente, kantoor = await _org(hub, "Gemeente Nijmegen"), await _org(hub, "Bewind & Zo")
    response = await fb.post_form(
        "/beheer/convenanten",
        {
            "gemeente_id": gemeente.id,
            "kantoor_id": kantoor.id,
            "start_date": "2026-03-12",  # day and month differ: a swapped date would show as 3 december
            "end_date": "",
            "status": "beeindigd",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/beheer/convenanten?gelukt=toegevoegd"
    page = await fb.get("/beheer/convenanten?gelukt=toegevoegd")
    row = _row(page.text, "Gemeente Nijmegen")
    assert "Bewind &amp; Zo" in row and "12 maart 2026" in row and "Beëindigd" in row
    assert "Het convenant is toegevoegd." in page.text

    # The operator adds the kantoor's first administrator: no password is shown, an enrolment link is mailed.
    response = await fb.post_form(
        "/gebruikers",
        {
            "organisation_id": kantoor.id,
            "name": "Nieuwe Bewindvoerder",
            "email": "nieuw@bewindenzo.example.nl",
            "roles": ["bewindvoerder", "kantoorbeheerder"],
        },
    )
    assert response.status_code == 200
    assert not ONE_TIME_PASSWORD.search(response.text)
    assert 'id="enrolment-sent"' in response.text and "72 uur" in response.text
    listing = await fb.get("/gebruikers")
    row = _row(listing.text, "nieuw@bewindenzo.example.nl")
    assert "Bewindvoerder, Kantoorbeheerder" in row
    assert "niet ingesteld" in row and "Actief" in row
    # No block/reset buttons for the operator: while the administrator has not enrolled, only a new link.
    assert "Nieuwe activeringslink sturen" in row and "/activeringslink" in row
    assert "blokkeren" not in row and "wachtwoord-herstellen" not in row and "mfa-herstellen" not in row

    async with hub.db() as db:
        created = (await db.execute(select(User).where(User.email == "nieuw@bewindenzo.example.nl"))).scalar_one()
        kinds = (await db.execute(select(OutboxMail.kind).where(OutboxMail.recipient_user_id == created.id))).scalars()
        assert list(kinds) == ["account_activeren"]
    assert created.must_change_password and created.organisation_id == kantoor.id

    # The kantoor now has its administrator: a second account is theirs to add, not the operator's.
    response = await fb.post_form(
        "/gebruikers",
        {
            "organisation_id": kantoor.id,
            "name": "Tweede",
            "email": "twee@bewindenzo.example.nl",
            "roles": ["bewindvoerder"],
        },
    )
    assert response.status_code == 403
    assert "Dit doet de beheerder van de organisatie zelf." in response.text
    assert not ONE_TIME_PASSWORD.search(response.text)


async def test_validation_errors_are_dutch_and_create_nothing(hub: HubUnderTest) -> None:
    fb = await _fb(hub)
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente West")
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor Oost")
    orgs, convenants, users = (
        await _count(hub, Organisation),
        await _count(hub, Convenant),
        await _count(hub, User),
    )

    response = await fb.post_form(
        "/beheer/organisaties",
        {
            "kind": "kerk",
            "name": "",
            "contact_person": "X",
            "contact_email": "geen-adres",
            "contact_phone": "1" * 41,
        },
    )
    assert response.status_code == 400
    for text in (
        "Er is een probleem",
        "Kies het soort organisatie.",
        "Vul de naam van de organisatie in.",
        "Vul een geldig e-mailadres in",
        "Het telefoonnummer is te lang.",
    ):
        assert text in response.text
    assert 'value="geen-adres"' in response.text  # values are kept
    response = await fb.post_form("/beheer/organisaties", {"kind": "gemeente", "name": "Gemeente West"})
    assert response.status_code == 400
    assert "Er bestaat al een organisatie met deze naam." in response.text

    response = await fb.post_form(
        "/beheer/convenanten",
        {
            "gemeente_id": kantoor.id,
            "kantoor_id": kantoor.id,
            "start_date": "31-13-2026",
            "end_date": "2026-02-30",
            "status": "actief",
        },
    )
    assert response.status_code == 400
    for text in ("Kies een gemeente.", "Vul een geldige begindatum in", "Vul een geldige einddatum in"):
        assert text in response.text
    response = await fb.post_form(
        "/beheer/convenanten",
        {
            "gemeente_id": gemeente.id,
            "kantoor_id": kantoor.id,
            "start_date": "2026-03-01",
            "end_date": "2026-02-01",
            "status": "gestopt",
        },
    )
    assert response.status_code == 400
    assert "De einddatum ligt voor de begindatum." in response.text
    assert "Kies een geldige status." in response.text
    response = await fb.post_form(
        "/beheer/convenanten",
        {"gemeente_id": gemeente.id, "kantoor_id": kantoor.id, "start_date": "", "status": "actief"},
    )
    assert response.status_code == 400
    assert "Vul de begindatum in." in response.text

    response = await fb.post_form(
        "/gebruikers",
        {
            "organisation_id": gemeente.id,
            "name": "Klaas Klant",
            "email": "geen-adres",
            "roles": ["kantoorbeheerder"],  # the operator's form offers the administrator roles only
        },
    )
    assert response.status_code == 400
    assert "Vul een geldig e-mailadres in" in response.text
    assert "Deze rol past niet bij het soort organisatie." in response.text
    assert 'value="Klaas Klant"' in response.text
    assert 'value="kantoorbeheerder" checked' in response.text
    assert not ONE_TIME_PASSWORD.search(response.text)
    response = await fb.post_form("/gebruikers", {"organisation_id": "", "name": "", "email": "a@b.nl"})
    assert response.status_code == 400
    assert "Kies een organisatie." in response.text
    response = await fb.post_form(
        "/gebruikers",
        {"organisation_id": gemeente.id, "name": "Klaas", "email": "fb@beheer.example.nl", "roles": ["nep"]},
    )
    assert response.status_code == 400
    assert "Er bestaat al een gebruiker met dit e-mailadres." in response.text
    assert "Kies een geldige rol." in response.text

    assert (await _count(hub, Organisation), await _count(hub, Convenant), await _count(hub, User)) == (
        orgs,
        convenants,
        users,
    )


async def test_form_without_csrf_token_is_refused(hub: HubUnderTest) -> None:
    fb = await _fb(hub)
    before = await _count(hub, Organisation)
    response = await fb.post_form("/beheer/organisaties", {"kind": "gemeente", "name": "Gemeente X"}, csrf=False)
    assert response.status_code == 403
    assert await _count(hub, Organisation) == before


async def test_kantoorbeheerder_manages_only_own_organisation(hub: HubUnderTest) -> None:
    a = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    b = await hub.org(OrgKind.KANTOOR, "Kantoor B")
    kb = await hub.user(a, Role.KANTOORBEHEERDER, email="kb@a.example.nl", name="Karin Beheer")
    colleague = await hub.user(a, Role.BEWINDVOERDER, email="anna@a.example.nl", name="Anna Collega")
    other = await hub.user(b, Role.BEWINDVOERDER, email="bert@b.example.nl", name="Bert Anders")
    client = await hub.client_for(kb)

    page = await client.get("/gebruikers")
    assert page.status_code == 200
    assert "anna@a.example.nl" in page.text
    assert "Bert Anders" not in page.text and "bert@b.example.nl" not in page.text
    assert "Kantoor B" not in page.text
    assert 'name="organisation_id"' not in page.text
    assert "functioneel_beheerder" not in page.text  # only the roles of a kantoor are offered

    for action in ("blokkeren", "deblokkeren", "mfa-herstellen", "wachtwoord-herstellen"):
        response = await client.post_form(f"/gebruikers/{other.id}/{action}", {"bevestigd": "ja"})
        assert response.status_code == 404, action
        assert "Bert" not in response.text and "one-time-password" not in response.text
    assert (await client.post_form("/gebruikers/bestaat-niet/blokkeren", {"bevestigd": "ja"})).status_code == 404
    fresh = await hub.reload(other)
    assert not fresh.disabled and fresh.totp_secret is not None and not fresh.must_change_password

    # Cannot block themselves.
    response = await client.post_form(f"/gebruikers/{kb.id}/blokkeren", {"bevestigd": "ja"})
    assert response.status_code == 400
    assert "Dit kunt u niet voor uw eigen account doen." in response.text
    assert not (await hub.reload(kb)).disabled

    # A posted organisation is ignored: the user lands in the kantoorbeheerder's own organisation.
    response = await client.post_form(
        "/gebruikers",
        {
            "organisation_id": b.id,
            "name": "Nina Nieuw",
            "email": "nina@a.example.nl",
            "roles": ["bewindvoerder"],
        },
    )
    assert response.status_code == 200
    assert ONE_TIME_PASSWORD.search(response.text)
    async with hub.db() as db:
        nina = (await db.execute(select(User).where(User.email == "nina@a.example.nl"))).scalar_one()
    assert nina.organisation_id == a.id
    # And no role a kantoor cannot have.
    response = await client.post_form(
        "/gebruikers", {"name": "Frits", "email": "frits@a.example.nl", "roles": ["functioneel_beheerder"]}
    )
    assert response.status_code == 400
    assert "Deze rol past niet bij het soort organisatie." in response.text

    # The colleague can be helped: a new temporary password, shown once.
    response = await client.post_form(f"/gebruikers/{colleague.id}/wachtwoord-herstellen", {"bevestigd": "ja"})
    assert response.status_code == 200
    assert ONE_TIME_PASSWORD.search(response.text)
    assert (await hub.reload(colleague)).must_change_password
    response = await client.post_form(f"/gebruikers/{colleague.id}/mfa-herstellen", {"bevestigd": "ja"})
    assert response.status_code == 303
    assert response.headers["location"] == "/gebruikers?gelukt=mfa-hersteld"
    assert (await hub.reload(colleague)).totp_secret is None


async def test_blocking_ends_the_users_sessions(hub: HubUnderTest) -> None:
    a = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    kb = await hub.user(a, Role.KANTOORBEHEERDER, email="kb@a.example.nl")
    victim = await hub.user(a, Role.BEWINDVOERDER, email="bv@a.example.nl", name="Bea Bewind")
    admin = await hub.client_for(kb)
    session = await hub.client_for(victim)
    assert (await session.get("/")).status_code == 200

    response = await admin.post_form(f"/gebruikers/{victim.id}/blokkeren", {"bevestigd": "ja"})
    assert response.status_code == 303
    assert response.headers["location"] == "/gebruikers?gelukt=geblokkeerd"
    page = await admin.get(response.headers["location"])
    assert "De gebruiker is geblokkeerd." in page.text
    assert "Geblokkeerd" in _row(page.text, "bv@a.example.nl")

    async with hub.db() as db:
        left = (await db.execute(select(UserSession).where(UserSession.user_id == victim.id))).all()
    assert left == []  # the sessions are gone, not merely refused
    response = await session.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/inloggen")
    assert (await hub.reload(victim)).disabled

    response = await admin.post_form(f"/gebruikers/{victim.id}/deblokkeren", {"bevestigd": "ja"})
    assert response.status_code == 303
    assert response.headers["location"] == "/gebruikers?gelukt=gedeblokkeerd"
    assert not (await hub.reload(victim)).disabled


async def test_routekaart_flags_partners_not_confirmed_within_a_year(hub: HubUnderTest) -> None:
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Noord")
    late = await hub.org(OrgKind.KANTOOR, "Kantoor Laat")
    never = await hub.org(OrgKind.KANTOOR, "Kantoor Nooit")
    fresh = await hub.org(OrgKind.KANTOOR, "Kantoor Vers")
    elsewhere = await hub.org(OrgKind.KANTOOR, "Kantoor Elders")
    for kantoor in (late, never, fresh):
        await hub.convenant(gemeente, kantoor)
    now = utcnow()
    async with hub.db() as db:
        for org, moment in (
            (gemeente, now - timedelta(days=1)),
            (late, now - timedelta(days=400)),
            (fresh, now - timedelta(days=1)),
            (elsewhere, None),
        ):
            row = await db.get(Organisation, org.id)
            assert row is not None
            row.contacts_confirmed_at = moment
            db.add(row)
    cm = await hub.user(gemeente, Role.CONTRACTMANAGER, email="cm@noord.example.nl", name="Cees Contract")
    client = await hub.client_for(cm)

    page = await client.get("/routekaart")
    assert page.status_code == 200
    assert "2 van de 4 partijen hebben een controle van de contactgegevens nodig." in page.text
    assert "Controle nodig: langer dan een jaar niet bevestigd" in _row(page.text, "Kantoor Laat")
    assert "Nooit bevestigd" in _row(page.text, "Kantoor Nooit")
    vers = _row(page.text, "Kantoor Vers")
    assert "Controle nodig" not in vers and "Nooit bevestigd" not in vers and "Bevestigd" in vers
    assert "Kantoor Elders" not in page.text
    assert 'scope="col"' in page.text and "<caption>" in page.text

    start = await client.get("/")
    assert "Bij 2 van de 4 partijen" in start.text
    assert 'href="/routekaart"' in start.text

    kb = await hub.user(fresh, Role.KANTOORBEHEERDER, email="kb@vers.example.nl")
    assert (await (await hub.client_for(kb)).get("/routekaart")).status_code == 403


async def test_confirming_contacts_updates_confirmation_moment(hub: HubUnderTest) -> None:
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor C", contact_person="Carla", contact_phone="010 1234567")
    kb = await hub.user(kantoor, Role.KANTOORBEHEERDER, email="kb@c.example.nl", name="Kees Beheer")
    client = await hub.client_for(kb)

    page = await client.get("/organisatie/contactgegevens")
    assert page.status_code == 200
    assert 'value="Carla"' in page.text and 'value="vast@kantoor-c.example.nl"' in page.text
    assert "Nooit bevestigd" in page.text

    before = utcnow()
    response = await client.post_form(
        "/organisatie/contactgegevens",
        {
            "contact_person": "Carla",
            "contact_email": "vast@kantoor-c.example.nl",
            "contact_phone": "010 1234567",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/organisatie/contactgegevens?gelukt=bevestigd"
    org = await _org(hub, "Kantoor C")
    assert org.contacts_confirmed_at is not None and org.contacts_confirmed_at >= before - timedelta(seconds=1)
    assert org.contacts_confirmed_by == kb.id
    page = await client.get(response.headers["location"])
    assert "De contactgegevens zijn bevestigd." in page.text and "door Kees Beheer" in page.text

    response = await client.post_form(
        "/organisatie/contactgegevens",
        {"contact_person": "Dirk", "contact_email": "bewind@c.example.nl", "contact_phone": ""},
    )
    assert response.headers["location"] == "/organisatie/contactgegevens?gelukt=gewijzigd"
    org = await _org(hub, "Kantoor C")
    assert (org.contact_person, org.contact_email, org.contact_phone) == ("Dirk", "bewind@c.example.nl", "")

    confirmed = org.contacts_confirmed_at
    response = await client.post_form(
        "/organisatie/contactgegevens", {"contact_person": "", "contact_email": "fout", "contact_phone": ""}
    )
    assert response.status_code == 400
    assert "Vul de naam van de contactpersoon in." in response.text
    assert "Vul een geldig vast e-mailadres in" in response.text
    assert (await _org(hub, "Kantoor C")).contacts_confirmed_at == confirmed

    bv = await hub.user(kantoor, Role.BEWINDVOERDER, email="bv@c.example.nl")
    assert (await (await hub.client_for(bv)).get("/organisatie/contactgegevens")).status_code == 403


async def test_bewindvoerder_has_no_access_to_beheer(hub: HubUnderTest) -> None:
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor D")
    bv = await hub.user(kantoor, Role.BEWINDVOERDER, email="bv@d.example.nl", name="Daan Dossier")
    client = await hub.client_for(bv)
    for path in ("/beheer/organisaties", "/beheer/convenanten", "/gebruikers"):
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "Geen toegang" in response.text
    before = await _count(hub, Organisation)
    response = await client.post_form("/beheer/organisaties", {"kind": "gemeente", "name": "Gemeente Y"})
    assert response.status_code == 403
    assert await _count(hub, Organisation) == before
    assert (await client.post_form(f"/gebruikers/{bv.id}/blokkeren", {"bevestigd": "ja"})).status_code == 403

    start = await client.get("/")
    assert start.status_code == 200
    assert "Welkom, Daan Dossier" in start.text and "Kantoor D" in start.text
    assert 'href="/gebruikers"' not in start.text and 'href="/beheer/organisaties"' not in start.text


async def test_start_page_for_functioneel_beheerder_shows_counts(hub: HubUnderTest) -> None:
    fb = await _fb(hub)
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Z")
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor Z")
    await hub.convenant(gemeente, kantoor)
    start = await fb.get("/")
    assert start.status_code == 200
    assert "3 organisaties" in start.text and "1 convenant " in start.text and "1 gebruiker " in start.text
    for href in ("/beheer/organisaties", "/beheer/convenanten", "/gebruikers"):
        assert f'href="{href}"' in start.text
    # Everything a page renders passes the CSP: no inline style or script (only the one static script file).
    for path in ("/", "/gebruikers", "/beheer/organisaties", "/beheer/convenanten"):
        html = (await fb.get(path)).text
        # Scripts only as files from the hub itself (script-src 'self'), never inline.
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", html) and "style=" not in html
        assert html.count("<h1") == 1
        assert csrf_from(html)
