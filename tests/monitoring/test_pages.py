"""The monitoring page and its exports through the whole app, on SQLite and PostgreSQL: the contractmanager's own
gemeente only, the charts with their tables and text alternatives, small counts as "< 5", exports with aggregated
figures only (no name, BSN, reference or message text), audited."""

from __future__ import annotations

import csv
import io
import re

from odf.opendocument import load
from odf.table import TableRow
from sqlalchemy import select
from sqlmodel import col

from hub.audit.models import AuditEvent
from tests.cases.world import BSN_1
from tests.monitoring.seed import Seeded


async def test_the_page_shows_the_years_figures_with_charts_and_tables(seeded: Seeded) -> None:
    client = await seeded.world.hub.client_for(seeded.contractmanager)
    page = await client.get("/monitoring?jaar=2025")
    assert page.status_code == 200
    html = page.text
    assert "Monitoring 2025: Gemeente Arnhem" in html
    # Four charts with their tables, the table per kantoor, and the kantoren without their quality documents (§3).
    assert html.count('role="img"') == 4 and html.count("<desc ") == 4 and html.count("<table") == 6
    assert "Kantoren met een ontbrekend of verlopen kwaliteitsdocument" in html
    assert 'aria-labelledby="chart-instroom-title chart-instroom-desc"' in html
    # The I1 row of the instroom table: 2024 and 2025 (the year before is compared).
    row = re.search(r"kosten van beschermingsbewind vergoed krijgt uit de bijzondere bijstand</th>\s*"
                    r"<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>", html)  # fmt: skip
    assert row is not None and row.groups() == ("9", "16")  # 2024: groups A and C; B was granted in 2025
    assert "I1 bewindskosten uit bijzondere bijstand: 2024" in html
    assert "&lt; 5" in html  # U1 (3 cases) is suppressed
    assert "Kantoor Xander" in html and "Kantoor Ypsilon" in html
    assert 'href="/monitoring"' in (await client.get("/")).text  # the menu entry


async def test_small_counts_never_show_their_number(seeded: Seeded) -> None:
    client = await seeded.world.hub.client_for(seeded.contractmanager)
    html = (await client.get("/monitoring?jaar=2025")).text
    u1 = re.search(r"bijzondere bijstand is gestopt</th>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>", html)
    assert u1 is not None and u1.groups() == ("&lt; 5", "&lt; 5")
    assert ">3<" not in html and ">2<" not in html  # no bar label nor cell gives U1 or U3's small numbers away


async def test_another_gemeente_and_other_roles_never_see_these_figures(seeded: Seeded) -> None:
    w = seeded.world
    berkel = await w.hub.client_for(seeded.berkel_contractmanager)
    html = (await berkel.get("/monitoring?jaar=2025")).text
    assert "Gemeente Berkel" in html and "Gemeente Arnhem" not in html and "Kantoor Ypsilon" not in html
    assert ">16<" not in html
    for user in (w.km_arnhem, w.bv_x, w.beheerder):
        client = await w.hub.client_for(user)
        for url in ("/monitoring?jaar=2025", "/monitoring.csv?jaar=2025", "/monitoring.ods?jaar=2025"):
            assert (await client.get(url)).status_code == 403, (user.name, url)
    assert (await w.hub.client().get("/monitoring")).status_code in (302, 303)  # to the login page


async def test_a_year_out_of_range_is_refused_in_dutch(seeded: Seeded) -> None:
    client = await seeded.world.hub.client_for(seeded.contractmanager)
    page = await client.get("/monitoring?jaar=1999")
    assert page.status_code == 400 and "Kies een jaar van 2000 tot en met" in page.text
    assert (await client.get("/monitoring.csv?jaar=twintig")).status_code == 400


def _secrets(seeded: Seeded) -> list[str]:
    return ["Johanna de Vries", BSN_1, *seeded.references]


async def test_the_csv_export_has_aggregated_figures_only_and_is_audited(seeded: Seeded) -> None:
    client = await seeded.world.hub.client_for(seeded.contractmanager)
    answer = await client.get("/monitoring.csv?jaar=2025")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="monitoring-2025.csv"' in answer.headers["content-disposition"]
    text = answer.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Onderdeel", "Code", "Indicator", "2024", "2025"]
    by_part = {(r[0], r[2]): r[3:] for r in rows[1:]}
    i1 = "Aantal inwoners dat de kosten van beschermingsbewind vergoed krijgt uit de bijzondere bijstand"
    assert by_part[("Gemeente Arnhem (alle kantoren)", i1)] == ["9", "16"]
    assert by_part[("Kantoor Ypsilon", i1)] == ["< 5", "7"]  # 2024: none of group B yet
    assert all(value in ("< 5", "x") or int(value) >= 5 for r in rows[1:] for value in r[3:])
    # Kantoor Ypsilon's "< 5" would be 9 minus Xander's I1 of 2024: Xander's is hidden too (secondary suppression).
    assert by_part[("Kantoor Xander", i1)][0] == "x"
    for secret in _secrets(seeded):
        assert secret not in text
    async with seeded.world.hub.db() as db:
        events = (await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "monitoring.export"))).scalars()
        assert [(e.user_id, e.object_id) for e in events] == [(seeded.contractmanager.id, "2025-csv")]


async def test_the_ods_export_is_a_spreadsheet_with_the_same_figures(seeded: Seeded) -> None:
    client = await seeded.world.hub.client_for(seeded.contractmanager)
    answer = await client.get("/monitoring.ods?jaar=2025")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.oasis.opendocument.spreadsheet"
    doc = load(io.BytesIO(answer.content))
    rows = [[str(cell) for cell in row.childNodes] for row in doc.spreadsheet.getElementsByType(TableRow)]
    assert rows[0] == ["Onderdeel", "Code", "Indicator", "2024", "2025"]
    assert ["Gemeente Arnhem (alle kantoren)", "I1"] == rows[1][:2] and rows[1][3:] == ["9", "16"]
    flat = "\n".join("\t".join(r) for r in rows)
    for secret in _secrets(seeded):
        assert secret not in flat
    assert "< 5" in flat
