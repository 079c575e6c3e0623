"""The accounts services check their caller's rights themselves (the API calls them without the pages).

Another organisation's user does not exist for a kantoorbeheerder (NotFound); a role that lacks the right gets
Forbidden; nothing is changed by a refused call.
"""

from __future__ import annotations

from datetime import date

import pytest

from hub.accounts.auth import AuthService
from hub.accounts.models import User
from hub.accounts.organisations import ConvenantService, OrganisationService
from hub.accounts.roles import OrgKind, Role
from hub.accounts.users import OwnAccount, UserService
from hub.errors import Forbidden, NotFound
from hub.notifications.accountmail import OutboxAccountMailer
from tests.support.hubclient import HubUnderTest


@pytest.fixture
async def world(hub: HubUnderTest) -> dict[str, User]:
    kantoor_a = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    kantoor_b = await hub.org(OrgKind.KANTOOR, "Kantoor B")
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente G")
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    await hub.convenant(gemeente, kantoor_a)
    return {
        "beheerder_a": await hub.user(kantoor_a, Role.KANTOORBEHEERDER),
        "bewindvoerder_a": await hub.user(kantoor_a, Role.BEWINDVOERDER),
        "bewindvoerder_b": await hub.user(kantoor_b, Role.BEWINDVOERDER),
        "contractmanager": await hub.user(gemeente, Role.CONTRACTMANAGER),
        "klantmanager": await hub.user(gemeente, Role.KLANTMANAGER),
        "fb": await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER),
    }


async def test_a_kantoorbeheerder_cannot_reach_another_organisations_users(
    hub: HubUnderTest, world: dict[str, User]
) -> None:
    actor, other = world["beheerder_a"], world["bewindvoerder_b"]
    before = await hub.reload(other)
    async with hub.db() as db:
        users, auth = UserService(db, OutboxAccountMailer(db)), AuthService(db, hub.runtime.keyring)
        for call in (
            users.managed(actor, other.id),
            users.block(actor, other.id, auth),
            users.unblock(actor, other.id, auth),
            users.reset_mfa_for(actor, other.id, auth),
            users.reset_password_for(actor, other.id, auth),
            users.add(
                actor, other.organisation_id, name="Nieuw", email="nieuw@b.example.nl", roles={Role.BEWINDVOERDER}
            ),
        ):
            with pytest.raises(NotFound):
                await call
        with pytest.raises(NotFound):
            await users.managed(actor, "no-such-user")
        managed = await users.manageable(actor)
    assert not managed.manage_all
    assert [org.id for org, _ in managed.groups] == [actor.organisation_id]
    after = await hub.reload(other)
    assert (after.disabled, after.password_hash, after.totp_secret) == (
        before.disabled,
        before.password_hash,
        before.totp_secret,
    )


async def test_a_kantoorbeheerder_manages_colleagues_but_not_their_own_account(
    hub: HubUnderTest, world: dict[str, User]
) -> None:
    actor, colleague = world["beheerder_a"], world["bewindvoerder_a"]
    async with hub.db() as db:
        users, auth = UserService(db, OutboxAccountMailer(db)), AuthService(db, hub.runtime.keyring)
        with pytest.raises(OwnAccount):
            await users.block(actor, actor.id, auth)
        blocked = await users.block(actor, colleague.id, auth)
    assert blocked.id == colleague.id
    assert (await hub.reload(colleague)).disabled


async def test_roles_without_the_right_are_forbidden(hub: HubUnderTest, world: dict[str, User]) -> None:
    bewindvoerder, colleague = world["bewindvoerder_a"], world["beheerder_a"]
    klantmanager, contractmanager = world["klantmanager"], world["contractmanager"]
    async with hub.db() as db:
        users, auth = UserService(db, OutboxAccountMailer(db)), AuthService(db, hub.runtime.keyring)
        orgs, convenants = OrganisationService(db), ConvenantService(db)
        calls = [
            users.manageable(bewindvoerder),
            users.block(bewindvoerder, colleague.id, auth),  # same organisation: visible, but not theirs to manage
            users.add(bewindvoerder, bewindvoerder.organisation_id, name="X", email="x@a.example.nl", roles=set()),
            orgs.add(klantmanager, OrgKind.KANTOOR, "Kantoor C"),
            orgs.overview(contractmanager),
            convenants.add(
                klantmanager, contractmanager.organisation_id, bewindvoerder.organisation_id, date(2026, 1, 1)
            ),
            convenants.overview(colleague),
            orgs.routekaart_for(klantmanager),
            orgs.own_contacts(bewindvoerder),
            orgs.confirm_own_contacts(klantmanager, person="K", email="k@g.example.nl", phone=""),
        ]
        for call in calls:
            with pytest.raises(Forbidden):
                await call
        assert await orgs.by_name("Kantoor C") is None
    assert not (await hub.reload(colleague)).disabled


async def test_a_blocked_functioneel_beheerder_may_do_nothing(hub: HubUnderTest, world: dict[str, User]) -> None:
    fb = world["fb"]
    async with hub.db() as db:
        assert len((await UserService(db).manageable(fb)).groups) == 4
        fb.disabled = True
        for call in (
            OrganisationService(db).add(fb, OrgKind.KANTOOR, "Kantoor C"),
            ConvenantService(db).overview(fb),
            UserService(db).manageable(fb),
        ):
            with pytest.raises(Forbidden):
                await call


async def test_the_rights_that_exist_work_through_the_services(hub: HubUnderTest, world: dict[str, User]) -> None:
    fb, beheerder = world["fb"], world["beheerder_a"]
    async with hub.db() as db:
        organisation = await OrganisationService(db).add(fb, OrgKind.KANTOOR, "Kantoor C")
        # The operator adds the organisation's first administrator, who gets an enrolment link: no password shown.
        user, password, org = await UserService(db, OutboxAccountMailer(db)).add(
            fb, organisation.id, name="Nieuwe Beheerder", email="nieuw@c.example.nl", roles={Role.KANTOORBEHEERDER}
        )
        assert (org.id, user.organisation_id, user.must_change_password) == (organisation.id, organisation.id, True)
        assert password == ""
        # The organisation's own administrator adds a colleague, with a one-time password shown once.
        _, password, _ = await UserService(db, OutboxAccountMailer(db)).add(
            beheerder,
            beheerder.organisation_id,
            name="Collega",
            email="collega@a.example.nl",
            roles={Role.BEWINDVOERDER},
        )
        assert password
        own, entries = await OrganisationService(db).routekaart_for(world["contractmanager"])
        assert own.name == "Gemeente G"
        assert [e.organisation.name for e in entries] == ["Gemeente G", "Kantoor A"]
        changed = await OrganisationService(db).confirm_own_contacts(
            beheerder, person="Nieuwe Contactpersoon", email="vast@a.example.nl", phone="010-1234567"
        )
    assert changed
