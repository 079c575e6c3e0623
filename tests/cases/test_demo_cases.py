"""`hub demo` opens sample cases for every convenant, encrypted and audited like real ones."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from crypto import Keyring, is_valid_bsn
from hub import demo
from hub.accounts.models import Convenant
from hub.audit.services import verify
from hub.cases.models import Case
from hub.cases.services import CaseService, local_today
from hub.db import create_engine, session_factory, transaction


def test_valid_bsns_are_deterministic_and_pass_the_elfproef() -> None:
    numbers = demo.valid_bsns(111222333, 40)
    assert numbers == demo.valid_bsns(111222333, 40)
    assert numbers[0] == "111222333"
    assert len(set(numbers)) == 40 and all(is_valid_bsn(n) for n in numbers)
    assert demo.valid_bsns(123456780, 1) == ["123456782"]


async def test_demo_seeds_cases_for_every_convenant(sqlite_url: str) -> None:
    keyring = Keyring.generate()
    await demo.seed(sqlite_url, keyring)
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
            assert any(c.beschikking_date < today - timedelta(days=92) for c in cases)
            assert any(today - timedelta(days=92) < c.beschikking_date for c in cases)
            assert any(c.bewind_start_date < today - timedelta(days=366) for c in cases)
            assert any(today - timedelta(days=366) < c.bewind_start_date < today - timedelta(days=300) for c in cases)
            assert all(c.bewindvoerder_id for c in cases)
            assert (await verify(db)).ok
    finally:
        await engine.dispose()
