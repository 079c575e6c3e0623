"""An organisation's API token acts through its stored integration actor (SQLite and PostgreSQL): it uploads and
posts under the same rules as a person of its role, the other side sees "API-koppeling <name>" and gets its mail;
the actor is in no list of people and never logs in; revoking or expiring the token disables it; another
organisation's case stays a 404."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select
from sqlmodel import col

from hub.accounts.api_tokens import ApiTokenService
from hub.accounts.models import INTEGRATION, User
from hub.accounts.roles import Role
from hub.accounts.user_directory import UserDirectory
from hub.accounts.users import UserService
from hub.audit.models import AuditEvent
from hub.cases.services import CaseService
from hub.db import utcnow
from hub.errors import NotFound, ValidationError
from hub.handover.services import HandOverService
from hub.messaging.inbox import InboxService
from hub.messaging.models import MessageReceipt
from hub.messaging.threads import ThreadService
from hub.notifications.models import OutboxMail
from hub.notifications.outbox import users_with_roles
from tests.api.conftest import Api
from tests.cases.world import BSN_2
from tests.documents.conftest import pdf_bytes
from tests.support.hubclient import csrf_from

NAME = "API-koppeling Zaaksysteem"
UPLOAD = {"documentType": "overig", "documentDate": "2026-01-05"}


def pdf_headers(name: str) -> dict[str, str]:
    return {"content-disposition": f"attachment; filename*=UTF-8''{quote(name)}", "content-type": "application/pdf"}


def token_id(token: str) -> str:
    return token.split("_")[1]


async def actor_of(api: Api, token: str) -> User:
    async with api.hub.db() as db:
        actor = await db.get(User, token_id(token))
    assert actor is not None
    return actor


async def mails_to(api: Api, user: User) -> list[OutboxMail]:
    async with api.hub.db() as db:
        rows = await db.execute(select(OutboxMail).where(col(OutboxMail.recipient_user_id) == user.id))
        return list(rows.scalars())


async def test_an_organisation_token_uploads_and_posts_as_its_actor(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    thread_id = await api.thread(w.km_arnhem, case.id)
    token = await api.org_token(w.kb_x, Role.BEWINDVOERDER.value)
    system = api.client(token)
    actor = await actor_of(api, token)
    assert (actor.kind, actor.name, actor.organisation_id, actor.role_set) == (
        INTEGRATION, NAME, w.xander.id, {Role.BEWINDVOERDER}
    )  # fmt: skip

    data = pdf_bytes(50_000)
    created = await system.post(
        f"/api/v1/cases/{case.id}/documents", params=UPLOAD, content=data, headers=pdf_headers("Nota.pdf")
    )
    assert created.status_code == 201, created.text
    assert created.json()["uploadedBy"] == NAME
    # Reading the thread marks it read on behalf of the organisation: the gemeente's question gets its receipt.
    assert (await system.get(f"/api/v1/threads/{thread_id}")).status_code == 200
    mails_before = len(await mails_to(api, w.km_arnhem))
    posted = await system.post(
        f"/api/v1/threads/{thread_id}/messages",
        json={"body": "De nota staat in het dossier.", "kind": "inhoudelijke_reactie",
              "attachmentIds": [created.json()["id"]]},
    )  # fmt: skip
    assert posted.status_code == 201, posted.text

    # The gemeente sees the integration as the author, through the API and on its pages, and is told by mail.
    gemeente = api.client(await api.token(w.km_arnhem))
    thread = (await gemeente.get(f"/api/v1/threads/{thread_id}")).json()
    assert [m["authorName"] for m in thread["messages"]] == ["Karin Klantmanager", NAME]
    assert [t["running"] for t in thread["terms"]] == [False]  # the reaction stopped the clock, as a person's
    listed = (await gemeente.get(f"/api/v1/cases/{case.id}/documents")).json()["items"]
    assert [d["uploadedBy"] for d in listed] == [NAME]
    pages = await api.hub.client_for(w.km_arnhem)
    assert NAME in (await pages.get(f"/berichten/{thread_id}")).text
    assert NAME in (await pages.get(f"/dossiers/{case.id}")).text
    assert len(await mails_to(api, w.km_arnhem)) > mails_before
    async with api.hub.db() as db:
        receipt = (
            await db.execute(select(MessageReceipt).where(col(MessageReceipt.organisation_id) == w.xander.id))
        ).scalar_one()
        posts = (await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "message.post"))).scalars()
        unsendable = await db.execute(
            select(OutboxMail).where(col(OutboxMail.recipient_address).like("%koppeling.invalid"))
        )
        assert unsendable.first() is None  # the actor is never sent a mail
    assert receipt.first_read_by == actor.id and receipt.first_read_at is not None
    assert [e.user_id for e in posts] == [w.km_arnhem.id, token_id(token)]  # the token's id, as before


async def test_the_actor_is_in_no_list_of_people_and_never_logs_in(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    token = await api.org_token(w.kb_x, Role.BEWINDVOERDER.value)
    actor = await actor_of(api, token)
    async with api.hub.db() as db:
        keyring = api.hub.runtime.keyring
        lists = {
            "organisation users": await UserService(db).in_organisation(w.xander.id),
            "all users": [u for u, _ in await UserService(db).all()],
            "assignable": await CaseService(db, keyring).assignable(w.bv_x, case),
            "bewindvoerders": await CaseService(db, keyring).bewindvoerders(w.xander.id),
            "inbox colleagues": await InboxService(db, keyring).colleagues(w.bv_x),
            "successors": await HandOverService(db, keyring).successors(w.kb_x, w.bv_x.id),
            "mail recipients": await users_with_roles(db, w.xander.id, frozenset({Role.BEWINDVOERDER})),
            "user search": [u for u, _ in (await UserDirectory(db).search(w.beheerder, text="koppeling")).rows],
        }
        people = await UserService(db).count()
        for name, found in lists.items():
            assert actor.id not in {u.id for u in found}, name
        assert people == len(lists["all users"])
        with pytest.raises(NotFound):
            await UserService(db).managed(w.kb_x, actor.id)  # block, reset, edit, remove: all start here
    # Nor can a person name it where a colleague is chosen (a forged form or API body).
    thread_id = await api.thread(w.km_arnhem, case.id)
    async with api.hub.db() as db:
        with pytest.raises(ValidationError):
            await ThreadService(db, api.hub.runtime.keyring).assign(w.bv_x, thread_id, actor.id)
        with pytest.raises(ValidationError):
            await CaseService(db, api.hub.runtime.keyring).update_assignment(w.bv_x, case, person_id=actor.id)
    with pytest.raises(ValidationError):
        await w.open_case(bsn=BSN_2, bewindvoerder_id=actor.id)
    admin_pages = await api.hub.client_for(w.kb_x)
    assert "API-koppeling" not in (await admin_pages.get("/gebruikers")).text
    assert (await admin_pages.get(f"/gebruikers/{actor.id}")).status_code == 404
    # The login page refuses it, whatever is typed as its password.
    browser = api.hub.client()
    for password in ("!", "", "x" * 12):
        page = await browser.get("/inloggen")
        answer = await browser.post(
            "/inloggen", data={"email": actor.email, "password": password, "csrf_token": csrf_from(page.text)}
        )
        assert answer.status_code != 303 and "sessie" not in str(answer.headers.get("set-cookie", "")).lower()


async def test_a_revoked_or_expired_token_disables_its_actor(api: Api) -> None:
    w = api.world
    token = await api.org_token(w.kb_x, Role.BEWINDVOERDER.value)
    assert (await api.client(token).get("/api/v1/cases")).status_code == 200
    async with api.hub.db() as db:
        await ApiTokenService(db).revoke(w.kb_x, token_id(token))
    assert (await api.client(token).get("/api/v1/cases")).status_code == 401
    assert (await actor_of(api, token)).disabled

    other = await api.org_token(w.kb_x, Role.BEWINDVOERDER.value)
    async with api.hub.db() as db:
        assert await ApiTokenService(db).disable_expired(utcnow()) == 0  # not yet
        assert await ApiTokenService(db).disable_expired(utcnow() + timedelta(days=91)) == 1
    assert (await actor_of(api, other)).disabled
    assert (await api.client(other).get("/api/v1/cases")).status_code == 401  # a disabled actor is refused too


async def test_another_kantoors_organisation_token_finds_nothing_of_the_case(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    thread_id = await api.thread(w.km_arnhem, case.id)
    own = api.client(await api.token(w.bv_x))
    document = (
        await own.post(f"/api/v1/cases/{case.id}/documents", params=UPLOAD, content=pdf_bytes(5000),
                       headers=pdf_headers("a.pdf"))
    ).json()  # fmt: skip
    kb_y = await api.hub.user(w.ypsilon, Role.KANTOORBEHEERDER, name="Yvo Ypsilon")
    stranger = api.client(await api.org_token(kb_y, Role.BEWINDVOERDER.value))
    assert (await stranger.get(f"/api/v1/cases/{case.id}")).status_code == 404
    assert (await stranger.get(f"/api/v1/documents/{document['id']}/content")).status_code == 404
    assert (await stranger.head(f"/api/v1/documents/{document['id']}/content")).status_code == 404
    assert (await stranger.get(f"/api/v1/threads/{thread_id}")).status_code == 404
    upload = await stranger.post(
        f"/api/v1/cases/{case.id}/documents", params=UPLOAD, content=pdf_bytes(5000), headers=pdf_headers("b.pdf")
    )
    assert upload.status_code == 404
    post = await stranger.post(f"/api/v1/threads/{thread_id}/messages", json={"body": "Hallo"})
    assert post.status_code == 404
    assert len((await own.get(f"/api/v1/cases/{case.id}/documents")).json()["items"]) == 1  # nothing added
