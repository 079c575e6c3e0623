"""The operator has no back door to case content (issue 10, "High"): the functioneel beheerder adds only an
organisation's first administrator, sees no password, and the user chooses one through a single-use, expiring
enrolment link mailed to their own address (through the real SMTP server). Every account change is mailed to the
user and audited, ids only; one-time passwords shown to the organisation's own administrator expire."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hub.accounts.models import EnrolmentToken, User
from hub.accounts.roles import OrgKind, Role
from hub.audit.models import AuditEvent
from hub.db import utcnow
from hub.notifications.models import MailKind, MailStatus, OutboxMail
from hub.notifications.render import MailContent, render_parts
from hub.worker import worker_for
from tests.support.hubclient import PASSWORD, HubUnderTest, csrf_from
from tests.support.smtp import SmtpServer

ONE_TIME_PASSWORD = re.compile(r'id="one-time-password">([^<]+)<')
LINK = re.compile(r"https://hub\.example\.nl/activeren/([A-Za-z0-9_-]{43})")
NEW_PASSWORD = "paarse olifant danst op het ijs"


async def _actions(hub: HubUnderTest, user_id: str) -> list[str]:
    async with hub.db() as db:
        rows = await db.execute(
            select(AuditEvent.action).where(AuditEvent.object_id == user_id).order_by(AuditEvent.seq)  # type: ignore[arg-type]
        )
        return list(rows.scalars())


async def _drain(hub: HubUnderTest) -> None:
    await worker_for(hub.runtime, name="test-worker").drain()


async def test_the_operator_adds_a_first_administrator_who_enrols_through_a_mailed_link(
    mail_hub: HubUnderTest, smtp: SmtpServer
) -> None:
    hub = mail_hub
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    kantoor = await hub.org(OrgKind.KANTOOR, "Bewind & Zo")
    fb = await hub.client_for(await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER))
    response = await fb.post_form(
        "/gebruikers",
        {
            "organisation_id": kantoor.id,
            "name": "Karin Beheer",
            "email": "kb@zo.example.nl",
            "roles": ["kantoorbeheerder"],
        },
    )
    assert response.status_code == 200
    assert not ONE_TIME_PASSWORD.search(response.text)
    async with hub.db() as db:
        kb = (await db.execute(select(User).where(User.email == "kb@zo.example.nl"))).scalar_one()  # type: ignore[arg-type]

    await _drain(hub)
    assert [m.rcpt_tos for m in smtp.messages] == [["kb@zo.example.nl"]]
    text = smtp.messages[0].decoded_text()
    assert smtp.messages[0].message["Subject"] == "Uw account in de beveiligde omgeving"
    assert "72 uur" in text and "Was u dit niet" in text and "Bewind & Zo" in text
    assert "Karin" not in text  # no names in mails
    found = LINK.search(text)
    assert found
    token = found.group(1)
    async with hub.db() as db:
        stored = list((await db.execute(select(EnrolmentToken))).scalars())
        rows = list((await db.execute(select(OutboxMail))).scalars())
    # Only the token's hash is stored, nowhere the token itself (the operator's outbox page shows rows).
    assert [t.token_hash for t in stored] == [hashlib.sha256(token.encode()).hexdigest()]
    assert all(token not in repr(r) for r in rows)
    assert stored[0].expires_at - stored[0].created_at == timedelta(hours=72)

    # The link: a password of one's own, then the MFA enrolment as at any first login.
    newcomer = hub.client()
    page = await newcomer.get(f"/activeren/{token}")
    assert page.status_code == 200 and "Kies uw wachtwoord" in page.text
    response = await newcomer.post(
        f"/activeren/{token}",
        data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303
    step = await newcomer.get(response.headers["location"])
    assert step.headers["location"] == "/inloggen/mfa/instellen"
    assert (await newcomer.get("/inloggen/mfa/instellen")).status_code == 200
    fresh = await hub.reload(kb)
    assert not fresh.must_change_password and fresh.password_expires_at is None

    # Single use: the link is spent.
    again = hub.client()
    page = await again.get(f"/activeren/{token}")
    assert page.status_code == 404 and "al gebruikt of verlopen" in page.text
    page = await again.get("/inloggen")  # the same login-form CSRF cookie
    response = await again.post(
        f"/activeren/{token}",
        data={
            "password": "x" + NEW_PASSWORD,
            "password_repeat": "x" + NEW_PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 404
    assert (await hub.reload(kb)).password_hash == fresh.password_hash

    assert await _actions(hub, kb.id) == ["user.created_enrolment_link", "user.enrolment_link_used"]
    async with hub.db() as db:
        events = list((await db.execute(select(AuditEvent))).scalars())
    assert all("kb@zo" not in repr(e) and "Karin" not in repr(e) and token not in repr(e) for e in events)

    # The kantoor has its administrator now: a second account is theirs to add, not the operator's.
    response = await fb.post_form(
        "/gebruikers",
        {"organisation_id": kantoor.id, "name": "Bert", "email": "bert@zo.example.nl", "roles": ["kantoorbeheerder"]},
    )
    assert response.status_code == 403
    assert (await hub.reload(kb)).id == kb.id


async def test_the_operator_sends_a_new_link_to_a_first_administrator_who_never_enrolled(
    mail_hub: HubUnderTest, smtp: SmtpServer
) -> None:
    """A kantoor whose first administrator never used the link is not stuck: the operator sends a new link to the
    administrator's own address (the old one stops working; the operator sees no password), which is audited. Once
    the administrator has enrolled, the operator can do this no more: the account is the kantoor's own."""
    hub = mail_hub
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    kantoor = await hub.org(OrgKind.KANTOOR, "Bewind & Zo")
    operator = await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER)
    fb = await hub.client_for(operator)
    form = {"organisation_id": kantoor.id, "name": "Karin", "email": "kb@zo.example.nl", "roles": ["kantoorbeheerder"]}
    assert (await fb.post_form("/gebruikers", form)).status_code == 200
    await _drain(hub)
    first = LINK.search(smtp.messages[0].decoded_text())
    assert first
    async with hub.db() as db:
        kb = (await db.execute(select(User).where(User.email == "kb@zo.example.nl"))).scalar_one()  # type: ignore[arg-type]
    resend = f"/gebruikers/{kb.id}/activeringslink"
    page = await fb.get("/gebruikers")
    assert f'action="{resend}"' in page.text and "Nog niet geactiveerd" in page.text

    response = await fb.post_form(resend)
    assert response.status_code == 303 and response.headers["location"] == "/gebruikers?gelukt=activeringslink"
    page = await fb.get(response.headers["location"])
    assert "Er is een nieuwe activeringslink gemaild" in page.text
    assert not ONE_TIME_PASSWORD.search(page.text)
    await _drain(hub)
    assert [(m.rcpt_tos, m.message["Subject"]) for m in smtp.messages[1:]] == [
        (["kb@zo.example.nl"], "Nieuwe link voor uw account in de beveiligde omgeving")
    ]
    text = smtp.messages[1].decoded_text()
    second = LINK.search(text)
    assert second and second.group(1) != first.group(1) and "Eerdere links werken niet meer" in text
    newcomer = hub.client()
    assert (await newcomer.get(f"/activeren/{first.group(1)}")).status_code == 404  # the old link is void
    page = await newcomer.get(f"/activeren/{second.group(1)}")
    assert page.status_code == 200
    response = await newcomer.post(
        f"/activeren/{second.group(1)}",
        data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303
    assert await _actions(hub, kb.id) == [
        "user.created_enrolment_link",
        "user.enrolment_link_reissued",
        "user.enrolment_link_used",
    ]
    async with hub.db() as db:
        reissued = (
            await db.execute(select(AuditEvent).where(AuditEvent.action == "user.enrolment_link_reissued"))  # type: ignore[arg-type]
        ).scalar_one()
    assert (reissued.user_id, reissued.object_id) == (operator.id, kb.id)

    # Enrolled (a password of their own): the account is the kantoor's now, the operator sends no link.
    assert (await fb.post_form(resend)).status_code == 403
    assert f'action="{resend}"' not in (await fb.get("/gebruikers")).text
    assert len(smtp.messages) == 2


async def test_a_new_link_only_for_an_administrator_who_never_enrolled_and_only_by_the_operator(
    mail_hub: HubUnderTest,
) -> None:
    hub = mail_hub
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    fb = await hub.client_for(await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER))
    admin = await hub.user(kantoor, Role.KANTOORBEHEERDER)
    colleague = await hub.client_for(await hub.user(kantoor, Role.KANTOORBEHEERDER))
    added = await colleague.post_form(
        "/gebruikers", {"name": "Nieuw", "email": "nieuw@a.example.nl", "roles": ["bewindvoerder"]}
    )
    assert added.status_code == 200
    async with hub.db() as db:
        newcomer = (await db.execute(select(User).where(User.email == "nieuw@a.example.nl"))).scalar_one()  # type: ignore[arg-type]
    # A bewindvoerder who never logged in is the kantoor's to help; an enrolled administrator too.
    for target in (newcomer, admin):
        assert (await fb.post_form(f"/gebruikers/{target.id}/activeringslink")).status_code == 403
    # Only the operator has the route: a kantoorbeheerder resets a colleague's password instead.
    assert (await colleague.post_form(f"/gebruikers/{newcomer.id}/activeringslink")).status_code == 403
    async with hub.db() as db:
        mails = list((await db.execute(select(OutboxMail.kind))).scalars())  # type: ignore[call-overload]
    assert MailKind.ACCOUNT_NIEUWE_LINK.value not in mails


async def test_a_new_link_sent_before_the_first_went_out_replaces_it(mail_hub: HubUnderTest, smtp: SmtpServer) -> None:
    """The first mail never left (the mail server was down, say): only the new link goes out, one mail."""
    hub = mail_hub
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente G")
    fb = await hub.client_for(await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER))
    form = {"organisation_id": gemeente.id, "name": "Gea", "email": "gb@g.example.nl", "roles": ["gemeentebeheerder"]}
    assert (await fb.post_form("/gebruikers", form)).status_code == 200
    async with hub.db() as db:
        gb = (await db.execute(select(User).where(User.email == "gb@g.example.nl"))).scalar_one()  # type: ignore[arg-type]
    assert (await fb.post_form(f"/gebruikers/{gb.id}/activeringslink")).status_code == 303
    await _drain(hub)
    assert [m.message["Subject"] for m in smtp.messages] == ["Nieuwe link voor uw account in de beveiligde omgeving"]


async def test_an_expired_link_does_not_work(mail_hub: HubUnderTest, smtp: SmtpServer) -> None:
    hub = mail_hub
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Nijmegen")
    fb = await hub.client_for(await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER))
    response = await fb.post_form(
        "/gebruikers",
        {
            "organisation_id": gemeente.id,
            "name": "Gerrit",
            "email": "gb@nijmegen.example.nl",
            "roles": ["gemeentebeheerder"],
        },
    )
    assert response.status_code == 200
    await _drain(hub)
    found = LINK.search(smtp.messages[0].decoded_text())
    assert found
    async with hub.db() as db:
        await db.execute(update(EnrolmentToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    client = hub.client()
    page = await client.get(f"/activeren/{found.group(1)}")
    assert page.status_code == 404 and "verlopen" in page.text


async def test_the_operator_cannot_reset_or_block_a_case_role_account(mail_hub: HubUnderTest, smtp: SmtpServer) -> None:
    hub = mail_hub
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente G")
    fb = await hub.client_for(await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER))
    bewindvoerder = await hub.user(kantoor, Role.BEWINDVOERDER, email="bv@a.example.nl")
    klantmanager = await hub.user(gemeente, Role.KLANTMANAGER, email="km@g.example.nl")
    for target in (bewindvoerder, klantmanager):
        before = await hub.reload(target)
        for action in ("wachtwoord-herstellen", "mfa-herstellen", "blokkeren"):
            response = await fb.post_form(f"/gebruikers/{target.id}/{action}", {"bevestigd": "ja"})
            assert response.status_code == 403, action
            assert not ONE_TIME_PASSWORD.search(response.text)
        after = await hub.reload(target)
        assert (after.password_hash, after.totp_secret, after.disabled) == (
            before.password_hash,
            before.totp_secret,
            before.disabled,
        )
    # Nor may the operator add a case role to an organisation.
    response = await fb.post_form(
        "/gebruikers",
        {"organisation_id": kantoor.id, "name": "X", "email": "x@a.example.nl", "roles": ["bewindvoerder"]},
    )
    assert response.status_code == 403
    async with hub.db() as db:
        assert (await db.execute(select(User).where(User.email == "x@a.example.nl"))).first() is None  # type: ignore[arg-type]
        assert list((await db.execute(select(OutboxMail))).scalars()) == []

    # The operator resets a gemeentebeheerder (no case role) by an enrolment link, never a shown password; blocking
    # one is refused (a gemeente without an active administrator would let the operator add a "first" one again).
    gb = await hub.user(gemeente, Role.GEMEENTEBEHEERDER, email="gb@g.example.nl")
    assert (await fb.post_form(f"/gebruikers/{gb.id}/blokkeren", {"bevestigd": "ja"})).status_code == 403
    assert not (await hub.reload(gb)).disabled
    response = await fb.post_form(f"/gebruikers/{gb.id}/wachtwoord-herstellen", {"bevestigd": "ja"})
    assert response.status_code == 200
    assert not ONE_TIME_PASSWORD.search(response.text) and 'id="enrolment-sent"' in response.text
    client = hub.client()
    page = await client.get("/inloggen")
    response = await client.post(
        "/inloggen",
        data={"email": "gb@g.example.nl", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 401  # the old password no longer works
    await _drain(hub)
    assert [m.rcpt_tos for m in smtp.messages] == [["gb@g.example.nl"]]
    assert LINK.search(smtp.messages[0].decoded_text())


async def test_the_own_administrator_resets_with_an_expiring_password_and_the_user_is_told(
    mail_hub: HubUnderTest, smtp: SmtpServer
) -> None:
    hub = mail_hub
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    kb = await hub.user(kantoor, Role.KANTOORBEHEERDER, email="kb@a.example.nl")
    colleague = await hub.user(kantoor, Role.BEWINDVOERDER, email="anna@a.example.nl", name="Anna Collega")
    admin = await hub.client_for(kb)

    response = await admin.post_form(f"/gebruikers/{colleague.id}/wachtwoord-herstellen", {"bevestigd": "ja"})
    found = ONE_TIME_PASSWORD.search(response.text)
    assert found and "72 uur" in response.text
    password = found.group(1)
    for action in ("mfa-herstellen", "blokkeren", "deblokkeren"):
        assert (await admin.post_form(f"/gebruikers/{colleague.id}/{action}", {"bevestigd": "ja"})).status_code == 303
    response = await admin.post_form(
        "/gebruikers", {"name": "Nieuw", "email": "nieuw@a.example.nl", "roles": ["bewindvoerder"]}
    )
    assert ONE_TIME_PASSWORD.search(response.text)

    await _drain(hub)
    subjects = {m.message["Subject"]: m for m in smtp.messages}
    assert sorted(subjects) == sorted(
        [
            "Uw wachtwoord is hersteld",
            "Uw tweestapsverificatie is hersteld",
            "Uw account is geblokkeerd",  # sent although the account was blocked
            "Uw account is gedeblokkeerd",
            "Er is een account voor u aangemaakt",
        ]
    )
    for captured in smtp.messages:
        text = captured.decoded_text()
        assert "Was u dit niet" in text and "beheerder van uw organisatie" in text
        assert password not in captured.content.decode(errors="replace") and "Anna" not in text
        assert "/activeren/" not in text
    assert await _actions(hub, colleague.id) == [
        "user.password_reset",
        "user.mfa_reset",
        "user.blocked",
        "user.unblocked",
    ]

    # The one-time password works for 72 hours, then no longer, with a clear Dutch message.
    async with hub.db() as db:
        await db.execute(
            update(User).where(User.id == colleague.id).values(password_expires_at=utcnow() - timedelta(seconds=1))  # type: ignore[arg-type]
        )
    client = hub.client()
    page = await client.get("/inloggen")
    response = await client.post(
        "/inloggen", data={"email": "anna@a.example.nl", "password": password, "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 401
    assert "Uw tijdelijke wachtwoord is verlopen." in response.text
    async with hub.db() as db:
        await db.execute(
            update(User).where(User.id == colleague.id).values(password_expires_at=utcnow() + timedelta(hours=1))  # type: ignore[arg-type]
        )
    response = await client.post(
        "/inloggen", data={"email": "anna@a.example.nl", "password": password, "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 303


def test_account_mails_render_in_dutch_and_only_enrolment_mails_carry_a_token() -> None:
    token = "A" * 43
    for kind in MailKind:
        if not kind.value.startswith("account_"):
            continue
        enrol = kind in (MailKind.ACCOUNT_ACTIVEREN, MailKind.ACCOUNT_HERSTELLEN, MailKind.ACCOUNT_NIEUWE_LINK)
        content = MailContent(kind, "Gemeente Nijmegen", "/", enrolment_token=token if enrol else "")
        subject, text, html = render_parts(content, "https://hub.example.nl")
        assert subject and "Was u dit niet" in text and "Gemeente Nijmegen" in text and '<html lang="nl">' in html
        link = f"https://hub.example.nl/activeren/{token}" if enrol else "https://hub.example.nl/inloggen?volgende=/"
        assert link in text and f'href="{link}"' in html
    with pytest.raises(ValueError, match="token"):
        MailContent(MailKind.ACCOUNT_ACTIVEREN, "Gemeente Nijmegen", "/")
    with pytest.raises(ValueError, match="token"):
        MailContent(MailKind.NIEUW_BERICHT, "Gemeente Nijmegen", "/", enrolment_token=token)
    with pytest.raises(ValueError, match="token"):
        MailContent(MailKind.ACCOUNT_ACTIVEREN, "Gemeente Nijmegen", "/", enrolment_token="Johanna Pietersen")
    assert MailStatus.CANCELLED  # the statuses are shared with every other mail


async def test_a_blocked_user_is_still_told_that_they_were_blocked(mail_hub: HubUnderTest, smtp: SmtpServer) -> None:
    hub = mail_hub
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    admin = await hub.client_for(await hub.user(kantoor, Role.KANTOORBEHEERDER, email="kb@a.example.nl"))
    colleague = await hub.user(kantoor, Role.BEWINDVOERDER, email="anna@a.example.nl")
    assert (await admin.post_form(f"/gebruikers/{colleague.id}/blokkeren", {"bevestigd": "ja"})).status_code == 303
    await _drain(hub)
    assert [(m.rcpt_tos, m.message["Subject"]) for m in smtp.messages] == [
        (["anna@a.example.nl"], "Uw account is geblokkeerd")
    ]


async def test_the_operator_adds_a_fellow_functioneel_beheerder_by_enrolment_link(mail_hub: HubUnderTest) -> None:
    hub = mail_hub
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    fb = await hub.client_for(await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER))
    response = await fb.post_form(
        "/gebruikers",
        {"organisation_id": beheer.id, "name": "F2", "email": "f2@b.example.nl", "roles": ["functioneel_beheerder"]},
    )
    assert response.status_code == 200 and 'id="enrolment-sent"' in response.text
    assert not ONE_TIME_PASSWORD.search(response.text)


async def test_the_own_administrator_changes_roles_and_the_user_is_told(
    mail_hub: HubUnderTest, smtp: SmtpServer
) -> None:
    hub = mail_hub
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    fb = await hub.client_for(await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER))
    admin = await hub.client_for(await hub.user(kantoor, Role.KANTOORBEHEERDER, email="kb@a.example.nl"))
    colleague = await hub.user(kantoor, Role.BEWINDVOERDER, email="anna@a.example.nl")

    page = await admin.get("/gebruikers")
    assert f'action="/gebruikers/{colleague.id}/rollen"' in page.text
    assert (
        await fb.post_form(f"/gebruikers/{colleague.id}/rollen", {"roles": ["kantoorbeheerder"]})
    ).status_code == 403
    response = await admin.post_form(f"/gebruikers/{colleague.id}/rollen", {"roles": ["bewindvoerder", "klantmanager"]})
    assert response.status_code == 400 and "Deze rol past niet bij het soort organisatie." in response.text
    assert (await hub.reload(colleague)).roles == "bewindvoerder"

    response = await admin.post_form(
        f"/gebruikers/{colleague.id}/rollen", {"roles": ["bewindvoerder", "kantoorbeheerder"]}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/gebruikers?gelukt=rollen-gewijzigd"
    assert (await hub.reload(colleague)).roles == "bewindvoerder,kantoorbeheerder"
    assert await _actions(hub, colleague.id) == ["user.roles_changed"]
    await _drain(hub)
    assert [(m.rcpt_tos, m.message["Subject"]) for m in smtp.messages] == [
        (["anna@a.example.nl"], "Uw rollen zijn gewijzigd")
    ]


def test_the_enrolment_link_is_the_path_of_the_enrolment_page(tmp_path: Path) -> None:
    from hub.app import create_app
    from hub.config import load_settings
    from hub.notifications.render import ENROLMENT_PATH

    app = create_app(load_settings({"HUB_DATA_DIR": str(tmp_path)}))
    token = "A" * 43
    assert ENROLMENT_PATH + token == app.url_path_for("accounts.enrol", token=token)
