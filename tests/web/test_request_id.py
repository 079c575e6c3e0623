"""Request ids and JSON log lines: every response names its request id (a valid incoming X-Request-ID is kept, anything
else replaced), every log line written while the request is handled carries it, and a JSON line holds no personal
data from the URL (the access-log rule, in the JSON format too)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from hub.accounts.roles import OrgKind, Role
from hub.logs import log_handler, quiet_parameter_loggers
from tests.support.hubclient import HubUnderTest

BSN = "123456782"
NAME = "Jansen"
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The hub's JSON handler on the root logger, writing into a buffer, at debug level."""
    buffer = io.StringIO()
    handler = log_handler("json", buffer)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet_parameter_loggers()  # as hub.logs.configure_logging does at HUB_LOG_LEVEL=debug
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def entries(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


async def test_each_response_names_its_request_id(hub_sqlite: HubUnderTest) -> None:
    client = hub_sqlite.client()
    first = (await client.get("/inloggen")).headers["x-request-id"]
    second = (await client.get("/inloggen")).headers["x-request-id"]
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second) and first != second
    kept = await client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.9c_01-0042"})
    assert kept.headers.get_list("x-request-id") == ["lb-7f3a.9c_01-0042"]


@pytest.mark.parametrize(
    "sent",
    [
        b"kort",
        BSN.encode(),
        b"0612345678",
        b"x" * 65,
        b"met spatie erin-0123456789",
        f"bsn={BSN};naam=x".encode(),
        "a\u00e9bcdefgh-0123456789".encode(),
    ],
)
async def test_an_invalid_incoming_request_id_is_replaced(hub_sqlite: HubUnderTest, sent: bytes) -> None:
    response = await hub_sqlite.client().get("/healthz", headers={"X-Request-ID": sent})
    assert GENERATED.fullmatch(response.headers["x-request-id"])


async def test_every_log_line_of_a_request_carries_its_id_and_no_personal_data(
    hub: HubUnderTest, json_log: io.StringIO
) -> None:
    org = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    user = await hub.user(org, Role.BEWINDVOERDER)
    client = await hub.client_for(user)
    json_log.truncate(0)
    json_log.seek(0)
    response = await client.get(f"/dossiers/{BSN}", params={"bsn": BSN, "naam": NAME})
    rid = response.headers["x-request-id"]
    login = await hub.client().post("/inloggen", data={"email": f"{NAME}@x.nl", "password": BSN})  # refused: CSRF
    lines = [e for e in entries(json_log) if e["logger"] != "httpx"]  # the test's own client logs the URL it sent
    assert lines, "nothing logged"
    for entry in lines:
        assert set(entry) >= {"time", "level", "logger", "message", "request_id"}
    mine = [e for e in lines if e["request_id"] == rid]
    access = [e for e in mine if e["logger"] == "hub.access"]
    assert len(access) == 1 and str(access[0]["message"]).startswith("GET /dossiers/{case_id} 404 ")
    others = {e["request_id"] for e in lines if e["logger"] == "hub.access"} - {rid}
    assert others == {login.headers["x-request-id"]}
    text = "\n".join(json.dumps(e) for e in lines)
    assert BSN not in text and NAME not in text and "?" not in text


async def test_log_lines_outside_a_request_have_no_request_id(json_log: io.StringIO) -> None:
    logging.getLogger("hub.worker").info("sweep done")
    (entry,) = [e for e in entries(json_log) if e["logger"] == "hub.worker"]
    assert entry["request_id"] == "-" and entry["message"] == "sweep done" and entry["level"] == "info"
