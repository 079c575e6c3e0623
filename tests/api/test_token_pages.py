"""The token pages: made on Mijn account and shown once, listed with last use, revoked; the organisation's tokens
by its administrator only. On SQLite (the service rules themselves run on both backends in test_tokens.py)."""

from __future__ import annotations

import re

from sqlalchemy import select

from hub.accounts.models import ApiToken
from hub.accounts.roles import Role
from tests.api.conftest import Api

TOKEN_RE = re.compile(r'<code id="api-token" class="token">(hub_[A-Za-z0-9_-]+)</code>')


async def test_a_user_makes_uses_and_revokes_a_token_on_mijn_account(api_sqlite: Api) -> None:
    api = api_sqlite
    browser = await api.hub.client_for(api.world.bv_x)
    assert "API-sleutels beheren" in (await browser.get("/account")).text
    refused = await browser.post_form("/account/api-sleutels", {"name": "", "days": "90"})
    assert refused.status_code == 400 and "Kies ten minste één bevoegdheid" in refused.text
    made = await browser.post_form(
        "/account/api-sleutels", {"name": "Bewindpakket", "scopes": ["cases:read", "documents:read"], "days": "30"}
    )
    assert made.status_code == 200
    match = TOKEN_RE.search(made.text)
    assert match is not None
    token = match.group(1)
    listing = await browser.get("/account/api-sleutels")
    assert token not in listing.text and "Bewindpakket" in listing.text and "nog niet gebruikt" in listing.text
    assert (await api.client(token).get("/api/v1/cases")).status_code == 200
    assert "nog niet gebruikt" not in (await browser.get("/account/api-sleutels")).text  # its last use is shown
    async with api.hub.db() as db:
        row = (await db.execute(select(ApiToken))).scalar_one()
    revoked = await browser.post_form(f"/account/api-sleutels/{row.id}/intrekken")
    assert revoked.status_code == 303
    assert (await api.client(token).get("/api/v1/cases")).status_code == 401
    # Another user's token does not exist for this user.
    other = await api.hub.client_for(api.world.bv_x2)
    assert (await other.post_form(f"/account/api-sleutels/{row.id}/intrekken")).status_code == 404


async def test_only_the_administrator_makes_the_organisations_tokens(api_sqlite: Api) -> None:
    api = api_sqlite
    assert (await (await api.hub.client_for(api.world.bv_x)).get("/organisatie/api-sleutels")).status_code == 403
    assert (await (await api.hub.client_for(api.world.beheerder)).get("/organisatie/api-sleutels")).status_code == 403
    admin = await api.hub.client_for(api.world.kb_x)
    page = await admin.get("/organisatie/api-sleutels")
    assert page.status_code == 200 and 'value="bewindvoerder"' in page.text and "klantmanager" not in page.text
    assert "/organisatie/api-sleutels" in page.text  # in the menu
    made = await admin.post_form(
        "/organisatie/api-sleutels",
        {"name": "Zaaksysteem", "role": "bewindvoerder", "scopes": ["cases:read"], "days": "365"},
    )
    match = TOKEN_RE.search(made.text)
    assert made.status_code == 200 and match is not None
    response = await api.client(match.group(1)).get("/api/v1/cases")
    assert response.status_code == 200


async def test_the_fg_sees_an_organisation_tokens_calls_under_its_name(api_sqlite: Api) -> None:
    api = api_sqlite
    case = await api.world.open_case()
    token = await api.org_token(api.world.kb_x, Role.BEWINDVOERDER.value)
    assert (await api.client(token).get(f"/api/v1/cases/{case.id}")).status_code == 200
    fg = await api.hub.client_for(await api.hub.user(api.world.xander, Role.FG, name="Fien FG"))
    page = await fg.get("/auditlog")
    assert page.status_code == 200
    assert "API-koppeling Zaaksysteem" in page.text and "API-aanroep" in page.text and "API-sleutel" in page.text
    assert "Onbekende gebruiker" not in page.text
