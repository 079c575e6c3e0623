"""The access log (logger hub.access): one line per request with the route template, never the raw path or query."""

from __future__ import annotations

import logging
import re

import pytest

from hub.accounts.roles import OrgKind, Role
from tests.support.hubclient import HubUnderTest

BSN = "123456782"
NAME = "Jansen"
LINE = re.compile(r"^(GET|POST|HEAD|PUT|DELETE) (\S+) (\d{3}) \d+\.\dms (\S+)$")


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "hub.access"]


async def test_a_bsn_in_path_and_query_never_reaches_the_access_log(
    hub: HubUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    client = await hub.client_for(user)
    response = await client.get(f"/dossiers/{BSN}", params={"bsn": BSN, "naam": NAME})
    assert response.status_code == 404
    await hub.client().get(f"/nergens/{BSN}/{NAME}?bsn={BSN}")  # matches no route
    await client.get("/dossiers", params={"dossiernummer": BSN})
    lines = _lines(caplog)
    assert len(lines) == 3
    for line in lines:
        assert LINE.match(line), line
    method, template, status, _, who = lines[0].split(" ")
    assert (method, template, status, who) == ("GET", "/dossiers/{case_id}", "404", user.id)
    assert lines[1].split(" ")[1:3] == ["-", "404"] and lines[1].endswith(" anon")
    assert lines[2].split(" ")[1:3] == ["/dossiers", "200"]
    everything = "\n".join(r.getMessage() + " " + str(r.args) for r in caplog.records if r.name.startswith("hub"))
    assert BSN not in everything and NAME not in everything and "?" not in everything


async def test_every_request_gets_a_line_with_status_and_user(
    hub: HubUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    client = await hub.client_for(user)
    await client.get("/account")
    await client.post("/uitloggen", data={})  # no CSRF token: refused
    await hub.client().get("/static/app.css")
    lines = _lines(caplog)
    assert lines[0].startswith("GET /account 200 ") and lines[0].endswith(user.id)
    assert lines[1].startswith("POST /uitloggen 403 ")
    assert lines[2].startswith("GET /static/{path} ") and lines[2].endswith(" anon")
