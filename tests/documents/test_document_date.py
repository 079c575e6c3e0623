"""A document date in the future is refused, by one rule, before a byte of the file is stored: at the upload form,
in the service, on SQLite and PostgreSQL. Today itself is fine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from hub.cases.records import local_today
from hub.documents import errors
from hub.documents.forms import FUTURE_DATE, parse_document_date
from hub.documents.models import check_document_date
from hub.web.forms import date_text
from tests.documents.conftest import Vault, pdf_bytes, post_upload, upload_fields


def test_the_one_rule() -> None:
    today = date(2026, 12, 7)
    assert check_document_date(today, today) == today
    assert check_document_date(date(1990, 1, 1), today) == date(1990, 1, 1)
    with pytest.raises(errors.FutureDocumentDate):
        check_document_date(date(2026, 12, 8), today)
    with pytest.raises(errors.BadDocumentDate):
        check_document_date(None, today)
    tomorrow = local_today() + timedelta(days=1)
    with pytest.raises(errors.FutureDocumentDate):
        parse_document_date(f"{tomorrow:%d-%m-%Y}")
    assert parse_document_date(local_today().isoformat()) == local_today()


async def test_the_upload_refuses_a_future_date_and_keeps_nothing(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    fields = upload_fields(bea.csrf_token, day=tomorrow)
    response = await post_upload(bea, vault.case.id, "beschikking.pdf", pdf_bytes(50_000), fields=fields)
    assert response.status_code == 400
    assert FUTURE_DATE in response.text
    assert f'value="{date_text(tomorrow)}"' in response.text and 'aria-invalid="true"' in response.text
    await vault.assert_nothing_kept()
    # The service holds the same rule for a caller that skips the form.
    async with vault.hub.db() as db:
        service = await vault.service(db)

        async def chunks() -> AsyncIterator[bytes]:
            raise AssertionError("the file is read before the date is checked")
            yield b""

        with pytest.raises(errors.FutureDocumentDate):
            await service.store(
                vault.bewindvoerder, vault.case, doc_type="overig", document_date=local_today() + timedelta(days=1),
                filename="x.pdf", chunks=chunks(), max_bytes=1_000_000,
            )  # fmt: skip
    await vault.assert_nothing_kept()
    today = await vault.upload_ok(
        bea, "vandaag.pdf", pdf_bytes(5000), fields=upload_fields(bea.csrf_token, day=local_today().isoformat())
    )
    assert today.document_date == local_today()
