"""Two gemeenten, two kantoren and their people, for the case tests.

Convenants: Gemeente Arnhem with Kantoor Xander and with Kantoor Ypsilon; Gemeente Berkel with Kantoor Xander only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from hub.accounts.models import Convenant, Organisation, User
from hub.accounts.roles import OrgKind, Role
from hub.cases.models import Case
from hub.cases.services import CaseService
from tests.support.hubclient import HubUnderTest

BSN_1 = "123456782"
BSN_2 = "111222333"
BSN_3 = "999999990"  # 9*9+9*8+...+9*2-0 = 396 = 36*11


@dataclass
class World:
    hub: HubUnderTest
    arnhem: Organisation
    berkel: Organisation
    xander: Organisation
    ypsilon: Organisation
    arnhem_xander: Convenant
    berkel_xander: Convenant
    arnhem_ypsilon: Convenant
    bv_x: User  # bewindvoerder of Kantoor Xander
    bv_x2: User
    kb_x: User  # kantoorbeheerder of Kantoor Xander
    bv_y: User
    km_arnhem: User  # klantmanager of Gemeente Arnhem
    km_berkel: User
    beheerder: User

    async def open_case(self, user: User | None = None, **overrides: Any) -> Case:
        """A case through the service, with sensible defaults."""
        user = user or self.bv_x
        values: dict[str, Any] = dict(
            convenant_id=self.arnhem_xander.id,
            client_name="Johanna de Vries",
            bsn=BSN_1,
            birth_date=date(1968, 5, 17),
            bewind_kind="schuldenbewind",
            beschikking_date=date(2025, 3, 4),
            bewind_start_date=date(2025, 3, 4),
            rechtbank="Rechtbank Gelderland",
        )
        values.update(overrides)
        async with self.hub.db() as db:
            return await CaseService(db, self.hub.runtime.keyring).open_case(user, **values)


async def build_world(hub: HubUnderTest) -> World:
    arnhem = await hub.org(OrgKind.GEMEENTE, "Gemeente Arnhem")
    berkel = await hub.org(OrgKind.GEMEENTE, "Gemeente Berkel")
    xander = await hub.org(OrgKind.KANTOOR, "Kantoor Xander")
    ypsilon = await hub.org(OrgKind.KANTOOR, "Kantoor Ypsilon")
    return World(
        hub=hub,
        arnhem=arnhem,
        berkel=berkel,
        xander=xander,
        ypsilon=ypsilon,
        arnhem_xander=await hub.convenant(arnhem, xander),
        berkel_xander=await hub.convenant(berkel, xander),
        arnhem_ypsilon=await hub.convenant(arnhem, ypsilon),
        bv_x=await hub.user(xander, Role.BEWINDVOERDER, name="Bas Bewindvoerder"),
        bv_x2=await hub.user(xander, Role.BEWINDVOERDER, name="Anna Achterberg"),
        kb_x=await hub.user(xander, Role.KANTOORBEHEERDER, name="Kees Kantoorbeheerder"),
        bv_y=await hub.user(ypsilon, Role.BEWINDVOERDER, name="Yara Ypsilon"),
        km_arnhem=await hub.user(arnhem, Role.KLANTMANAGER, name="Karin Klantmanager"),
        km_berkel=await hub.user(berkel, Role.KLANTMANAGER, name="Bert Berkel"),
        beheerder=await hub.user(
            await hub.org(OrgKind.BEHEER, "Beheer"), Role.FUNCTIONEEL_BEHEERDER, name="Femke Beheer"
        ),
    )
