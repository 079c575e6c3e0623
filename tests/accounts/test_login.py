"""Login with password + TOTP through the real pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hub.accounts import totp
from hub.accounts.roles import OrgKind, Role
from tests.support.hubclient import HubUnderTest, csrf_from


async def test_login_with_password_and_totp(hub: HubUnderTest) -> None:
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(kantoor, Role.BEWINDVOERDER, email="bart@a.example.nl")
    client = await hub.login_via_pages("bart@a.example.nl", user=user)
    start = await client.get("/")
    assert start.status_code == 200
    assert "Kantoor A" in start.text


async def test_login_page_offers_the_form_with_a_token_bound_to_its_cookie(hub: HubUnderTest) -> None:
    client = hub.client()
    page = await client.get("/inloggen")
    assert page.status_code == 200
    assert 'name="email"' in page.text and 'name="password"' in page.text
    # Before login there is no session: the form's CSRF token is the one in the login cookie (double submit).
    assert client.cookies.get(hub.app.state.site.cookies.login_csrf_name) == csrf_from(page.text)


@pytest.mark.parametrize(
    ("moment", "code"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
)
def test_totp_codes_match_rfc_6238(moment: int, code: str) -> None:
    """RFC 6238 appendix B (SHA-1), the last six of its eight digits: what every authenticator app computes."""
    assert totp.code_at(b"12345678901234567890", moment) == code
