"""The name search, on SQLite and PostgreSQL: a part of the name, case- and accent-insensitive, within the own
organisation; the token index holds no plaintext; existing cases are indexed at start-up; the page posts the name
and nothing logs it."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlmodel import col

from hub.audit.models import AuditEvent
from hub.cases import name_search
from hub.cases.models import Case, CaseNameToken
from hub.cases.name_index import index_missing_names, name_trigrams, normalise_name, query_trigrams
from hub.cases.services import CaseService
from hub.demo import valid_bsns
from hub.errors import Forbidden, ValidationError
from tests.cases.world import World

NAMES = ["Jänsen, Pieter", "Maria Janssen", "Kees van der Berg", "Ank de Vries-Jansen", "Öscar Olde", "Li Wei"]


async def open_cases(world: World) -> dict[str, Case]:
    bsns = valid_bsns(200000000, len(NAMES) + 1)
    cases = {name: await world.open_case(client_name=name, bsn=bsns[i]) for i, name in enumerate(NAMES)}
    # Kantoor Ypsilon's client of the same name is not Kantoor Xander's to find.
    cases["ypsilon"] = await world.open_case(
        world.bv_y, convenant_id=world.arnhem_ypsilon.id, client_name="Jan Jansen", bsn=bsns[-1]
    )
    return cases


async def found(world: World, user: Any, text: str) -> list[str]:
    async with world.hub.db() as db:
        result = await CaseService(db, world.hub.runtime.keyring).find_by_name(user, text)
    return [r.client_name or "" for r in result.rows]


def test_normalising_and_trigrams() -> None:
    assert normalise_name("  Jänsen-de  VRIES ") == "jansen de vries"
    assert normalise_name("Ørjan O'Brien") == "ørjan o brien"
    assert name_trigrams("Li") == {" li", "li "}
    assert {"n d", " de", "es "} <= name_trigrams("Jansen de Vries")
    assert query_trigrams("jansen") == ["jan", "ans", "nse", "sen"]
    spread = query_trigrams("abcdefghijklmnopqrstuvwxyz")
    assert len(spread) == 12 and spread[0] == "abc" and spread[-1] == "xyz"


async def test_search_by_part_of_the_name(world: World) -> None:
    await open_cases(world)
    assert await found(world, world.bv_x, "jansen") == ["Ank de Vries-Jansen", "Jänsen, Pieter"]
    assert await found(world, world.bv_x, "JANS") == ["Ank de Vries-Jansen", "Jänsen, Pieter", "Maria Janssen"]
    assert await found(world, world.bv_x, "van der") == ["Kees van der Berg"]
    assert await found(world, world.bv_x, "vries jansen") == ["Ank de Vries-Jansen"]  # the hyphen as a space
    assert await found(world, world.bv_x, "oscar") == ["Öscar Olde"]
    assert await found(world, world.bv_x, "li wei") == ["Li Wei"]
    assert await found(world, world.bv_x, "sen pie") == ["Jänsen, Pieter"]  # the comma as a space
    assert await found(world, world.bv_x, "pieter jansen") == []  # the order of the words counts
    assert await found(world, world.bv_x, "janssen de") == []  # every trigram occurs, the text does not
    # The gemeente is party to both kantoren's cases; another gemeente to none.
    assert await found(world, world.km_arnhem, "jansen") == ["Ank de Vries-Jansen", "Jan Jansen", "Jänsen, Pieter"]
    assert await found(world, world.km_berkel, "jansen") == []
    assert await found(world, world.bv_y, "pieter") == []


async def test_refusals_and_the_audit_record(world: World) -> None:
    await open_cases(world)
    for text, words in (("", "Vul (een deel van) de naam"), ("ja", "minstens 3 letters"), ("- j.", "minstens 3")):
        with pytest.raises(ValidationError) as caught:
            await found(world, world.bv_x, text)
        assert words in caught.value.errors["naam"]
    with pytest.raises(Forbidden):
        await found(world, world.beheerder, "jansen")
    await found(world, world.bv_x, "jansen")
    async with world.hub.db() as db:
        searched = select(AuditEvent).where(
            col(AuditEvent.action) == "case.search", col(AuditEvent.object_id) == "name"
        )
        rows = (await db.execute(searched)).scalars().all()
    assert [(r.object_type, r.object_id, r.user_id) for r in rows] == [("search", "name", world.bv_x.id)]


async def test_the_index_holds_no_plaintext_and_follows_the_convenant(world: World) -> None:
    cases = await open_cases(world)
    async with world.hub.db() as db:
        tokens = list((await db.execute(select(CaseNameToken))).scalars())
    assert tokens and all(len(t.token) == 32 and int(t.token, 16) >= 0 for t in tokens)
    assert not any("jan" in t.token or "sen" in t.token for t in tokens)
    # The same trigram under two convenants gives unrelated tokens.
    mine = {t.token for t in tokens if t.case_id == cases["Jänsen, Pieter"].id}
    theirs = {t.token for t in tokens if t.case_id == cases["ypsilon"].id}
    assert mine and theirs and not mine & theirs


async def test_many_matches_say_there_may_be_more(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    await open_cases(world)
    monkeypatch.setattr(name_search, "SHOWN", 2)
    async with world.hub.db() as db:
        result = await CaseService(db, world.hub.runtime.keyring).find_by_name(world.bv_x, "jans")
    assert [r.client_name for r in result.rows] == ["Ank de Vries-Jansen", "Jänsen, Pieter"] and result.more
    monkeypatch.setattr(name_search, "CANDIDATES", 1)
    async with world.hub.db() as db:
        result = await CaseService(db, world.hub.runtime.keyring).find_by_name(world.bv_x, "jans")
    assert len(result.rows) == 1 and result.more


async def test_cases_without_tokens_are_indexed_at_start_up(world: World) -> None:
    await open_cases(world)
    async with world.hub.db() as db:
        await db.execute(delete(CaseNameToken))
    assert await found(world, world.bv_x, "jansen") == []
    runtime = world.hub.runtime
    assert await index_missing_names(runtime.sessions, runtime.keyring) == len(NAMES) + 1
    assert await found(world, world.bv_x, "jansen") == ["Ank de Vries-Jansen", "Jänsen, Pieter"]
    assert await index_missing_names(runtime.sessions, runtime.keyring) == 0  # nothing left to do
    async with world.hub.db() as db:
        per_case = await db.execute(select(func.count(func.distinct(CaseNameToken.case_id))))
        assert per_case.scalar_one() == len(NAMES) + 1


async def test_the_page_posts_the_name_and_logs_nothing_of_it(world: World, caplog: pytest.LogCaptureFixture) -> None:
    cases = await open_cases(world)
    caplog.set_level(logging.DEBUG)
    client = await world.hub.client_for(world.bv_x)
    listing = await client.get("/dossiers")
    assert 'action="/dossiers/zoeken-op-naam"' in listing.text and 'method="post"' in listing.text
    response = await client.post_form("/dossiers/zoeken-op-naam", {"naam": "Jänsen"})
    assert response.status_code == 200
    assert "2 dossiers van uw organisatie met deze naam" in response.text
    assert f'href="/dossiers/{cases["Jänsen, Pieter"].id}"' in response.text
    assert cases["ypsilon"].reference not in response.text
    assert 'value="Jänsen"' in response.text  # in the form again, in the body
    assert "Jänsen" not in response.text.split("<title>")[1].split("</title>")[0]
    refused = await client.post_form("/dossiers/zoeken-op-naam", {"naam": "Jä"})
    assert refused.status_code == 400 and "minstens 3 letters" in refused.text
    none = await client.post_form("/dossiers/zoeken-op-naam", {"naam": "Zwaan"})
    assert "Uw organisatie heeft geen dossier van een cliënt met deze naam." in none.text
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records if r.name.startswith("hub"))
    assert "Jänsen" not in logged and "Zwaan" not in logged and "jansen" not in logged.lower()
