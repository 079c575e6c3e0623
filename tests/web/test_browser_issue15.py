"""Issue 15 in a real Chromium, as its acceptance tests would walk it: a new question with a file and a reply typed
while the session ran out come back after logging in (the file must be chosen again, the notice says so), never for
another user of that browser; the idle warning is answered by keyboard alone; several files with one infected
(a real clamd) keep none and name the file, a large one shows its progress, the preview is sandboxed and another
organisation's is 404; the confirm pages and the administration pages. axe checks every new page state.
One database, one hub with clamd and one browser for the module."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update
from sqlmodel import col

from crypto import Keyring
from hub import migrate
from hub.accounts import totp
from hub.accounts.auth import AuthService
from hub.accounts.kept_forms import KeptForm
from hub.accounts.models import User, UserSession
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.cases.records import local_today
from hub.cases.services import CaseService
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction, utcnow
from hub.documents.models import Document
from hub.keys import create_keyring
from hub.web.kept_forms import KEPT_NOTICE
from tests.documents.conftest import png_bytes
from tests.support.browser import assert_accessible, chromium, serve_in_thread
from tests.support.clamd import Clamd, clamd, eicar  # noqa: F401  (the session fixture)
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser

QUESTION = "Is de beschikking al binnen?\nDe cliënt belt er elke dag over."
REPLY = "Dank u. Ik stuur de nota morgen."
PEOPLE = (  # key, organisation, name, role
    ("bea", "kantoor", "Bea Bewind", Role.BEWINDVOERDER),
    ("bob", "kantoor", "Bob Blijft", Role.BEWINDVOERDER),
    ("kees", "kantoor", "Kees Beheer", Role.KANTOORBEHEERDER),
    ("karim", "gemeente", "Karim Klant", Role.KLANTMANAGER),
    ("otto", "ander", "Otto Ander", Role.BEWINDVOERDER),
    ("fb", "beheer", "Fenna Functioneel", Role.FUNCTIONEEL_BEHEERDER),
)


@dataclass
class Site:
    settings: Settings
    base: str
    browser: Any
    tmp: Path
    case_id: str
    other_case_id: str
    ids: dict[str, str]
    secrets: dict[str, bytes]
    organisations: dict[str, str]

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Playwright's sync API runs an event loop in this thread: use the database from another one."""
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    async def db_call(self, work: Any) -> Any:
        engine = create_engine(self.settings.database_url)
        try:
            async with transaction(session_factory(engine)) as db:
                return await work(db)
        finally:
            await engine.dispose()

    def query(self, work: Any) -> Any:
        return self.run(self.db_call(work))

    def end_sessions(self, key: str) -> None:
        async def work(db: Any) -> None:
            await db.execute(
                update(UserSession)
                .where(col(UserSession.user_id) == self.ids[key])
                .values(last_seen_at=utcnow() - timedelta(hours=1))
            )

        self.query(work)

    def login(self, page: Any, key: str, *, then: str | None = None) -> None:
        """The login pages (where the hub sent the browser, or from the start), landing on ``then``; a fresh TOTP
        step each time."""

        async def reset(db: Any) -> None:
            await db.execute(update(User).where(col(User.id) == self.ids[key]).values(totp_last_step=None))

        self.query(reset)
        if not page.url.startswith(f"{self.base}/inloggen"):
            page.goto(self.base + (f"/inloggen?volgende={then}" if then else "/inloggen"))
        page.get_by_label("E-mailadres").fill(f"{key}@example.nl")
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url("**/inloggen/mfa**")
        page.get_by_label("Code uit uw authenticator-app").fill(totp.code_at(self.secrets[key], time.time()))
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url(self.base + (then or "/"))

    def page(self, key: str | None, **context: Any) -> Any:
        context.setdefault("bypass_csp", True)  # only so axe's script can be injected
        page = self.browser.new_context(**context).new_page()
        if key is not None:
            self.login(page, key)
        return page


async def _seed(url: str, keyring: Keyring) -> dict[str, Any]:
    engine = create_engine(url)
    secrets: dict[str, bytes] = {}
    ids: dict[str, str] = {}
    try:
        async with transaction(session_factory(engine)) as db:
            orgs = OrganisationService(db)
            made = {
                "gemeente": await orgs.create(OrgKind.GEMEENTE, "Gemeente Nijmegen", contact_email="shv@nijmegen.nl"),
                "kantoor": await orgs.create(OrgKind.KANTOOR, "Bewindvoering De Brug", contact_email="info@brug.nl"),
                "ander": await orgs.create(OrgKind.KANTOOR, "Ander Kantoor", contact_email="info@ander.nl"),
                "beheer": await orgs.create(OrgKind.BEHEER, "Beheer"),
            }
            convenant = await ConvenantService(db).create(made["gemeente"].id, made["kantoor"].id, date(2025, 1, 1))
            other = await ConvenantService(db).create(made["gemeente"].id, made["ander"].id, date(2025, 1, 1))
            users: dict[str, User] = {}
            for key, org, name, role in PEOPLE:
                users[key], _ = await UserService(db).create(
                    made[org], name=name, email=f"{key}@example.nl", roles={role}, password=PASSWORD,
                    must_change_password=False,
                )  # fmt: skip
                secrets[key] = totp.new_secret()
                await AuthService(db, keyring).set_totp_secret(users[key], secrets[key])
                ids[key] = users[key].id
            for i in range(55):  # more than one page of the operator's user search
                await UserService(db).create(
                    made["ander"], name=f"Medewerker {i:02d}", email=f"m{i:02d}@ander.example.nl",
                    roles={Role.BEWINDVOERDER},
                )  # fmt: skip
        cases = []
        async with transaction(session_factory(engine)) as db:
            for creator, conv, bsn in ((users["bea"], convenant, "111222333"), (users["otto"], other, "123456782")):
                case = await CaseService(db, keyring).open_case(
                    creator, convenant_id=conv.id, client_name="Jan Jansen", bsn=bsn, birth_date=date(1970, 3, 1),
                    bewind_kind="schuldenbewind", beschikking_date=date(2025, 6, 1),
                    bewind_start_date=date(2025, 6, 1), rechtbank="Rechtbank Gelderland", bewindvoerder_id=creator.id,
                )  # fmt: skip
                cases.append(case.id)
    finally:
        await engine.dispose()
    return {
        "secrets": secrets,
        "ids": ids,
        "case_id": cases[0],
        "other_case_id": cases[1],
        "organisations": {k: v.id for k, v in made.items()},
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, clamd: Clamd) -> Iterator[Site]:  # noqa: F811
    tmp = tmp_path_factory.mktemp("issue15")
    settings = Settings.for_data_dir(tmp / "data", HUB_WORKER="off", HUB_CLAMD=clamd.address)
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    seeded = asyncio.run(_seed(settings.database_url, keyring))
    with serve_in_thread(settings) as base, chromium() as browser:
        yield Site(settings=settings, base=base, browser=browser, tmp=tmp, **seeded)


def _file(site: Site, name: str, content: bytes) -> str:
    path = site.tmp / name
    path.write_bytes(content)
    return str(path)


def _pdf(size: int) -> bytes:
    return b"%PDF-1.7\n" + bytes((i * 7919) % 251 for i in range(size)) + b"\n%%EOF\n"


def _row(page: Any, n: int, doc_type: str, path: str | None) -> None:
    row = page.get_by_role("group", name=re.compile(f"^Bestand {n}( |$)"))
    row.get_by_label("Soort document").select_option(doc_type)
    row.get_by_label("Datum van het document").fill("2026-01-15")
    if path is not None:
        row.get_by_label("Bestand", exact=True).set_input_files(path)


def _kept_forms(site: Site) -> int:
    async def work(db: Any) -> int:
        return len((await db.execute(select(KeptForm))).scalars().all())

    return int(site.query(work))


def test_a_question_and_a_reply_typed_while_the_session_ran_out_come_back(site: Site) -> None:
    question_url = f"/berichten/nieuw?dossier={site.case_id}"
    page = site.page("bea")
    page.goto(site.base + question_url)
    page.get_by_label("Onderwerp").fill("Beschikking")
    page.get_by_label("Uw vraag").fill(QUESTION)
    pdf = _file(site, "beschikking.pdf", _pdf(20_000))
    _row(page, 1, "benoemingsbeschikking", pdf)
    site.end_sessions("bea")  # lunch
    page.get_by_role("button", name="Vraag versturen").click()

    page.wait_for_url("**/inloggen?**")
    expect(page.get_by_role("status")).to_contain_text("Uw sessie is verlopen.")
    assert_accessible(page)
    site.login(page, "bea", then=question_url)  # the same page, the case's question form
    expect(page.locator("#teruggezet")).to_have_text(KEPT_NOTICE)
    expect(page.get_by_text("Bijlagen moeten opnieuw worden gekozen.")).to_be_visible()
    expect(page.get_by_label("Onderwerp")).to_have_value("Beschikking")
    expect(page.get_by_label("Uw vraag")).to_have_value(QUESTION)
    row = page.get_by_role("group", name=re.compile("^Bestand 1"))
    expect(row.get_by_label("Soort document")).to_have_value("benoemingsbeschikking")
    assert row.get_by_label("Bestand", exact=True).evaluate("input => input.files.length") == 0
    assert_accessible(page)
    assert _kept_forms(site) == 0  # returned once, then gone

    row.get_by_label("Bestand", exact=True).set_input_files(pdf)
    page.get_by_role("button", name="Vraag versturen").click()
    page.wait_for_url("**/berichten/*?gelukt=gestart")
    expect(page.get_by_text("beschikking.pdf").first).to_be_visible()
    thread_url = page.url.split("?")[0]

    thread_path = thread_url.removeprefix(site.base)

    # Two tabs: a reply in this one, another question in a second. The session ends; the reply is sent first and
    # comes back after logging in; the question, sent afterwards with the ended session's token, comes back too.
    second = page.context.new_page()
    second.goto(site.base + question_url)
    second.get_by_label("Onderwerp").fill("Tweede vraag")
    second.get_by_label("Uw vraag").fill("Uit het tweede tabblad.")
    page.get_by_label("Uw bericht").fill(REPLY)
    site.end_sessions("bea")
    page.get_by_role("button", name="Versturen").click()
    page.wait_for_url("**/inloggen?**")
    site.login(page, "bea", then=thread_path)
    expect(page.get_by_label("Uw bericht")).to_have_value(REPLY)
    second.get_by_role("button", name="Vraag versturen").click()
    expect(second.locator("#teruggezet")).to_have_text(KEPT_NOTICE)
    expect(second.get_by_label("Uw vraag")).to_have_value("Uit het tweede tabblad.")
    assert_accessible(second)
    second.close()

    # A reply typed while the session ends; a colleague logs in on this browser: he never sees it.
    site.end_sessions("bea")
    page.get_by_role("button", name="Versturen").click()
    page.wait_for_url("**/inloggen?**")
    assert _kept_forms(site) == 1
    site.login(page, "bob", then=thread_path)
    expect(page.locator("#teruggezet")).to_have_count(0)
    expect(page.get_by_label("Uw bericht")).to_have_value("")
    assert _kept_forms(site) == 0  # removed unseen: Bea will not get it either
    page.context.close()


def test_the_idle_warning_is_answered_by_keyboard(site: Site) -> None:
    settings = Settings.for_data_dir(
        site.settings.data_dir, HUB_WORKER="off", HUB_SESSION_IDLE_SECONDS="12", HUB_SESSION_WARNING_SECONDS="10"
    )
    with serve_in_thread(settings) as base:
        page = site.browser.new_context(bypass_csp=True).new_page()
        original, site.base = site.base, base
        try:
            site.login(page, "karim", then=f"/dossiers/{site.case_id}")
            page.get_by_role("textbox", name="Nieuwe interne notitie").fill(
                "Eerst"
            )  # typed, not sent: it stays on the page
            dialog = page.get_by_role("dialog", name="Uw sessie verloopt bijna")
            expect(dialog).to_be_visible(timeout=8000)
            stay = dialog.get_by_role("button", name="Ingelogd blijven")
            expect(stay).to_be_focused()
            assert_accessible(page)
            page.keyboard.press("Tab")  # a modal dialog keeps the focus inside it
            assert page.evaluate(
                "() => !!document.activeElement.closest('dialog') || document.activeElement === document.body"
            )
            stay.focus()
            page.keyboard.press("Enter")
            expect(dialog).to_be_hidden()
            expect(page.get_by_role("textbox", name="Nieuwe interne notitie")).to_have_value("Eerst")
            page.wait_for_timeout(4000)  # past the first end: the renewed session still holds
            page.goto(f"{base}/berichten")
            assert page.url == f"{base}/berichten"
        finally:
            site.base = original
        page.context.close()


def test_several_files_one_infected_none_kept_and_a_large_one_with_progress(site: Site) -> None:
    case_url = f"{site.base}/dossiers/{site.case_id}"

    async def count_documents(db: Any) -> int:
        return len((await db.execute(select(Document))).scalars().all())

    documents = site.query(count_documents)
    page = site.page("bea")
    page.goto(case_url)
    _row(page, 1, "overig", _file(site, "jaaroverzicht.pdf", _pdf(30_000)))
    page.get_by_role("button", name="Nog een bestand toevoegen").click()
    _row(page, 2, "nota_periodieke_kosten", _file(site, "nota.pdf", eicar()))
    page.get_by_role("button", name="Nog een bestand toevoegen").click()
    _row(page, 3, "overig", _file(site, "scan.png", png_bytes(6000)))
    page.get_by_role("button", name="Documenten uploaden").click()
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("link", name=re.compile(r"^Bestand 2 \(nota\.pdf\):"))).to_be_visible()
    expect(summary).to_contain_text("virus")
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    assert_accessible(page)
    assert site.query(count_documents) == documents  # none of the three kept

    # A large file alone, sent slowly: the bar shows how far it is, with the percentage.
    page.goto(case_url)
    _row(page, 1, "overig", _file(site, "groot bestand.pdf", _pdf(3 * 1024 * 1024)))
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 1024 * 1024},
    )
    page.get_by_role("button", name="Documenten uploaden").click()
    progress = page.get_by_role("progressbar", name="Voortgang van het uploaden")
    expect(progress).to_be_visible()
    expect(page.locator("[data-upload-status]")).to_contain_text(re.compile(r"\d+% geüpload"))
    page.wait_for_url(f"{case_url}?gelukt=document-gescand", timeout=30_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                   "uploadThroughput": -1})  # fmt: skip
    assert site.query(count_documents) == documents + 1

    href = page.get_by_role("link", name="Bekijken van groot bestand.pdf in de browser").get_attribute("href")
    preview = page.request.get(site.base + href)
    assert preview.status == 200
    assert preview.headers["content-type"] == "application/pdf"
    assert preview.headers["content-security-policy"].split("; ")[0] == "sandbox"
    assert preview.headers["x-content-type-options"] == "nosniff"
    other = site.page("otto")  # another kantoor: the document does not exist for it
    assert other.request.get(site.base + href).status == 404
    other.context.close()
    page.context.close()


def test_confirm_pages_and_the_administration_pages(site: Site) -> None:
    bob = site.ids["bob"]
    page = site.page("kees")
    page.goto(f"{site.base}/gebruikers")
    page.get_by_role("link", name="Nieuw tijdelijk wachtwoord voor Bob Blijft").click()
    expect(page.get_by_role("heading", name="Nieuw wachtwoord geven?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Annuleren").click()
    page.wait_for_url(f"{site.base}/gebruikers")

    async def bob_row(db: Any) -> User:
        found = await db.get(User, bob)
        assert found is not None
        return found

    assert not site.query(bob_row).must_change_password  # cancelled: nothing happened
    page.get_by_role("link", name="Nieuw tijdelijk wachtwoord voor Bob Blijft").click()
    confirm = page.get_by_role("button", name=re.compile("^Ja, "))
    confirm.focus()
    page.keyboard.press("Enter")  # keyboard alone
    expect(page.get_by_text("tijdelijk wachtwoord").first).to_be_visible()
    assert_accessible(page)
    assert site.query(bob_row).must_change_password

    # The last administrator cannot step down; the error state is accessible.
    page.goto(f"{site.base}/gebruikers/{site.ids['kees']}")
    page.get_by_role("checkbox", name="Bewindvoerder").check()
    page.get_by_role("checkbox", name="Kantoorbeheerder").uncheck()
    page.get_by_role("button", name="Gegevens opslaan").click()
    expect(page.get_by_role("alert")).to_contain_text("laatste beheerder")
    assert_accessible(page)
    page.goto(f"{site.base}/gebruikers/{bob}/verwijderen")
    expect(page.get_by_role("button", name="Ja, Bob Blijft verwijderen")).to_be_visible()
    assert_accessible(page)
    page.context.close()

    # The functioneel beheerder: a user among many (posted, paged), and an organisation changed and ended.
    page = site.page(
        "fb",
    )
    page.goto(f"{site.base}/beheer/gebruikers")
    page.get_by_label("Naam of e-mailadres").fill("medewerker")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("status")).to_contain_text("55 gebruikers gevonden; pagina 1 van 2.")
    page.get_by_role("button", name="Volgende pagina").click()
    expect(page.get_by_role("status")).to_contain_text("pagina 2 van 2")
    expect(page.get_by_role("link", name="Medewerker 54")).to_be_visible()
    expect(page.get_by_label("Naam of e-mailadres")).to_have_value("medewerker")
    assert "medewerker" not in page.url
    assert_accessible(page)
    page.get_by_label("Organisatie").select_option(label="Bewindvoering De Brug")
    page.get_by_label("Rol").select_option(label="Kantoorbeheerder")
    page.get_by_label("Naam of e-mailadres").fill("")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("status")).to_contain_text("1 gebruiker gevonden")
    expect(page.get_by_role("link", name="Kees Beheer")).to_be_visible()

    page.goto(f"{site.base}/beheer/organisaties/{site.organisations['ander']}")
    page.get_by_label("Naam", exact=True).fill("Ander Kantoor B.V.")
    page.get_by_role("button", name="Gegevens opslaan").click()
    expect(page.get_by_role("heading", name="Ander Kantoor B.V.", level=1)).to_be_visible()
    page.get_by_role("button", name="Ander Kantoor B.V. beëindigen").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Einddatum").fill(local_today().isoformat())
    page.get_by_role("button", name="Ander Kantoor B.V. beëindigen").click()
    expect(page.get_by_role("button", name="Ander Kantoor B.V. beëindigen")).to_have_count(0)
    assert_accessible(page)
    page.context.close()


def test_an_internal_note_never_shows_on_the_other_side(site: Site) -> None:
    page = site.page("karim")
    case_url = f"{site.base}/dossiers/{site.case_id}"
    page.goto(case_url)
    page.get_by_role("textbox", name="Nieuwe interne notitie").fill("Alleen voor ons: cliënt is boos.")
    page.get_by_role("button", name="Notitie opslaan").click()
    page.wait_for_url(f"{case_url}?gelukt=notitie#notities")
    expect(page.get_by_text("Alleen voor ons: cliënt is boos.")).to_be_visible()
    assert_accessible(page)
    page.context.close()
    other = site.page("bea")
    for url in (case_url, f"{site.base}/berichten?tab=alle", f"{site.base}/"):
        other.goto(url)
        expect(other.get_by_text("cliënt is boos")).to_have_count(0)
        expect(other.get_by_text("Interne notitie — alleen zichtbaar voor Gemeente Nijmegen")).to_have_count(0)
    other.context.close()
