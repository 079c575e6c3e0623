"""A gemeente whose monitoring figures are known by construction.

Gemeente Arnhem has convenants with Kantoor Xander and Kantoor Ypsilon; Gemeente Berkel with Kantoor Xander (its
cases must never count for Arnhem). Cases are opened through the real CaseService (the beschikking is their first
milestone); the later milestones are direct rows, as a recorded path leaves them, corrections included. Today is
7 December 2026, so 2025 is a whole year and 2026 the running one.

Groups (n cases, kantoor): what they count in 2025 and in 2026.
- A (6, X): bewind 2024-03-01, bijstand 2024-05-01, aanmelding schuldhulp 2025-01-15, schuldregeling 2025-06-01
  (one corrected to 2025-08-01), nazorg 2025-07-01 withdrawn. 2025: I1, D2 within. 2026: I1.
- B (7, Y): bewind 2024-06-01, bijstand 2025-02-01, no aanmelding. 2025: I1 new, D1, D2 not. 2026: I1, D1.
- C (3, X): bewind 2023-01-10, bijstand 2023-03-01 stopped 2025-04-01, einde bewind 2025-04-01 (uitstroom), nazorg
  offered 2025-04-10, accepted 2025-05-01 by 2 of 3. 2025: I1, D1, U1, U2, U3.
- D (2, Y): bewind 2022-01-03, einde bewind 2025-09-01 (overlijden) corrected to 2026-01-10 (verhuizing).
  2026: U2 verhuizing.
- E (1, X): bewind 2025-01-01, bijstand afgewezen 2025-03-01. 2026: D2 not.
- Berkel (4, X): bewind 2024-06-01, bijstand 2025-02-01: Berkel's only.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from hub.accounts.models import User
from hub.accounts.roles import Role
from hub.cases.milestones import K
from hub.cases.models import Case, CaseMilestone
from hub.db import new_id
from tests.cases.world import World

TODAY = date(2026, 12, 7)

EXPECTED_2025 = dict(i1=16, i1_new=7, d1=10, d2_within=6, d2_not=7, u1=3, u2=3, u3_offered=3, u3_accepted=2)
EXPECTED_2025_REASONS = {"uitstroom": 3}
EXPECTED_2025_X = dict(i1=9, i1_new=0, d1=3, d2_within=6, d2_not=0, u1=3, u2=3, u3_offered=3, u3_accepted=2)
EXPECTED_2025_Y = dict(i1=7, i1_new=7, d1=7, d2_within=0, d2_not=7, u1=0, u2=0, u3_offered=0, u3_accepted=0)
EXPECTED_2026 = dict(i1=13, i1_new=0, d1=7, d2_within=0, d2_not=1, u1=0, u2=2, u3_offered=0, u3_accepted=0)
EXPECTED_2026_REASONS = {"verhuizing": 2}


def valid_bsn(n: int) -> str | None:
    """The BSN with the first eight digits of ``n`` whose last digit passes the 11-proef, or None."""
    digits = [int(ch) for ch in f"{n:08d}"]
    total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
    last = total % 11
    return "".join(map(str, digits)) + str(last) if last < 10 else None


@dataclass
class Seeded:
    world: World
    contractmanager: User  # of Gemeente Arnhem
    berkel_contractmanager: User
    references: list[str]


async def seed(world: World) -> Seeded:
    hub = world.hub
    numbers = (b for b in map(valid_bsn, itertools.count(10_000_001)) if b)
    references: list[str] = []

    async def case(user: User, convenant_id: str, start: date, kind: str = "schuldenbewind") -> Case:
        opened = await world.open_case(user, convenant_id=convenant_id, bsn=next(numbers), bewind_kind=kind,
                                       beschikking_date=start, bewind_start_date=start)  # fmt: skip
        references.append(opened.reference)
        return opened

    async def facts(opened: Case, user: User, *rows: tuple[K, date, str | None]) -> dict[K, CaseMilestone]:
        made = {}
        async with hub.db() as db:
            for kind, day, outcome in rows:
                made[kind] = CaseMilestone(id=new_id(), case_id=opened.id, kind=kind.value, milestone_date=day,
                                           outcome=outcome, recorded_by=user.id,
                                           recorded_by_org_id=user.organisation_id)  # fmt: skip
                db.add(made[kind])
        return made

    ax, ay, bx = world.arnhem_xander.id, world.arnhem_ypsilon.id, world.berkel_xander.id
    for i in range(6):  # A
        c = await case(world.bv_x, ax, date(2024, 3, 1))
        made = await facts(c, world.bv_x, (K.BESLUIT_BIJSTAND, date(2024, 5, 1), "toegekend"),
                           (K.AANMELDING_SCHULDHULP, date(2025, 1, 15), None),
                           (K.START_SCHULDREGELING, date(2025, 6, 1), "minnelijk"),
                           (K.NAZORG_AANGEBODEN, date(2025, 7, 1), None))  # fmt: skip
        async with hub.db() as db:  # the nazorg was recorded on the wrong case: withdrawn
            db.add(CaseMilestone(case_id=c.id, kind=K.NAZORG_AANGEBODEN.value, milestone_date=date(2025, 7, 1),
                                 recorded_by=world.bv_x.id, recorded_by_org_id=world.bv_x.organisation_id,
                                 supersedes_id=made[K.NAZORG_AANGEBODEN].id, void=True))  # fmt: skip
        if i == 0:  # the start of the schuldregeling corrected to a later day of the same year
            async with hub.db() as db:
                db.add(CaseMilestone(case_id=c.id, kind=K.START_SCHULDREGELING.value, milestone_date=date(2025, 8, 1),
                                     outcome="wsnp", recorded_by=world.km_arnhem.id,
                                     recorded_by_org_id=world.km_arnhem.organisation_id,
                                     supersedes_id=made[K.START_SCHULDREGELING].id))  # fmt: skip
    for _ in range(7):  # B
        c = await case(world.bv_y, ay, date(2024, 6, 1))
        await facts(c, world.bv_y, (K.BESLUIT_BIJSTAND, date(2025, 2, 1), "toegekend"))
    for i in range(3):  # C
        c = await case(world.bv_x, ax, date(2023, 1, 10))
        accepted = [(K.NAZORG_GEACCEPTEERD, date(2025, 5, 1), None)] if i < 2 else []
        await facts(c, world.bv_x, (K.BESLUIT_BIJSTAND, date(2023, 3, 1), "toegekend"),
                    (K.EINDE_BIJSTAND, date(2025, 4, 1), None), (K.EINDE_BEWIND, date(2025, 4, 1), "uitstroom"),
                    (K.NAZORG_AANGEBODEN, date(2025, 4, 10), None), *accepted)  # fmt: skip
    for _ in range(2):  # D: a mistaken end, corrected
        c = await case(world.bv_y, ay, date(2022, 1, 3))
        wrong = await facts(c, world.bv_y, (K.EINDE_BEWIND, date(2025, 9, 1), "overlijden"))
        async with hub.db() as db:
            db.add(CaseMilestone(case_id=c.id, kind=K.EINDE_BEWIND.value, milestone_date=date(2026, 1, 10),
                                 outcome="verhuizing", recorded_by=world.bv_y.id,
                                 recorded_by_org_id=world.bv_y.organisation_id,
                                 supersedes_id=wrong[K.EINDE_BEWIND].id))  # fmt: skip
    c = await case(world.bv_x, ax, date(2025, 1, 1))  # E
    await facts(c, world.bv_x, (K.BESLUIT_BIJSTAND, date(2025, 3, 1), "afgewezen"))
    for _ in range(4):  # Berkel
        c = await case(world.bv_x, bx, date(2024, 6, 1))
        await facts(c, world.bv_x, (K.BESLUIT_BIJSTAND, date(2025, 2, 1), "toegekend"))
    return Seeded(
        world,
        contractmanager=await hub.user(world.arnhem, Role.CONTRACTMANAGER, name="Carla Contractmanager"),
        berkel_contractmanager=await hub.user(world.berkel, Role.CONTRACTMANAGER, name="Bea Berkel"),
        references=references,
    )
