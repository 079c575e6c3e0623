"""A real Chromium opens the disclosure page from the login page's footer; axe finds nothing on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from hub import migrate
from hub.config import Settings
from hub.keys import create_keyring
from tests.support.browser import assert_accessible, chromium, serve_in_thread

pytestmark = pytest.mark.browser


def test_the_disclosure_page_is_reached_from_the_footer_and_accessible(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", HUB_SECURITY_CONTACT="mailto:cert@gemeente.example.nl")
    settings.data_dir.mkdir(parents=True)
    create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    with serve_in_thread(settings) as base, chromium() as browser:
        page = browser.new_context(bypass_csp=True).new_page()  # bypass_csp only so axe's script can be injected
        page.goto(f"{base}/inloggen")
        page.get_by_role("contentinfo").get_by_role("link", name="Kwetsbaarheid melden").click()
        page.wait_for_url(f"{base}/kwetsbaarheid-melden")
        expect(page.get_by_role("heading", level=1)).to_have_text("Kwetsbaarheid melden")
        expect(page.get_by_role("link", name="cert@gemeente.example.nl")).to_have_attribute(
            "href", "mailto:cert@gemeente.example.nl"
        )
        assert_accessible(page)
