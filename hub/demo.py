"""`hub demo`: a living hub for newcomers — organisations, convenants, an enrolled user for every role, and sample
cases for every convenant (fictional clients with test BSNs that pass the elfproef), opened through CaseService so
they are encrypted and audited like real ones; sample documents on them and conversations in every clock state."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring, is_valid_bsn
from hub.accounts import totp
from hub.accounts.auth import AuthService
from hub.accounts.models import Convenant, Organisation, User
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.calendars.services import CalendarSource
from hub.cases.demo import demo_paths, record_demo_path
from hub.cases.milestone_service import MilestoneService
from hub.cases.models import BewindKind, Case
from hub.cases.services import CaseService, local_today
from hub.db import utcnow
from hub.documents.blobstore import BlobStore
from hub.documents.components import blobs_of
from hub.documents.demo import bijstand_evidence, seed_documents
from hub.documents.evidence import case_document_type
from hub.messaging.demo import seed_threads
from hub.runtime import Runtime

GEMEENTEN = ("Gemeente Nijmegen", "Gemeente Wijchen")
KANTOREN = ("Bewindvoering De Brug", "Horizon Beschermingsbewind", "Van Dijk Bewind en Budget")
BEHEER = "Beheer beveiligde omgeving"

# Fictional clients. The demo opens 2 or 3 cases per convenant, taking names in turn.
CLIENT_NAMES = (
    "Annelies Bakker", "Mohamed El Amrani", "Henk de Groot", "Fatma Yilmaz", "Gerrit Jan Hoekstra",
    "Sandra Verbeek", "Kevin van den Berg", "Ingrid Smits-Peeters", "Ruud Janssen", "Joyce Martens",
    "Dirk Willemsen", "Esther Kramer", "Jeroen Bosman", "Naima Bouzid", "Wilma van der Heijden",
)  # fmt: skip


@dataclass(frozen=True)
class DemoCase:
    """A sample client; where the case stands on its path comes from hub.cases.demo (every stage in turn)."""

    kind: BewindKind
    birth_date: date
    assign_gemeente_contact: bool = False


DEMO_CASES = (
    DemoCase(BewindKind.SCHULDENBEWIND, date(1979, 3, 14)),
    DemoCase(BewindKind.BEIDE, date(1961, 11, 2), assign_gemeente_contact=True),
    DemoCase(BewindKind.SCHULDENBEWIND, date(1990, 6, 21)),
    DemoCase(BewindKind.TOESTANDENBEWIND, date(1948, 1, 9)),
    DemoCase(BewindKind.SCHULDENBEWIND, date(1985, 9, 30), assign_gemeente_contact=True),
    DemoCase(BewindKind.BEIDE, date(1972, 4, 17)),
    DemoCase(BewindKind.SCHULDENBEWIND, date(1995, 12, 5)),
)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    totp_secret: str
    role: str
    organisation: str


def valid_bsns(start: int, count: int) -> list[str]:
    """``count`` numbers from ``start`` upward that pass the elfproef: test BSNs for fictional clients."""
    found: list[str] = []
    number = start
    while len(found) < count:
        candidate = f"{number:09d}"
        if is_valid_bsn(candidate):
            found.append(candidate)
        number += 1
    return found


async def seed_cases(
    db: AsyncSession,
    keyring: Keyring,
    convenants: list[tuple[Convenant, User, list[User]]],
    blobs: BlobStore,
    today: date | None = None,
) -> int:
    """Open 2 or 3 sample cases under every (convenant, bewindvoerder, the gemeente's case workers), each at another
    stage of its path (hub.cases.demo), the milestones recorded by whoever's step it is; returns how many."""
    today = today or local_today()
    cases = CaseService(db, keyring)
    calendars = CalendarSource()
    milestones = MilestoneService(db, keyring, evidence=case_document_type, calendars=calendars)
    paths = demo_paths(today, calendars.base)

    async def evidence(user: User, case: Case, day: date) -> dict[str, str]:
        return await bijstand_evidence(db, keyring, blobs, user, case, day)

    bsns = valid_bsns(111222333, 3 * len(convenants))
    opened = 0
    for index, (convenant, bewindvoerder, gemeente_people) in enumerate(convenants):
        for n in range(3 if index % 2 == 0 else 2):
            spec = DEMO_CASES[(index * 3 + n) % len(DEMO_CASES)]
            path = paths[opened % len(paths)]
            case = await cases.open_case(
                bewindvoerder,
                convenant_id=convenant.id,
                client_name=CLIENT_NAMES[opened % len(CLIENT_NAMES)],
                bsn=bsns[opened],
                birth_date=spec.birth_date,
                bewind_kind=(
                    BewindKind.BEIDE if path.needs_schulden and spec.kind is BewindKind.TOESTANDENBEWIND else spec.kind
                ).value,
                beschikking_date=path.beschikking,
                bewind_start_date=path.beschikking,
                rechtbank="Rechtbank Gelderland",
                bewindvoerder_id=bewindvoerder.id,
                today=today,
            )
            if spec.assign_gemeente_contact:
                await cases.update_assignment(gemeente_people[0], case, person_id=gemeente_people[0].id)
            await record_demo_path(milestones, case, path, [bewindvoerder, *gemeente_people], evidence)
            opened += 1
    await db.flush()
    return opened


def _slug(name: str) -> str:
    if name == BEHEER:
        return "beheer"
    words = [w for w in name.lower().replace("gemeente ", "").split() if w not in ("en", "de", "van")]
    return "-".join(words)


async def seed(runtime: Runtime) -> list[DemoAccount]:
    """Everything a newcomer sees; documents go through the encrypted upload path into the runtime's blob store."""
    keyring = runtime.keyring
    accounts: list[DemoAccount] = []
    async with runtime.transaction() as db:
        orgs = OrganisationService(db)
        users = UserService(db)
        auth = AuthService(db, keyring)
        now = utcnow()

        async def person(org_name: str, org: Organisation, name: str, role: Role) -> User:
            domain = _slug(org_name) + ".example.nl"
            email = f"{role.value.split('_')[0]}@{domain}"
            password = "demo-" + secrets.token_urlsafe(12)
            user, _ = await users.create(
                org, name=name, email=email, roles={role}, password=password, must_change_password=False
            )
            secret = totp.new_secret()
            await auth.set_totp_secret(user, secret)
            await auth.replace_recovery_codes(user)
            accounts.append(DemoAccount(email, password, totp.secret_base32(secret), role.value, org_name))
            return user

        beheer = await orgs.create(
            OrgKind.BEHEER, BEHEER, contact_person="Servicedesk", contact_email="servicedesk@beheer.example.nl"
        )
        await person(BEHEER, beheer, "Femke Beheer", Role.FUNCTIONEEL_BEHEERDER)
        gemeenten = []
        case_workers: dict[str, list[User]] = {}
        for i, name in enumerate(GEMEENTEN):
            gem = await orgs.create(
                OrgKind.GEMEENTE,
                name,
                contact_person="Team Schuldhulpverlening",
                contact_email=f"schuldhulp@{_slug(name)}.example.nl",
            )
            # One gemeente confirmed its contacts recently, the other long ago: the routekaart flags it.
            gem.contacts_confirmed_at = now - timedelta(days=30 if i == 0 else 400)
            gemeenten.append(gem)
            case_workers[gem.id] = [
                await person(name, gem, f"Karim Klantmanager ({name.split()[-1]})", Role.KLANTMANAGER),
                await person(name, gem, f"Cor Consulent ({name.split()[-1]})", Role.CONSULENT),
            ]
            await person(name, gem, f"Carla Contractmanager ({name.split()[-1]})", Role.CONTRACTMANAGER)
            await person(name, gem, f"Gerrit Gemeentebeheerder ({name.split()[-1]})", Role.GEMEENTEBEHEERDER)
            if i == 0:  # the functionaris gegevensbescherming reads the gemeente's audit log
                await person(name, gem, f"Fenna FG ({name.split()[-1]})", Role.FG)
        with_cases: list[tuple[Convenant, User, list[User]]] = []
        for j, name in enumerate(KANTOREN):
            kantoor = await orgs.create(
                OrgKind.KANTOOR,
                name,
                contact_person=f"Contact {name}",
                contact_email=f"info@{_slug(name)}.example.nl",
            )
            kantoor.contacts_confirmed_at = None if j == 2 else now - timedelta(days=60 * (j + 1))
            bewindvoerder = await person(name, kantoor, f"Bart Bewindvoerder ({name.split()[-1]})", Role.BEWINDVOERDER)
            await person(name, kantoor, f"Kim Kantoorbeheerder ({name.split()[-1]})", Role.KANTOORBEHEERDER)
            if j == 0:
                await person(name, kantoor, f"Frits FG ({name.split()[-1]})", Role.FG)
            # Every kantoor has a convenant with Nijmegen; the first two also with Wijchen.
            for k, gem in enumerate(gemeenten):
                if k == 0 or j < 2:
                    conv = await ConvenantService(db).create(gem.id, kantoor.id, date(2024, 1, 1) + timedelta(days=k))
                    with_cases.append((conv, bewindvoerder, case_workers[gem.id]))
        await seed_cases(db, keyring, with_cases, blobs_of(runtime))
    # Documents and conversations on the cases, as their people would have made them.
    async with runtime.transaction() as db:
        await seed_documents(db, keyring, blobs_of(runtime))
        await seed_threads(db, keyring, utcnow())
    return accounts


def write_accounts(path: Path, accounts: list[DemoAccount]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump([asdict(a) for a in accounts], fh, indent=2, ensure_ascii=False)
        fh.write("\n")


def print_accounts(accounts: list[DemoAccount], base_url: str) -> None:
    print(f"\nDemo-hub: {base_url}\n")
    print(f"{'rol':<30} {'e-mailadres':<55} {'wachtwoord':<22} TOTP-sleutel")
    for a in accounts:
        print(f"{a.role:<30} {a.email:<55} {a.password:<22} {a.totp_secret}")
    print("\nEen code maken: oathtool --totp -b <TOTP-sleutel>  (of voeg de sleutel toe in een authenticator-app)\n")
