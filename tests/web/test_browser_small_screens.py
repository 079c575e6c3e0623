"""Issue 15 in a real Chromium, on the demo hub with long names, addresses and file names (one browser for the module,
axe on every state): no page scrolls sideways at 320 or 390 px (WCAG 1.4.10); a refused submit moves the focus to the
error summary and its title starts with "Fout: "; a Dutch date typed by hand is read, a two-digit year refused with
the format the hint names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hub.demo import valid_bsns
from tests.support.browser import assert_accessible
from tests.web.small_screen_world import LONG_EMAIL, LONG_FILENAME, ROLE_EMAILS, SmallScreenWorld, small_screen_world

pytestmark = pytest.mark.browser

# What each role opens in a day's work: inbox, case list, case page, thread, work list, monitoring, admin, account.
PAGES = {
    "bewindvoerder": (
        "/", "/dossiers", "/dossiers/{case}", "/dossiers/{case}/inzage", "/dossiers/{case}/corrigeren",
        "/dossiers/nieuw", "/dossiers/{case}/bewaren", "/berichten", "/berichten?tab=alle",
        "/berichten/nieuw?dossier={case}", "/account",
    ),
    "kantoorbeheerder": ("/gebruikers", "/organisatie/contactgegevens"),
    "klantmanager": ("/", "/dossiers", "/dossiers/{case}", "/berichten?tab=alle"),
    "consulent": ("/", "/bijzondere-bijstand"),
    "contractmanager": (
        "/monitoring", "/monitoring/termijnen", "/monitoring/steekproeven", "/instellingen/sluitingsdagen",
        "/aanmelding-schuldhulp", "/routekaart",
    ),
    "gemeentebeheerder": ("/gebruikers",),
    "fg": ("/auditlog",),
    "functioneel": ("/", "/gebruikers", "/beheer/organisaties", "/beheer/convenanten", "/beheer/mail"),
}  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallScreenWorld]:
    with small_screen_world(tmp_path_factory.mktemp("small") / "data") as built:
        yield built


def _assert_no_sideways_scroll(page: Any) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] != widths[1]:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .slice(-5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))"""
        )
        raise AssertionError(f"{page.url} is {widths[0]} px wide at {widths[1]} px: {wide}")


def _threads_of(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all(
            "table.inbox a[href^='/berichten/']", "links => links.map(a => a.getAttribute('href'))"
        )
    )


@pytest.mark.parametrize("width", [320, 390])
def test_no_page_scrolls_sideways(world: SmallScreenWorld, width: int) -> None:
    for role, paths in PAGES.items():
        page = world.page_as(role, width)
        for path in paths:
            response = page.goto(world.base + path.format(case=world.case_id))
            assert response is not None and response.status == 200, (role, path)
            _assert_no_sideways_scroll(page)
            if width == 320:
                assert_accessible(page)
        if role == "bewindvoerder":
            # The long file name wraps in the documents table and in the reply form of a thread on the case.
            page.goto(f"{world.base}/dossiers/{world.case_id}")
            expect(page.get_by_role("link", name=f"{LONG_FILENAME} downloaden")).to_be_visible()
            page.goto(f"{world.base}/berichten?tab=alle")
            for thread in _threads_of(page)[:3]:
                page.goto(world.base + thread)
                _assert_no_sideways_scroll(page)
                if width == 320:
                    assert_accessible(page)
        if role == "kantoorbeheerder":
            page.goto(f"{world.base}/gebruikers")
            expect(page.locator("td", has_text=LONG_EMAIL)).to_be_visible()
        page.context.close()
    login = world.browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True).new_page()
    login.goto(f"{world.base}/inloggen")
    _assert_no_sideways_scroll(login)
    login.context.close()


def test_a_stacked_row_names_each_value(world: SmallScreenWorld) -> None:
    page = world.page_as("kantoorbeheerder", 320)
    page.goto(f"{world.base}/gebruikers")
    row = page.locator("tr", has_text=LONG_EMAIL)
    # The header row stays for screen readers; on screen each value carries its column's name.
    label = row.locator("td").first.evaluate("td => getComputedStyle(td, '::before').content")
    assert label.strip('"') == page.locator("thead th").first.inner_text()
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"
    page.set_viewport_size({"width": 1280, "height": 800})
    assert row.evaluate("tr => getComputedStyle(tr).display") == "table-row"
    page.context.close()


def test_a_refused_submit_focuses_the_error_summary(world: SmallScreenWorld) -> None:
    page = world.page_as("bewindvoerder", 320)
    page.goto(f"{world.base}/dossiers/nieuw")
    assert not page.title().startswith("Fout")
    page.get_by_role("button", name="Dossier aanmaken").click()
    page.wait_for_load_state()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert page.title().startswith("Fout: Nieuw dossier")
    # Right after the heading, so that without the script it is still the first thing read.
    assert page.evaluate("document.querySelector('h1').nextElementSibling.hasAttribute('data-error-summary')")
    assert summary.get_attribute("tabindex") == "-1"
    _assert_no_sideways_scroll(page)
    assert_accessible(page)
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.tagName") in ("INPUT", "SELECT", "TEXTAREA")

    # The same on a GET form (the audit log's filter) and on the login page.
    fg = world.page_as("fg", 320)
    fg.goto(f"{world.base}/auditlog?vanaf=31-02-2026")
    expect(fg.locator("[data-error-summary]")).to_be_focused()
    assert fg.title().startswith("Fout: Auditlog")
    assert_accessible(fg)
    login = world.browser.new_context(viewport={"width": 320, "height": 800}, bypass_csp=True).new_page()
    login.goto(f"{world.base}/inloggen")
    login.get_by_label("E-mailadres").fill(ROLE_EMAILS["bewindvoerder"])
    login.get_by_label("Wachtwoord").fill("niet-het-wachtwoord")
    login.get_by_role("button", name="Inloggen").click()
    expect(login.locator("[data-error-summary]")).to_be_focused()
    assert login.title().startswith("Fout: Inloggen")
    assert_accessible(login)
    for opened in (page, fg, login):
        opened.context.close()


def test_a_dutch_date_is_typed_as_the_hint_says(world: SmallScreenWorld) -> None:
    page = world.page_as("bewindvoerder", 390)
    page.goto(f"{world.base}/dossiers/nieuw")
    hint = "Typ de datum als dag-maand-jaar, bijvoorbeeld 13-03-2026."
    expect(page.locator("#birth_date-hint")).to_have_text(hint)
    assert page.locator("#birth_date").get_attribute("type") == "text"
    page.locator("#convenant_id").select_option(label="Gemeente Nijmegen")
    page.locator("#client_name").fill("Teunis van Amerongen-Oudenrijn")
    page.locator("#bsn").fill(valid_bsns(612000000, 1)[0])
    page.locator("#birth_date").fill("1-12-71")  # a two-digit year is never guessed
    page.locator("#beschikking_date").fill("1-12-2025")
    page.locator("#bewind_start_date").fill("01-12-2025")
    page.get_by_label("Schuldenbewind", exact=True).check()
    page.locator("#rechtbank").select_option("Rechtbank Gelderland")
    page.get_by_role("button", name="Dossier aanmaken").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Vul een geldige datum in, bijvoorbeeld 13-03-2026 (dag-maand-jaar).")
    assert page.locator("#birth_date").input_value() == "1-12-71"  # shown again as typed
    assert page.locator("#beschikking_date").input_value() == "01-12-2025"  # read, shown the Dutch way
    assert_accessible(page)

    page.locator("#birth_date").fill("30-7-1971")
    page.get_by_role("button", name="Dossier aanmaken").click()
    page.wait_for_load_state()
    assert "gelukt=geopend" in page.url, page.locator("main").inner_text()[:800]
    expect(page.get_by_text("1 december 2025").first).to_be_visible()
    expect(page.get_by_text("30 juli 1971")).to_be_visible()
    # A stored date comes back in a form the way the user types it.
    case_url = page.url.split("?")[0]
    page.goto(case_url + "/corrigeren")
    expect(page.locator("#birth_date")).to_have_value("30-07-1971")
    page.context.close()


def test_the_upload_form_keeps_working_at_320(world: SmallScreenWorld, tmp_path: Path) -> None:
    page = world.page_as("bewindvoerder", 320)
    page.goto(f"{world.base}/dossiers/{world.case_id}")
    nota = tmp_path / LONG_FILENAME.replace("cak-nota", "tweede-cak-nota")
    nota.write_bytes(b"%PDF-1.4\n" + b"0" * 3000 + b"\n%%EOF\n")
    page.locator("#doc_type-1").select_option("cak_nota")  # the first of the file rows
    page.locator("#document_date-1").fill("3-2-2026")
    page.locator("#document_file-1").set_input_files(nota)
    page.get_by_role("button", name="Documenten uploaden").click()
    page.wait_for_url(f"**/dossiers/{world.case_id}?gelukt=document*")
    expect(page.get_by_role("link", name=nota.name).first).to_be_visible()
    _assert_no_sideways_scroll(page)
    assert_accessible(page)
    page.context.close()


def _login_without_script(world: SmallScreenWorld, role: str) -> Any:
    """A page with JavaScript disabled, logged in through the forms (password, then the authenticator code)."""
    context = world.browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800})
    page = context.new_page()
    email = ROLE_EMAILS[role]
    page.goto(f"{world.base}/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(world.accounts[email].password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/inloggen/mfa**")
    page.get_by_label("Code uit uw authenticator-app").fill(world.totp_code(email))
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{world.base}/")
    return page


def test_the_main_flows_work_without_javascript(world: SmallScreenWorld, tmp_path: Path) -> None:
    bea = _login_without_script(world, "bewindvoerder")
    bea.get_by_role("link", name="Dossiers", exact=True).click()
    bea.wait_for_url(f"{world.base}/dossiers")
    bea.get_by_role("link", name=world.reference).click()
    bea.wait_for_url(f"{world.base}/dossiers/{world.case_id}")

    besluit = tmp_path / "cak-nota.pdf"
    besluit.write_bytes(b"%PDF-1.4\n" + b"1" * 4000 + b"\n%%EOF\n")
    bea.locator("#doc_type-1").select_option("cak_nota")  # the first of the file rows
    bea.locator("#document_date-1").fill("2-3-2026")
    bea.locator("#document_file-1").set_input_files(besluit)
    bea.get_by_role("button", name="Documenten uploaden").click()
    bea.wait_for_url(f"**/dossiers/{world.case_id}?gelukt=document*")
    expect(bea.locator("table.documents td", has_text="2 maart 2026")).to_be_visible()

    bea.goto(f"{world.base}/berichten/nieuw?dossier={world.case_id}")
    bea.get_by_role("button", name="Vraag versturen").click()  # empty: refused
    assert bea.title().startswith("Fout: ")
    # Without the script nothing moves the focus; the summary is still the first thing after the heading.
    expect(bea.locator("h1 + [data-error-summary]")).to_be_visible()
    bea.get_by_label("Onderwerp").fill("Welke CAK-nota geldt?")
    bea.get_by_label("Uw vraag").fill("Er staan twee CAK-nota's in het dossier. Welke is de juiste?")
    bea.get_by_role("button", name="Vraag versturen").click()
    bea.wait_for_url("**/berichten/*?gelukt=gestart")
    thread_url = bea.url.split("?")[0]
    expect(bea.get_by_text("Uw vraag is verstuurd.")).to_be_visible()

    karim = _login_without_script(world, "klantmanager")
    karim.goto(thread_url)
    # The kantoor's upload is new to the klantmanager, named with its type and date beside the other cak-nota.
    new_one = karim.get_by_label("cak-nota.pdf (CAK-nota, maandag 2 maart 2026) — nieuw")
    expect(new_one).to_be_visible()
    # The older one: new or not depends on whether this klantmanager opened the case page since (another test does).
    older = karim.get_by_label(re.compile("^" + re.escape(f"{LONG_FILENAME} (CAK-nota, donderdag 15 januari 2026)")))
    expect(older).to_be_visible()
    karim.get_by_label("Uw bericht").fill("De nota van 2 maart geldt; die van januari is vervangen.")
    karim.get_by_label("Inhoudelijke reactie").check()
    new_one.check()
    karim.get_by_role("button", name="Versturen").click()
    karim.wait_for_url("**/berichten/*?gelukt=verstuurd*")
    expect(karim.get_by_text("Uw bericht is verstuurd.")).to_be_visible()

    bea.goto(thread_url)
    expect(bea.get_by_text("De nota van 2 maart geldt")).to_be_visible()
    expect(bea.locator(".message .attachments").get_by_role("link", name="cak-nota.pdf")).to_be_visible()
    for page in (bea, karim):
        page.context.close()
