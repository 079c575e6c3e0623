"""The routekaart through the API: the contact details of the caller's gemeente and of every kantoor it has a
convenant with, with the state of the yearly check (§1a.1) and the contacts per topic.

The same service as the page (:meth:`OrganisationService.routekaart_for`): the contractmanager's, for their own
organisation and its partners only; other roles get 403. Read with the scope ``cases:read``: the routekaart is the
convenant's directory for the case work.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from hub.accounts.organisations import OrganisationService
from hub.accounts.topic_contacts import ContactTopic, contacts_of
from hub.api.operations import ApiModel, Call, Operation
from hub.db import utcnow

TAG = "Routekaart"


class Aanspreekpunt(ApiModel):
    topic: ContactTopic
    label: str
    person: str
    email: str
    phone: str


class RoutekaartEntry(ApiModel):
    id: str
    name: str
    kind: str = Field(description="gemeente of bewindvoerderskantoor.")
    own: bool = Field(description="De eigen organisatie.")
    contact_person: str
    contact_email: str
    contact_phone: str
    contacts_confirmed_at: datetime | None = Field(description="Laatst bevestigd; null: nooit.")
    next_check: datetime | None = Field(description="Uiterlijk dan weer bevestigen (een jaar na de laatste keer).")
    overdue: bool = Field(description="De jaarlijkse controle is nodig.")
    topics: list[Aanspreekpunt] = Field(description="Eigen aanspreekpunten per onderwerp (anders: de vaste contact).")


class Routekaart(ApiModel):
    items: list[RoutekaartEntry]


async def read_routekaart(call: Call) -> Routekaart:
    now = utcnow()
    async with call.runtime.transaction() as db:
        own, entries = await OrganisationService(db).routekaart_for(call.principal.user, now)
        topics = await contacts_of(db, [e.organisation.id for e in entries])
    items = []
    for entry in entries:
        org = entry.organisation
        named = topics.get(org.id, {})
        items.append(
            RoutekaartEntry(
                id=org.id,
                name=org.name,
                kind=org.org_kind.value,
                own=org.id == own.id,
                contact_person=org.contact_person or "",
                contact_email=org.contact_email or "",
                contact_phone=org.contact_phone or "",
                contacts_confirmed_at=org.contacts_confirmed_at,
                next_check=entry.next_check,
                overdue=entry.overdue,
                topics=[
                    Aanspreekpunt(
                        topic=t, label=t.label, person=named[t].person, email=named[t].email, phone=named[t].phone
                    )
                    for t in ContactTopic
                    if t in named
                ],
            )
        )
    return Routekaart(items=items)


OPERATIONS = [
    Operation(
        "GET", "/routekaart", "readRoutekaart", "De routekaart van de eigen gemeente", read_routekaart, TAG,
        scope="cases:read", response=Routekaart,
        description="Voor de contractmanager: de eigen gemeente eerst, dan elk kantoor met een convenant.",
    ),
]  # fmt: skip
