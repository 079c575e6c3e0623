"""Confirm pages before blocking a user or resetting their second factor or password (the direct POST no longer
acts); the login page's help; the recovery codes as a file and a print view. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

from hub.accounts.roles import OrgKind, Role
from tests.support.hubclient import PASSWORD, HubUnderTest, csrf_from


async def test_blocking_and_resets_ask_first_and_only_the_confirmed_post_acts(hub: HubUnderTest) -> None:
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    elsewhere = await hub.org(OrgKind.KANTOOR, "Kantoor B")
    kb = await hub.user(kantoor, Role.KANTOORBEHEERDER, email="kb@a.example.nl")
    anna = await hub.user(kantoor, Role.BEWINDVOERDER, email="anna@a.example.nl", name="Anna Collega")
    bert = await hub.user(elsewhere, Role.BEWINDVOERDER, email="bert@b.example.nl", name="Bert Anders")
    admin = await hub.client_for(kb)

    users = (await admin.get("/gebruikers")).text
    assert f'href="/gebruikers/{anna.id}/blokkeren"' in users  # a link to the confirm page, not a direct POST
    assert f'action="/gebruikers/{anna.id}/blokkeren"' not in users

    expected = {
        "blokkeren": ("Gebruiker blokkeren?", "Anna Collega kan daarna niet meer inloggen.", "Ja, blokkeren"),
        "mfa-herstellen": ("Tweestapsverificatie herstellen?", "terug te bellen", "Ja, tweestapsverificatie"),
        "wachtwoord-herstellen": ("Nieuw wachtwoord geven?", "nieuw tijdelijk wachtwoord", "Ja, wachtwoord"),
    }
    for action, (title, explains, button) in expected.items():
        page = await admin.get(f"/gebruikers/{anna.id}/{action}")
        assert page.status_code == 200, action
        assert f"<h1>{title}</h1>" in page.text and explains in page.text and button in page.text
        assert "anna@a.example.nl" in page.text and 'name="bevestigd" value="ja"' in page.text
        # The old direct POST only leads to this page: nothing happens.
        response = await admin.post_form(f"/gebruikers/{anna.id}/{action}")
        assert response.status_code == 303 and response.headers["location"] == f"/gebruikers/{anna.id}/{action}"
        # Another organisation's user does not exist here.
        assert (await admin.get(f"/gebruikers/{bert.id}/{action}")).status_code == 404
    fresh = await hub.reload(anna)
    assert not fresh.disabled and fresh.totp_secret is not None and not fresh.must_change_password

    own = await admin.get(f"/gebruikers/{kb.id}/blokkeren")
    assert own.status_code == 400 and "Dit kunt u niet voor uw eigen account doen." in own.text
    assert 'name="bevestigd"' not in own.text

    response = await admin.post_form(f"/gebruikers/{anna.id}/blokkeren", {"bevestigd": "ja"})
    assert response.status_code == 303 and response.headers["location"] == "/gebruikers?gelukt=geblokkeerd"
    assert (await hub.reload(anna)).disabled


async def test_the_login_page_says_what_to_do_when_the_password_or_phone_is_lost(hub: HubUnderTest) -> None:
    page = (await hub.client().get("/inloggen")).text
    assert "Wachtwoord vergeten?" in page and "Telefoon kwijt of nieuw?" in page
    assert "beheerder van uw eigen organisatie" in page and "herstelcodes" in page


async def test_recovery_codes_as_a_file_and_a_print_view(hub: HubUnderTest) -> None:
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    client = await hub.client_for(await hub.user(kantoor, Role.BEWINDVOERDER, email="bea@a.example.nl"))
    page = await client.post_form("/account/herstelcodes", {"codes_password": PASSWORD})
    codes = re.findall(r"<li><code>([^<]+)</code></li>", page.text)
    assert len(codes) == 10
    assert 'action="/account/herstelcodes/bewaren"' in page.text and csrf_from(page.text) == client.csrf_token
    form = {"csrf_token": client.csrf_token, "code": codes}

    download = await client.post("/account/herstelcodes/bewaren", data={**form, "als": "bestand"})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-disposition"] == 'attachment; filename="herstelcodes.txt"'
    assert download.headers["cache-control"] == "no-store"
    assert all(code in download.text for code in codes)

    printable = await client.post("/account/herstelcodes/bewaren", data={**form, "als": "afdrukken"})
    assert printable.status_code == 200 and printable.headers["cache-control"] == "no-store"
    assert all(f"<code>{code}</code>" in printable.text for code in codes)

    # Only well-formed codes: the endpoint echoes nothing else.
    crafted = await client.post(
        "/account/herstelcodes/bewaren", data={"csrf_token": client.csrf_token, "code": "<script>x</script>"}
    )
    assert crafted.status_code == 400 and "script" not in crafted.text
