"""Coordinated vulnerability disclosure on a running hub: /.well-known/security.txt (RFC 9116) and the disclosure page
it points to, reachable without logging in, with the operator's contact from the settings; and the hub's version,
shown to logged-in users only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from hub.accounts.roles import OrgKind, Role
from hub.disclosure import policy
from hub.disclosure.security_txt import EXPIRES_AFTER, SecurityTxt
from hub.version import VERSION
from tests.support.hubclient import HubUnderTest, running_hub

SECURITY_TXT = "/.well-known/security.txt"
REQUIRED = ("Contact", "Expires", "Preferred-Languages", "Policy", "Canonical")


def fields_of(body: str) -> list[tuple[str, str]]:
    """The fields of a security.txt in their order; comments and blank lines skipped (RFC 9116 section 4)."""
    found = []
    for line in body.splitlines():
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition(": ")
        assert sep, f"not a field: {line!r}"
        found.append((name, value))
    return found


def single(fields: list[tuple[str, str]], name: str) -> str:
    values = [value for field, value in fields if field == name]
    assert len(values) == 1, f"{name}: {values}"
    return values[0]


def assert_security_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


async def test_security_txt_is_served_to_anyone_as_plain_text_with_every_field(hub_sqlite: HubUnderTest) -> None:
    before = datetime.now(UTC)
    response = await hub_sqlite.client().get(SECURITY_TXT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "set-cookie" not in response.headers  # no session is made or needed
    assert_security_headers(response)
    fields = fields_of(response.text)
    assert {name for name, _ in fields} == set(REQUIRED)
    base = hub_sqlite.settings.base_url  # http://127.0.0.1:<port>: no domain, so the address literal
    assert single(fields, "Contact") == "mailto:security@[127.0.0.1]"
    assert single(fields, "Preferred-Languages") == "nl, en"
    assert single(fields, "Policy") == f"{base}/kwetsbaarheid-melden"
    assert single(fields, "Canonical") == f"{base}{SECURITY_TXT}"
    expires = datetime.strptime(single(fields, "Expires"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before < expires < before + timedelta(days=365)


async def test_a_logged_in_user_gets_the_same_file(hub_sqlite: HubUnderTest) -> None:
    org = await hub_sqlite.org(OrgKind.KANTOOR, "Kantoor A")
    client = await hub_sqlite.client_for(await hub_sqlite.user(org, Role.BEWINDVOERDER))
    anonymous = await hub_sqlite.client().get(SECURITY_TXT)
    logged_in = await client.get(SECURITY_TXT)
    assert logged_in.status_code == 200 and logged_in.text == anonymous.text


async def test_the_operators_contact_and_policy_come_from_the_settings(sqlite_url: str, tmp_path: Path) -> None:
    settings = {
        "HUB_BASE_URL": "https://hub.gemeente.example.nl",
        "HUB_SECURITY_CONTACT": "mailto:cert@gemeente.example.nl, https://gemeente.example.nl/melden",
        "HUB_SECURITY_POLICY_URL": "https://gemeente.example.nl/cvd-beleid",
    }
    async with running_hub(tmp_path / "data", sqlite_url, **settings) as hub:
        response = await hub.client().get(SECURITY_TXT)
        page = await hub.client().get("/kwetsbaarheid-melden")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    fields = fields_of(response.text)
    contacts = [value for name, value in fields if name == "Contact"]
    assert contacts == ["mailto:cert@gemeente.example.nl", "https://gemeente.example.nl/melden"]  # in order
    assert single(fields, "Policy") == "https://gemeente.example.nl/cvd-beleid"
    assert single(fields, "Canonical") == "https://hub.gemeente.example.nl/.well-known/security.txt"
    # The hub's own page still answers, names the operator's contacts and points to the operator's policy.
    assert page.status_code == 200
    assert 'href="mailto:cert@gemeente.example.nl">cert@gemeente.example.nl</a>' in page.text
    assert 'href="https://gemeente.example.nl/cvd-beleid"' in page.text


async def test_without_a_contact_the_hubs_own_domain_has_a_security_mailbox(sqlite_url: str, tmp_path: Path) -> None:
    async with running_hub(tmp_path / "data", sqlite_url, HUB_BASE_URL="https://hub.example.nl") as hub:
        fields = fields_of((await hub.client().get(SECURITY_TXT)).text)
    assert single(fields, "Contact") == "mailto:security@hub.example.nl"
    assert single(fields, "Policy") == "https://hub.example.nl/kwetsbaarheid-melden"


@pytest.mark.parametrize("hour", [0, 12, 23])
def test_expires_is_a_fixed_distance_from_the_day_so_the_file_changes_once_a_day(hour: int) -> None:
    document = SecurityTxt(contacts=["mailto:a@b.example"], policy="https://b.example/p", canonical="https://b.example")
    now = datetime(2026, 12, 7, hour, 59, 59, tzinfo=UTC)
    (expires,) = [v for k, v in fields_of(document.render(now)) if k == "Expires"]
    assert (
        expires
        == "2027-03-07T00:00:00Z"
        == (datetime(2026, 12, 7, tzinfo=UTC) + EXPIRES_AFTER).strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def test_a_security_txt_without_a_contact_is_refused() -> None:
    with pytest.raises(ValueError, match="Contact"):
        SecurityTxt(contacts=[], policy="https://b.example/p", canonical="https://b.example").render(datetime.now(UTC))


async def test_the_disclosure_page_is_public_and_states_the_terms(hub_sqlite: HubUnderTest) -> None:
    page = await hub_sqlite.client().get("/kwetsbaarheid-melden")
    assert page.status_code == 200
    assert_security_headers(page)
    text = " ".join(page.text.split())
    assert "<h1>Kwetsbaarheid melden</h1>" in text
    assert 'href="mailto:security@[127.0.0.1]"' in text
    assert f"Binnen {policy.ACKNOWLEDGE_WERKDAGEN} werkdagen bevestigt" in text
    assert f"Binnen {policy.ASSESS_WERKDAGEN} werkdagen hoort u" in text
    assert f"binnen {policy.FIX_WITHIN_DAYS} dagen" in text
    assert "Geen aangifte" in text
    # Every page links to it, the login page included.
    login = await hub_sqlite.client().get("/inloggen")
    assert 'href="/kwetsbaarheid-melden">Kwetsbaarheid melden</a>' in login.text


async def test_the_version_is_shown_to_logged_in_users_only(hub_sqlite: HubUnderTest) -> None:
    org = await hub_sqlite.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub_sqlite.user(org, Role.BEWINDVOERDER, email="bea@kantoor-a.example.nl")
    logged_in = await (await hub_sqlite.client_for(user)).get("/")
    assert logged_in.status_code == 200
    assert f'<span id="hub-version">Versie {VERSION}</span>' in logged_in.text

    anonymous = hub_sqlite.client()
    for path in ("/inloggen", "/kwetsbaarheid-melden"):
        page = await anonymous.get(path)
        assert page.status_code == 200 and "hub-version" not in page.text and VERSION not in page.text
    assert VERSION not in (await anonymous.get("/nergens")).text  # the error page neither

    # Half logged in (password, no second factor yet) is not logged in.
    half = await hub_sqlite.login_via_pages("bea@kantoor-a.example.nl")
    mfa = await half.get("/inloggen/mfa")
    assert mfa.status_code == 200 and "hub-version" not in mfa.text
