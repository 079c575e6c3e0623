"""Roles and organisation kinds (DOMAIN.md, "Who uses it")."""

from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    GEMEENTE = "gemeente"
    KANTOOR = "bewindvoerderskantoor"
    BEHEER = "beheer"

    @property
    def label(self) -> str:
        return {"gemeente": "Gemeente", "bewindvoerderskantoor": "Bewindvoerderskantoor", "beheer": "Beheer"}[
            self.value
        ]


class Role(StrEnum):
    BEWINDVOERDER = "bewindvoerder"
    KANTOORBEHEERDER = "kantoorbeheerder"
    KLANTMANAGER = "klantmanager"
    CONSULENT = "consulent_bijzondere_bijstand"
    CONTRACTMANAGER = "contractmanager"
    FUNCTIONEEL_BEHEERDER = "functioneel_beheerder"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.BEWINDVOERDER: "Bewindvoerder",
    Role.KANTOORBEHEERDER: "Kantoorbeheerder",
    Role.KLANTMANAGER: "Klantmanager schuldhulpverlening",
    Role.CONSULENT: "Consulent bijzondere bijstand",
    Role.CONTRACTMANAGER: "Contractmanager",
    Role.FUNCTIONEEL_BEHEERDER: "Functioneel beheerder",
}

# Which roles a user of each kind of organisation may hold.
ROLES_FOR_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.KANTOOR: frozenset({Role.BEWINDVOERDER, Role.KANTOORBEHEERDER}),
    OrgKind.GEMEENTE: frozenset({Role.KLANTMANAGER, Role.CONSULENT, Role.CONTRACTMANAGER}),
    OrgKind.BEHEER: frozenset({Role.FUNCTIONEEL_BEHEERDER}),
}


def parse_roles(raw: str) -> frozenset[Role]:
    return frozenset(Role(r) for r in raw.split(",") if r)


def format_roles(roles: frozenset[Role] | set[Role]) -> str:
    return ",".join(sorted(r.value for r in roles))
