"""The reply form promises a virus scan only on a hub that scans (HUB_CLAMD set), never with HUB_CLAMD=off."""

from __future__ import annotations

import pytest

from tests.messaging.test_reply_upload import _ask
from tests.messaging.world import World

NO_SCAN_HINT = "Het bestand wordt versleuteld bewaard in dossier"
SCAN_HINT = "Het bestand wordt op virussen gecontroleerd, versleuteld bewaard in dossier"


async def test_without_a_scanner_the_reply_form_claims_no_scan(world_sqlite: World) -> None:
    thread = await _ask(world_sqlite)
    karim = await world_sqlite.hub.client_for(world_sqlite.klantmanager)
    page = await karim.get(f"/berichten/{thread.id}")
    assert NO_SCAN_HINT in page.text
    assert "virussen" not in page.text


@pytest.mark.clamd
async def test_with_clamd_the_reply_form_says_the_file_is_scanned(world_clamd: World) -> None:
    thread = await _ask(world_clamd)
    karim = await world_clamd.hub.client_for(world_clamd.klantmanager)
    page = await karim.get(f"/berichten/{thread.id}")
    assert SCAN_HINT in page.text
