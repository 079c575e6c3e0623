"""Several files in one upload, each in its own row with its type and date: all are kept, or none (no row, no blob,
no audit record), and the page says which file was refused and why. On SQLite and PostgreSQL, with a real clamd."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.documents.forms import MAX_FILES
from hub.notifications.models import OutboxMail
from tests.documents.conftest import BOUNDARY, Vault, build_vault, pdf_bytes, png_bytes, upload_url
from tests.support.clamd import Clamd, eicar
from tests.support.hubclient import HubClient, HubUnderTest, running_hub

Row = tuple[str, str, str, bytes]  # doc_type, document_date, file name, content ("" name: no file chosen)


def rows_body(csrf: str, rows: list[Row]) -> bytes:
    """The form as a browser sends it: the token, then per row its type, date and file part (empty when none)."""
    body = bytearray(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'.encode())
    for doc_type, day, filename, content in rows:
        for name, value in (("doc_type", doc_type), ("document_date", day)):
            body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        body += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        body += content + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    return bytes(body)


async def post_rows(client: HubClient, case_id: str, rows: list[Row]) -> httpx.Response:
    body = rows_body(client.csrf_token, rows)

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    return await client.post(upload_url(case_id), content=stream(), headers=headers)


@pytest.fixture
async def scanned_vault(database_url: str, tmp_path: Path, clamd: Clamd) -> AsyncIterator[Vault]:
    """The vault's world with a real clamd, on SQLite and PostgreSQL in turn."""
    async with running_hub(tmp_path / "data", database_url, HUB_CLAMD=clamd.address) as hub:
        yield await build_vault(hub)


async def _outbox(hub: HubUnderTest) -> list[OutboxMail]:
    async with hub.db() as db:
        return list((await db.execute(select(OutboxMail))).scalars())


@pytest.mark.clamd
async def test_three_files_are_kept_together_with_one_notice(scanned_vault: Vault) -> None:
    vault = scanned_vault
    bea = await vault.hub.client_for(vault.bewindvoerder)
    mails_before = len(await _outbox(vault.hub))
    response = await post_rows(
        bea,
        vault.case.id,
        [
            ("benoemingsbeschikking", "2026-01-15", "beschikking.pdf", pdf_bytes(300_000)),
            ("", "", "", b""),  # an empty row between two: skipped
            ("cak_nota", "2026-02-01", "cak-nota.png", png_bytes(20_000)),
            ("overig", "03-02-2026", "brief.pdf", pdf_bytes(1000)),
        ],
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/dossiers/{vault.case.id}?gelukt=document-gescand-meer"
    documents = await vault.documents()
    assert sorted((d.doc_type, str(d.document_date)) for d in documents) == [
        ("benoemingsbeschikking", "2026-01-15"),
        ("cak_nota", "2026-02-01"),
        ("overig", "2026-02-03"),
    ]
    assert len(await vault.stored()) == 3
    uploads = [o for a, o in await vault.audit_actions() if a == "document.upload"]
    assert sorted(uploads) == sorted(d.id for d in documents)
    assert len(await _outbox(vault.hub)) == mails_before + 1  # one notice for the three files
    page = await bea.get(response.headers["location"])
    assert "De documenten zijn opgeslagen. Ze zijn versleuteld bewaard en op virussen gecontroleerd." in page.text


@pytest.mark.clamd
async def test_one_infected_file_keeps_none_and_names_it(scanned_vault: Vault) -> None:
    vault = scanned_vault
    bea = await vault.hub.client_for(vault.bewindvoerder)
    infected = b"%PDF-1.7\n" + os.urandom(100_000) + eicar() + os.urandom(100_000)
    response = await post_rows(
        bea,
        vault.case.id,
        [
            ("benoemingsbeschikking", "2026-01-15", "beschikking.pdf", pdf_bytes(300_000)),
            ("cak_nota", "2026-02-01", "nota.pdf", infected),
            ("overig", "2026-02-03", "brief.pdf", pdf_bytes(1000)),
        ],
    )
    assert response.status_code == 400
    assert "Bestand 2 (nota.pdf): Dit bestand is geweigerd: het bevat een virus (Test.EICAR" in response.text
    assert 'href="#document_file-2"' in response.text  # the error summary leads to the row
    # The rows come back with their type and date; the files must be chosen again.
    assert '<option value="cak_nota" selected>' in response.text
    await vault.assert_nothing_kept()  # the first file's blob was removed too


async def test_a_row_without_a_type_refuses_all_and_reports_every_row(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    response = await post_rows(
        bea,
        vault.case.id,
        [
            ("benoemingsbeschikking", "2026-01-15", "beschikking.pdf", pdf_bytes()),
            ("", "2026-02-01", "nota.pdf", pdf_bytes()),
            ("overig", "2099-01-01", "brief.pdf", pdf_bytes()),
            ("overig", "2026-01-01", "", b""),  # a type and date, but no file
        ],
    )
    assert response.status_code == 400
    text = response.text
    assert "Bestand 2 (nota.pdf): Kies het soort document." in text
    assert "Bestand 3 (brief.pdf): De datum van het document kan niet in de toekomst liggen." in text
    assert "Bestand 4: Kies een bestand om te uploaden." in text
    assert text.index("Bestand 2 (nota.pdf)") < text.index("Bestand 3 (brief.pdf)")  # in the form's order
    await vault.assert_nothing_kept()


async def test_an_empty_form_asks_for_a_file(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    response = await post_rows(bea, vault.case.id, [("", "", "", b"")] * 5)
    assert response.status_code == 400
    assert "Bestand 1: Kies een bestand om te uploaden." in response.text
    await vault.assert_nothing_kept()


async def test_more_rows_than_a_form_has_are_refused(vault_sqlite: Vault) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    rows = [("overig", "2026-01-15", f"{n}.pdf", pdf_bytes(1000)) for n in range(MAX_FILES + 1)]
    response = await post_rows(bea, vault_sqlite.case.id, rows)
    assert response.status_code == 400
    assert "Ongeldig verzoek" in response.text
    await vault_sqlite.assert_nothing_kept()


async def test_the_page_offers_five_rows_the_first_one_required(vault_sqlite: Vault) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    page = (await bea.get(f"/dossiers/{vault_sqlite.case.id}")).text
    assert page.count('name="file" type="file"') == 5
    assert "<legend>Bestand 1</legend>" in page and "<legend>Bestand 5 (niet verplicht)</legend>" in page
    assert '<input id="document_file-1" name="file" type="file" required' in page
    assert re.search(r'<input id="document_file-2" name="file" type="file"\s+accept=', page)  # not required
