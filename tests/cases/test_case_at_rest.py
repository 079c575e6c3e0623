"""No client name, BSN or date of birth in plain text in the SQLite database file, whatever page was used."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.cases.world import World
from tests.support.sqlite import sqlite_checkpoint

NAME = "Wilhelmina Quakkelaar-Zwanenburg"
BSN = "111222333"
BIRTH = "1957-08-23"


def database_bytes(world: World) -> bytes:
    path = Path(world.hub.settings.database_url.split("///", 1)[1])
    data = path.read_bytes()
    for extra in (Path(f"{path}-wal"), Path(f"{path}-journal")):
        if extra.exists():
            data += extra.read_bytes()
    return data


async def checkpoint(world: World) -> None:
    await sqlite_checkpoint(world.hub.runtime.engine)


async def test_identity_is_not_stored_in_plain_text(world_sqlite: World) -> None:
    world = world_sqlite
    client = await world.hub.client_for(world.bv_x)
    response = await client.post_form(
        "/dossiers/nieuw",
        {
            "convenant_id": world.arnhem_xander.id,
            "client_name": NAME,
            "bsn": "111 222 333",
            "birth_date": BIRTH,
            "beschikking_date": "2025-09-15",
            "bewind_start_date": "2025-09-15",
            "bewind_kind": "schuldenbewind",
            "rechtbank": "Rechtbank Gelderland",
            "bewindvoerder_id": "",
        },
    )
    assert response.status_code == 303
    case_path = response.headers["location"].split("?")[0]
    assert NAME in (await client.get(case_path)).text
    assert (await client.post_form("/dossiers/zoeken", {"bsn": BSN})).status_code == 200
    await world.open_case(client_name="Bartholomeus Xylofoonmaker", bsn="123456782", birth_date=date(1944, 2, 29))
    await checkpoint(world)

    raw = database_bytes(world)
    assert b"Kantoor Xander" in raw  # the scan does see plain text where there is some
    for secret in (NAME, "Quakkelaar", "Zwanenburg", "Xylofoonmaker", BSN, "123456782", "1957-08-23", "1944-02-29"):
        assert secret.encode("utf-8") not in raw, secret
        assert secret.encode("utf-16-le") not in raw, secret
