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
    GEMEENTEBEHEERDER = "gemeentebeheerder"
    # Functionaris gegevensbescherming (AVG art. 37-39): the organisation's own audit log, no case content.
    FG = "functionaris_gegevensbescherming"
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
    Role.GEMEENTEBEHEERDER: "Gemeentebeheerder",
    Role.FG: "Functionaris gegevensbescherming",
    Role.FUNCTIONEEL_BEHEERDER: "Functioneel beheerder",
}

# Which roles a user of each kind of organisation may hold.
ROLES_FOR_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.KANTOOR: frozenset({Role.BEWINDVOERDER, Role.KANTOORBEHEERDER, Role.FG}),
    OrgKind.GEMEENTE: frozenset(
        {Role.KLANTMANAGER, Role.CONSULENT, Role.CONTRACTMANAGER, Role.GEMEENTEBEHEERDER, Role.FG}
    ),
    OrgKind.BEHEER: frozenset({Role.FUNCTIONEEL_BEHEERDER}),
}

# The organisation's own administrator: the one account per organisation the functioneel beheerder creates (the
# first one); every later account of that organisation is made, reset and blocked by such an administrator.
ADMIN_ROLE: dict[OrgKind, Role] = {
    OrgKind.KANTOOR: Role.KANTOORBEHEERDER,
    OrgKind.GEMEENTE: Role.GEMEENTEBEHEERDER,
    OrgKind.BEHEER: Role.FUNCTIONEEL_BEHEERDER,
}


def parse_roles(raw: str) -> frozenset[Role]:
    return frozenset(Role(r) for r in raw.split(",") if r)


def format_roles(roles: frozenset[Role] | set[Role]) -> str:
    return ",".join(sorted(r.value for r in roles))
