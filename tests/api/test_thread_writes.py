"""Starting a thread on a case, the procesafspraak and the receipts, and the routekaart through the API, on SQLite and
PostgreSQL: the pages' services, rules and audit."""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.accounts.roles import Role
from hub.calendars.services import calendar_source
from hub.db import utcnow
from hub.terms import as_local_date
from tests.api.conftest import Api
from tests.api.test_resources import actions_of


async def test_a_thread_is_started_on_a_case_once_per_idempotency_key(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    gemeente = api.client(await api.token(w.km_arnhem))
    url = f"/api/v1/cases/{case.id}/threads"
    question = {"subject": "Vraag over de beschikking", "body": "Wanneer komt de beschikking?"}
    key = {"Idempotency-Key": "t" * 40}
    started = await gemeente.post(url, json=question, headers=key)
    assert started.status_code == 201, started.text
    thread = started.json()
    assert thread["caseId"] == case.id and thread["kind"] == "casuistiek" and thread["subject"] == question["subject"]
    assert [m["body"] for m in thread["messages"]] == [question["body"]]
    assert [(t["owedByUs"], t["running"]) for t in thread["terms"]] == [(False, True)]  # Xander owes the reaction
    assert started.headers["location"].endswith(f"/api/v1/threads/{thread['id']}")
    retried = await gemeente.post(url, json=question, headers=key)
    assert retried.status_code == 201 and retried.json()["id"] == thread["id"]
    kantoor = api.client(await api.token(w.bv_x))
    assert [t["id"] for t in (await kantoor.get("/api/v1/threads")).json()["items"]] == [thread["id"]]

    wrong = await gemeente.post(url, json={**question, "kind": "algemeen"})
    assert wrong.status_code == 400 and wrong.json()["invalidParams"][0]["name"] == "kind"
    empty = await gemeente.post(url, json={"subject": " ", "body": ""})
    assert {p["name"] for p in empty.json()["invalidParams"]} == {"subject", "body"}
    system = api.client(await api.org_token(w.kb_x, Role.BEWINDVOERDER.value))
    by_system = await system.post(url, json={**question, "subject": "Van het bewindpakket"})
    assert by_system.status_code == 201 and by_system.json()["messages"][0]["authorName"].startswith("API-koppeling")

    # A general question on a convenant (no case): bijzondere bijstand always concerns a case.
    general = f"/api/v1/convenants/{w.arnhem_xander.id}/threads"
    asked = await kantoor.post(general, json={"subject": "Tarieven 2027", "body": "Welke tarieven gelden?"})
    assert asked.status_code == 201 and asked.json()["kind"] == "algemeen" and asked.json()["caseId"] is None
    reused = await gemeente.post(f"/api/v1/convenants/{w.arnhem_xander.id}/threads", json=question, headers=key)
    assert reused.status_code == 422  # the key started the thread on the case: never passed off as this one
    refused = await kantoor.post(general, json={**question, "bijzondereBijstand": True})
    assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "bijzondereBijstand"
    assert len(await actions_of(api, "message.post")) == 3  # two questions and the system's; retries none


async def test_a_procesafspraak_moves_the_term_and_the_receipts_show_who_read_it(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    thread_id = await api.thread(w.km_arnhem, case.id)
    kantoor = api.client(await api.token(w.bv_x))
    # Receipts: delivered to Xander, not yet read; read once a person's token reads the thread.
    gemeente = api.client(await api.token(w.km_arnhem))
    receipts_url = f"/api/v1/threads/{thread_id}/receipts"
    unread = (await gemeente.get(receipts_url)).json()["items"]
    assert [(m["mine"], [r["organisationName"] for r in m["receipts"]]) for m in unread] == [(True, ["Kantoor Xander"])]
    assert unread[0]["receipts"][0]["deliveredAt"] and unread[0]["receipts"][0]["firstReadAt"] is None
    await kantoor.get(f"/api/v1/threads/{thread_id}")
    read = (await gemeente.get(receipts_url)).json()["items"][0]["receipts"][0]
    assert read["firstReadAt"] and read["firstReadBy"] is None  # the sender sees the organisation, not the person
    own = (await kantoor.get(receipts_url)).json()["items"][0]["receipts"][0]
    assert own["firstReadBy"] == "Bas Bewindvoerder"

    url = f"/api/v1/threads/{thread_id}/procesafspraak"
    assert (await kantoor.get(url)).json() == {"current": None, "items": [], "terms": []}
    async with api.hub.db() as db:
        calendar = await calendar_source(None).for_gemeente(db, w.arnhem.id)
    day = calendar.next_werkdag(as_local_date(utcnow()) + timedelta(days=7))
    saturday = day + timedelta(days=(5 - day.weekday()) % 7)
    refused = await kantoor.post(url, json={"agreedDate": saturday.isoformat(), "body": "Wij zoeken het uit."})
    assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "agreedDate"
    assert "is geen werkdag" in refused.text and "staat nu ingevuld" not in refused.text  # the page's words
    not_owed = await gemeente.post(url, json={"agreedDate": day.isoformat(), "body": "Wij komen erop terug."})
    assert not_owed.status_code == 409  # the gemeente owes no reaction on its own question
    agreed = await kantoor.post(url, json={"agreedDate": day.isoformat(), "body": "Wij zoeken het uit."})
    assert agreed.status_code == 201, agreed.text
    assert agreed.json()["kind"] == "procesafspraak"
    state = (await kantoor.get(url)).json()
    assert state["current"]["agreedDate"] == day.isoformat() and state["current"]["mine"]
    assert len(state["items"]) == 1 and state["terms"][0]["originalDueAt"] and state["terms"][0]["running"]
    assert as_local_date(_moment(state["terms"][0]["dueAt"])) == day
    assert (await gemeente.get(url)).json()["current"]["mine"] is False
    assert len((await gemeente.get(receipts_url)).json()["items"]) == 2


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_the_routekaart_is_the_contractmanagers_own_gemeente_and_its_partners(api_sqlite: Api) -> None:
    api = api_sqlite
    w = api.world
    contractmanager = await api.hub.user(w.arnhem, Role.CONTRACTMANAGER, name="Cor Contract")
    rows = (await api.client(await api.token(contractmanager)).get("/api/v1/routekaart")).json()["items"]
    assert [(r["name"], r["own"], r["kind"]) for r in rows] == [
        ("Gemeente Arnhem", True, "gemeente"),
        ("Kantoor Xander", False, "bewindvoerderskantoor"),
        ("Kantoor Ypsilon", False, "bewindvoerderskantoor"),
    ]  # fmt: skip (never Gemeente Berkel)
    assert rows[1]["contactEmail"] == "vast@kantoor-xander.example.nl" and rows[1]["overdue"]
    assert (await api.client(await api.token(w.bv_x)).get("/api/v1/routekaart")).status_code == 403
