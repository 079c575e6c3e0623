"""The load run's people and work: two gemeenten and three kantoren with a convenant between every pair, the simulated
users spread over them (bewindvoerders at the kantoren, klantmanagers at the gemeenten), each with a password and an
enrolled authenticator whose codes the client computes, and for every bewindvoerder two cases with a question each,
so that every user finds threads in the inbox and cases with documents to open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

GEMEENTEN = ("Gemeente Nijmegen", "Gemeente Wijchen")
KANTOREN = ("Bewindvoering De Brug", "Horizon Beschermingsbewind", "Van Dijk Bewind en Budget")
KANTOOR_SHARE = 0.6  # of the users; the rest are klantmanagers
CASES_PER_BEWINDVOERDER = 2
PASSWORD = "paarse giraffe fietst 42 kilometer"


@dataclass(frozen=True)
class Account:
    user_id: str
    email: str
    totp_secret: bytes
    kantoor: bool  # a bewindvoerder (uploads documents); else a klantmanager


async def seed(database_url: str, keyring_env: str, users: int) -> list[Account]:
    """Create everything in one transaction through the hub's own services (encrypted, audited, notified)."""
    from crypto import Keyring
    from hub.accounts import totp
    from hub.accounts.auth import AuthService
    from hub.accounts.roles import OrgKind, Role
    from hub.accounts.services import ConvenantService, OrganisationService, UserService
    from hub.calendars.services import CalendarSource
    from hub.cases.services import CaseService
    from hub.db import create_engine, session_factory, transaction
    from hub.demo import valid_bsns
    from hub.messaging.threads import ThreadService

    keyring = Keyring.from_env(keyring_env)
    engine = create_engine(database_url)
    accounts: list[Account] = []
    try:
        async with transaction(session_factory(engine)) as db:
            orgs = OrganisationService(db)
            people = UserService(db)
            auth = AuthService(db, keyring)
            gemeenten = [
                await orgs.create(OrgKind.GEMEENTE, name, contact_person="Team", contact_email=f"vast@g{i}.load.nl")
                for i, name in enumerate(GEMEENTEN)
            ]
            kantoren = [
                await orgs.create(OrgKind.KANTOOR, name, contact_person="Team", contact_email=f"vast@k{i}.load.nl")
                for i, name in enumerate(KANTOREN)
            ]
            convenants = {
                (g.id, k.id): await ConvenantService(db).create(g.id, k.id, date(2025, 1, 1))
                for g in gemeenten
                for k in kantoren
            }
            at_kantoor = max(1, round(users * KANTOOR_SHARE))
            bewindvoerders = []
            for n in range(users):
                kantoor = n < at_kantoor
                org = kantoren[n % len(kantoren)] if kantoor else gemeenten[n % len(gemeenten)]
                role = Role.BEWINDVOERDER if kantoor else Role.KLANTMANAGER
                email = f"{role.value}.{n}@load.example.nl"
                user, _ = await people.create(
                    org, name=f"Load {role.value} {n}", email=email, roles={role}, password=PASSWORD,
                    must_change_password=False,
                )  # fmt: skip
                secret = totp.new_secret()
                await auth.set_totp_secret(user, secret)
                accounts.append(Account(user.id, email, secret, kantoor))
                if kantoor:
                    bewindvoerders.append(user)
            cases = CaseService(db, keyring)
            threads = ThreadService(db, keyring, calendars=CalendarSource())
            bsns = iter(valid_bsns(222333444, len(bewindvoerders) * CASES_PER_BEWINDVOERDER))
            for i, person in enumerate(bewindvoerders):
                for c in range(CASES_PER_BEWINDVOERDER):
                    gemeente = gemeenten[(i + c) % len(gemeenten)]
                    case = await cases.open_case(
                        person,
                        convenant_id=convenants[(gemeente.id, person.organisation_id)].id,
                        client_name=f"Cliënt {i}-{c}",
                        bsn=next(bsns),
                        birth_date=date(1980, 1, 1 + c),
                        bewind_kind="schuldenbewind",
                        beschikking_date=date(2025, 6, 1),
                        bewind_start_date=date(2025, 6, 1),
                        rechtbank="Rechtbank Gelderland",
                        bewindvoerder_id=person.id,
                    )
                    await threads.start_thread(
                        person, case=case, subject=f"Stand van zaken {i}-{c}", body="Is er al een besluit?"
                    )
    finally:
        await engine.dispose()
    return accounts
