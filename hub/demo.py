"""`hub demo`: a living hub for newcomers — organisations, convenants and an enrolled user for every role."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from crypto import Keyring
from hub.accounts import totp
from hub.accounts.auth import AuthService
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.db import create_engine, session_factory, transaction, utcnow

GEMEENTEN = ("Gemeente Nijmegen", "Gemeente Wijchen")
KANTOREN = ("Bewindvoering De Brug", "Horizon Beschermingsbewind", "Van Dijk Bewind en Budget")
BEHEER = "Beheer beveiligde omgeving"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    totp_secret: str
    role: str
    organisation: str


def _slug(name: str) -> str:
    if name == BEHEER:
        return "beheer"
    words = [w for w in name.lower().replace("gemeente ", "").split() if w not in ("en", "de", "van")]
    return "-".join(words)


async def seed(database_url: str, keyring: Keyring) -> list[DemoAccount]:
    engine = create_engine(database_url)
    accounts: list[DemoAccount] = []
    try:
        sessions = session_factory(engine)
        async with transaction(sessions) as db:
            orgs = OrganisationService(db)
            users = UserService(db)
            auth = AuthService(db, keyring)
            now = utcnow()

            async def person(org_name: str, org: object, name: str, role: Role) -> None:
                domain = _slug(org_name) + ".example.nl"
                email = f"{role.value.split('_')[0]}@{domain}"
                password = "demo-" + secrets.token_urlsafe(12)
                user, _ = await users.create(org, name=name, email=email, roles={role},  # type: ignore[arg-type]
                                             password=password, must_change_password=False)
                secret = totp.new_secret()
                await auth.set_totp_secret(user, secret)
                await auth.replace_recovery_codes(user)
                accounts.append(DemoAccount(email, password, totp.secret_base32(secret), role.value, org_name))

            beheer = await orgs.create(OrgKind.BEHEER, BEHEER, contact_person="Servicedesk",
                                       contact_email="servicedesk@beheer.example.nl")
            await person(BEHEER, beheer, "Femke Beheer", Role.FUNCTIONEEL_BEHEERDER)
            gemeenten = []
            for i, name in enumerate(GEMEENTEN):
                gem = await orgs.create(OrgKind.GEMEENTE, name, contact_person="Team Schuldhulpverlening",
                                        contact_email=f"schuldhulp@{_slug(name)}.example.nl")
                # One gemeente confirmed its contacts recently, the other long ago: the routekaart flags it.
                gem.contacts_confirmed_at = now - timedelta(days=30 if i == 0 else 400)
                gemeenten.append(gem)
                await person(name, gem, f"Karim Klantmanager ({name.split()[-1]})", Role.KLANTMANAGER)
                await person(name, gem, f"Cor Consulent ({name.split()[-1]})", Role.CONSULENT)
                await person(name, gem, f"Carla Contractmanager ({name.split()[-1]})", Role.CONTRACTMANAGER)
            for j, name in enumerate(KANTOREN):
                kantoor = await orgs.create(OrgKind.KANTOOR, name, contact_person=f"Contact {name}",
                                            contact_email=f"info@{_slug(name)}.example.nl")
                kantoor.contacts_confirmed_at = None if j == 2 else now - timedelta(days=60 * (j + 1))
                await person(name, kantoor, f"Bart Bewindvoerder ({name.split()[-1]})", Role.BEWINDVOERDER)
                await person(name, kantoor, f"Kim Kantoorbeheerder ({name.split()[-1]})", Role.KANTOORBEHEERDER)
                # Every kantoor has a convenant with Nijmegen; the first two also with Wijchen.
                for k, gem in enumerate(gemeenten):
                    if k == 0 or j < 2:
                        await ConvenantService(db).create(gem.id, kantoor.id, date(2024, 1, 1) + timedelta(days=k))
    finally:
        await engine.dispose()
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
