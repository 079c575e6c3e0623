"""`hub demo` opens sample cases for every convenant, encrypted and audited like real ones."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from crypto import Keyring, is_valid_bsn
from hub import demo
from hub.accounts.models import Convenant, User
from hub.audit.services import verify
from hub.cases.models import Case
from hub.cases.services import CaseService, local_today
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction
from hub.documents.blobstore import FilesystemBlobStore
from hub.documents.models import Document
from hub.documents.services import DocumentService
from hub.messaging.models import Thread
from hub.runtime import open_runtime


async def _seed(database_url: str, keyring: Keyring, data_dir: Path) -> None:
    """What `hub demo` does after migrating: seed through a runtime on the data dir (blobs under data_dir/blobs)."""
    async with open_runtime(Settings.for_data_dir(data_dir, HUB_DATABASE_URL=database_url), keyring=keyring) as rt:
        await demo.seed(rt)


def test_valid_bsns_are_deterministic_and_pass_the_elfproef() -> None:
    numbers = demo.valid_bsns(111222333, 40)
    assert numbers == demo.valid_bsns(111222333, 40)
    assert numbers[0] == "111222333"
    assert len(set(numbers)) == 40 and all(is_valid_bsn(n) for n in numbers)
    assert demo.valid_bsns(123456780, 1) == ["123456782"]


async def test_demo_seeds_cases_for_every_convenant(sqlite_url: str, tmp_path: Path) -> None:
    keyring = Keyring.generate()
    await _seed(sqlite_url, keyring, tmp_path)
    engine = create_engine(sqlite_url)
    try:
        async with transaction(session_factory(engine)) as db:
            convenants = list((await db.execute(select(Convenant))).scalars())
            cases = list((await db.execute(select(Case))).scalars())
            per_convenant = Counter(c.convenant_id for c in cases)
            assert set(per_convenant) == {c.id for c in convenants}
            assert all(2 <= n <= 3 for n in per_convenant.values())
            svc = CaseService(db, keyring)
            identities = [svc.identity(c) for c in cases]
            assert all(is_valid_bsn(i.bsn) for i in identities)
            assert len({i.bsn for i in identities}) == len(cases)
            assert len({c.bewind_kind for c in cases}) == 3
            today = local_today()
            # Some bijstand terms (3 months) and schuldhulp terms (12 months) are past, some still running.
            dated = [c for c in cases if c.beschikking_date is not None and c.bewind_start_date is not None]
            assert any(c.beschikking_date < today - timedelta(days=92) for c in dated)  # type: ignore[operator]
            assert any(today - timedelta(days=92) < c.beschikking_date for c in dated)  # type: ignore[operator]
            assert any(c.bewind_start_date < today - timedelta(days=366) for c in dated)  # type: ignore[operator]
            assert any(today - timedelta(days=366) < c.bewind_start_date < today - timedelta(days=300) for c in dated)  # type: ignore[operator]
            assert all(c.bewindvoerder_id for c in cases)
            assert (await verify(db)).ok
    finally:
        await engine.dispose()


async def test_demo_documents_and_threads_are_real_and_readable(sqlite_url: str, tmp_path: Path) -> None:
    keyring = Keyring.generate()
    await _seed(sqlite_url, keyring, tmp_path)
    engine = create_engine(sqlite_url)
    try:
        async with transaction(session_factory(engine)) as db:
            cases = list((await db.execute(select(Case))).scalars())
            documents = list((await db.execute(select(Document))).scalars())
            decided = {c.id for c in cases if c.beschikking_date is not None}  # the others wait for the court
            assert {d.case_id for d in documents if d.doc_type == "benoemingsbeschikking"} == decided
            assert {d.case_id for d in documents if d.doc_type == "overig"} == {c.id for c in cases} - decided
            assert {d.content_type for d in documents} == {"application/pdf", "image/png"}
            assert len({d.doc_type for d in documents}) == 4
            threads = list((await db.execute(select(Thread))).scalars())
            assert len(threads) == 7 and {t.kind for t in threads} == {"casuistiek", "algemeen"}
            # Each demo document downloads through the verified path, as its bewindvoerder.
            service = DocumentService(db, keyring, FilesystemBlobStore(tmp_path / "blobs"))
            for document in documents:
                uploader = await db.get(User, document.uploaded_by)
                assert uploader is not None
                _, name, plaintext = await service.open_download(uploader, document.id)
                content = b"".join([piece async for piece in plaintext])
                assert len(content) == document.size and content[:4] in (b"%PDF", b"\x89PNG")
                assert name.endswith((".pdf", ".png"))
            assert (await verify(db)).ok
    finally:
        await engine.dispose()
