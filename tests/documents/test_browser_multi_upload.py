"""Several files in a real Chromium: dropped on the form (a drop event with a DataTransfer), sent with a progress bar
under the hub's own CSP (the script is static, from 'self'), refused as a whole with the row named; the preview's
response headers; the plain form without JavaScript, for the case's upload and for a new question with a file.
axe checks the enhanced form, the refusal and the question form."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hub import migrate
from hub.config import Settings
from hub.keys import create_keyring
from tests.documents.conftest import png_bytes
from tests.documents.test_browser_documents import BEA, KARIM, _seed
from tests.support.browser import assert_accessible, chromium, log_in, serve_in_thread

pytestmark = pytest.mark.browser

BIG = 3 * 1024 * 1024  # a few MB: with the upload throttled, the progress shows several steps

DROP = """async ([size, bad]) => {
  const pdf = (name, n) => {
    const body = new Uint8Array(n);
    for (let i = 0; i < n; i += 1) { body[i] = (i * 7919) % 251; }
    return new File([new TextEncoder().encode('%PDF-1.7\\n'), body, new TextEncoder().encode('\\n%%EOF\\n')], name,
                    {type: 'application/pdf'});
  };
  const dt = new DataTransfer();
  dt.items.add(pdf('jaaroverzicht 2025.pdf', size));
  dt.items.add(bad ? new File([new Uint8Array([77, 90, 144, 0, 3, 0, 0, 0])], 'factuur.pdf') : pdf('brief.pdf', 2000));
  const zone = document.querySelector('[data-drop-zone]');
  zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
}"""

WATCH = """() => {
  const box = document.querySelector('[data-upload-progress]');
  const bar = box.querySelector('progress');
  const status = box.querySelector('[data-upload-status]');
  new MutationObserver(() => window.hubProgress(bar.value, status.textContent, box.hidden,
                                                status.getAttribute('aria-live')))
    .observe(box, {subtree: true, attributes: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def hub_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("multi")
    settings = Settings.for_data_dir(tmp / "data")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    seeded = asyncio.run(_seed(settings.database_url, keyring))
    with serve_in_thread(settings) as base, chromium() as browser:
        yield {"base": base, "browser": browser, "tmp": tmp, **seeded}


def _page(site: dict[str, Any], who: str, **context: Any) -> Any:
    """A page of a new context, logged in as ``who``: once per module (a TOTP code is accepted once), then the
    session's cookies are carried over."""
    states = site.setdefault("states", {})
    if who in states:
        return site["browser"].new_context(storage_state=states[who], **context).new_page()
    page = site["browser"].new_context(**context).new_page()
    log_in(page, site["base"], who, site["secrets"][who])
    states[who] = page.context.storage_state()
    return page


def _describe_rows(page: Any, count: int) -> None:
    for n in range(1, count + 1):
        row = page.get_by_role("group", name=f"Bestand {n}")
        row.get_by_label("Soort document").select_option("overig")
        row.get_by_label("Datum van het document").fill("2026-01-15")


def test_drop_two_files_and_upload_with_progress_under_the_csp(hub_site: dict[str, Any]) -> None:
    base, case_url = hub_site["base"], f"/dossiers/{hub_site['case_id']}"
    page = _page(hub_site, BEA)  # the hub's CSP enforced: the script must work from 'self' alone
    seen: list[tuple[float, str, bool, str]] = []
    page.expose_function("hubProgress", lambda *args: seen.append(tuple(args)))
    page.goto(base + case_url)
    expect(page.get_by_text("Sleep bestanden hierheen")).to_be_visible()
    expect(page.get_by_role("group", name="Bestand 2 (niet verplicht)")).to_be_hidden()  # empty rows wait

    page.evaluate(DROP, [BIG, False])
    expect(page.get_by_text("2 bestanden toegevoegd.")).to_be_visible()
    assert page.evaluate("() => [...document.querySelectorAll('input[type=file]')].map(i => i.files.length)")[:2] == [
        1,
        1,
    ]
    _describe_rows(page, 2)
    page.evaluate(WATCH)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 1024 * 1024},
    )
    page.get_by_role("button", name="Documenten uploaden").click()
    page.wait_for_url(f"{base}{case_url}?gelukt=document-meer", timeout=30_000)
    expect(page.get_by_role("status").filter(has_text="De documenten zijn opgeslagen.")).to_be_visible()
    expect(page.get_by_role("link", name="jaaroverzicht 2025.pdf downloaden")).to_be_visible()
    expect(page.get_by_role("link", name="brief.pdf downloaden")).to_be_visible()

    values = [v for v, _, hidden, _ in seen if not hidden]
    texts = [t for _, t, hidden, _ in seen if not hidden]
    assert any(0 < v < 100 for v in values), seen  # shown on the way, not only at the end
    assert max(values) == 100
    assert any("% geüpload, nog ongeveer" in t for t in texts), texts  # percentage and time left
    assert all(live == "polite" for *_, live in seen)
    page.context.close()


def test_a_refused_file_in_a_drop_keeps_none_and_the_page_says_which(hub_site: dict[str, Any]) -> None:
    base, case_url = hub_site["base"], f"/dossiers/{hub_site['case_id']}"
    page = _page(hub_site, BEA, bypass_csp=True)  # bypass: only so axe's script can be injected
    page.goto(base + case_url)
    assert_accessible(page)  # the enhanced form: drop zone, rows, the button for another row
    page.evaluate(DROP, [20_000, True])
    _describe_rows(page, 2)
    page.get_by_role("button", name="Documenten uploaden").click()
    expect(page.get_by_role("heading", name="Document niet opgeslagen")).to_be_visible()
    expect(page.get_by_role("link", name="Bestand 2 (factuur.pdf):")).to_be_visible()
    # Focus moves to the error summary, so that a screen reader reads the problem first.
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    expect(page.get_by_text("Sleep bestanden hierheen")).to_be_visible()  # the new form is enhanced again
    assert_accessible(page)
    page.goto(base + case_url)
    expect(page.get_by_role("link", name="jaaroverzicht 2025.pdf downloaden")).to_have_count(1)  # only the earlier
    page.context.close()


def test_the_preview_is_served_sandboxed_with_its_sniffed_type(hub_site: dict[str, Any]) -> None:
    base, case_url = hub_site["base"], f"/dossiers/{hub_site['case_id']}"
    image = Path(hub_site["tmp"]) / "scan.png"
    image.write_bytes(png_bytes(4000))
    page = _page(hub_site, KARIM, java_script_enabled=False)
    page.goto(base + case_url)
    row = page.get_by_role("group", name="Bestand 1", exact=True)
    row.get_by_label("Soort document").select_option("overig")
    row.get_by_label("Datum van het document").fill("2026-01-15")
    row.get_by_label("Bestand", exact=True).set_input_files(str(image))
    page.get_by_role("button", name="Documenten uploaden").click()
    page.wait_for_url("**?gelukt=document")
    for name, content_type in (("scan.png", "image/png"), ("jaaroverzicht 2025.pdf", "application/pdf")):
        href = page.get_by_role("link", name=f"Bekijken van {name} in de browser").get_attribute("href")
        response = page.request.get(base + href)
        assert response.status == 200
        headers = response.headers
        assert headers["content-type"] == content_type
        assert headers["content-security-policy"].startswith("sandbox")
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["content-disposition"].startswith("inline;")
    page.context.close()


def test_without_javascript_the_plain_form_takes_several_files(hub_site: dict[str, Any]) -> None:
    base, case_url = hub_site["base"], f"/dossiers/{hub_site['case_id']}"
    tmp = Path(hub_site["tmp"])
    files = [tmp / "een.pdf", tmp / "twee.pdf"]
    for path in files:
        path.write_bytes(b"%PDF-1.7\n" + path.name.encode() * 500 + b"\n%%EOF\n")
    page = _page(hub_site, BEA, java_script_enabled=False)
    page.goto(base + case_url)
    expect(page.get_by_text("Sleep bestanden hierheen")).to_have_count(0)
    expect(page.get_by_role("group", name="Bestand 5 (niet verplicht)")).to_be_visible()  # every row, no script
    _describe_rows(page, 2)
    for n, path in enumerate(files, 1):
        page.get_by_role("group", name=f"Bestand {n}").get_by_label("Bestand", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Documenten uploaden").click()
    page.wait_for_url("**?gelukt=document-meer")
    expect(page.get_by_role("link", name="twee.pdf downloaden")).to_be_visible()

    # The first question on the case, with a file, without JavaScript either.
    page.goto(f"{base}/berichten/nieuw?dossier={hub_site['case_id']}")
    page.get_by_label("Onderwerp").fill("Jaaroverzicht")
    page.get_by_label("Uw vraag").fill("Bijgaand het jaaroverzicht.")
    row = page.get_by_role("group", name="Bestand 1 (niet verplicht)")
    row.get_by_label("Soort document").select_option("overig")
    row.get_by_label("Datum van het document").fill("2026-01-15")
    row.get_by_label("Bestand", exact=True).set_input_files(str(files[0]))
    page.get_by_role("button", name="Vraag versturen").click()
    page.wait_for_url("**?gelukt=gestart")
    expect(page.get_by_text("een.pdf").first).to_be_visible()
    page.context.close()


def test_the_question_form_with_file_rows_is_accessible(hub_site: dict[str, Any]) -> None:
    page = _page(hub_site, BEA, bypass_csp=True)  # bypass: only so axe's script can be injected
    page.goto(f"{hub_site['base']}/berichten/nieuw?dossier={hub_site['case_id']}")
    expect(page.get_by_text("Sleep bestanden hierheen")).to_be_visible()
    assert_accessible(page)
    page.context.close()
