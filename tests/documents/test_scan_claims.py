"""No page says a file was "op virussen gecontroleerd" unless the virus scanner checked it: without clamd
(HUB_CLAMD=off) neither the form nor the notice after an upload claims a scan; with clamd both say so."""

from __future__ import annotations

from typing import Any

import pytest

from tests.documents.conftest import Vault, pdf_bytes
from tests.support.clamd import Clamd

SCAN = "virussen"


def notice_of(page: str) -> str:
    start = page.index('<div class="notice" role="status">')
    return page[start : page.index("</div>", start)]


async def test_without_a_scanner_no_page_claims_a_scan(vault_sqlite: Vault) -> None:
    assert not vault_sqlite.hub.settings.scanning
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    case_url = f"/dossiers/{vault_sqlite.case.id}"
    form = await bea.get(case_url)
    assert 'name="file"' in form.text
    assert "wordt versleuteld bewaard" in form.text
    assert SCAN not in form.text

    await vault_sqlite.upload_ok(bea, "a.pdf", pdf_bytes())  # answers ?gelukt=document, the key of no scan
    page = await bea.get(f"{case_url}?gelukt=document")
    assert notice_of(page.text).endswith("Het document is opgeslagen. Het is versleuteld bewaard.")
    assert SCAN not in page.text
    # Not even a hand-made link with the key of a scanned upload makes a hub without a scanner claim one.
    page = await bea.get(f"{case_url}?gelukt=document-gescand")
    assert "Het document is opgeslagen." in page.text
    assert SCAN not in page.text


@pytest.mark.clamd
async def test_with_clamd_the_form_and_the_notice_say_the_file_was_scanned(make_vault: Any, clamd: Clamd) -> None:
    async with make_vault(HUB_CLAMD=clamd.address) as vault:
        bea = await vault.hub.client_for(vault.bewindvoerder)
        case_url = f"/dossiers/{vault.case.id}"
        form = await bea.get(case_url)
        assert "Elk bestand wordt op virussen gecontroleerd en versleuteld bewaard." in form.text
        await vault.upload_ok(bea, "a.pdf", pdf_bytes())  # answers ?gelukt=document-gescand: clamd checked it
        page = await bea.get(f"{case_url}?gelukt=document-gescand")
        assert notice_of(page.text).endswith(
            "Het document is opgeslagen. Het is versleuteld bewaard en op virussen gecontroleerd."
        )
