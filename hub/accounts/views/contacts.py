"""The routekaart (a contractmanager keeps the partners' contact details, checked at least once a year, §1a.1) and an
organisation's own contact details (confirmed or corrected by its kantoorbeheerder or contractmanager). The rights
are checked by OrganisationService."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.accounts.organisations import OrganisationService, PartnerContact
from hub.accounts.topic_contacts import ContactTopic, Entry, contacts_of, field_name
from hub.accounts.views.admin_common import notice, redirect_to
from hub.db import transaction, utcnow
from hub.errors import ValidationError
from hub.terms import add_months, as_local_date
from hub.web.forms import form_values, in_form_order, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

# A partner whose yearly check falls due within this many months is mentioned, not yet flagged.
CHECK_SOON_MONTHS = 1
CONTACT_NOTICES = {
    "bevestigd": "De contactgegevens zijn bevestigd.",
    "gewijzigd": "De contactgegevens zijn gewijzigd en bevestigd.",
}
CONTACT_FIELDS = ("contact_person", "contact_email", "contact_phone")
TOPIC_PARTS = ("person", "email", "phone")
TOPIC_FIELDS = tuple(field_name(t, part) for t in ContactTopic for part in TOPIC_PARTS)


# -- routekaart ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutekaartRow:
    entry: PartnerContact
    status: str
    tag: str

    @property
    def flagged(self) -> bool:
        return self.entry.overdue


def routekaart_row(entry: PartnerContact, now: datetime) -> RoutekaartRow:
    if entry.organisation.contacts_confirmed_at is None:
        return RoutekaartRow(entry, "Nooit bevestigd", "late")
    if entry.overdue:
        return RoutekaartRow(entry, "Controle nodig: langer dan een jaar niet bevestigd", "late")
    if entry.next_check is not None and as_local_date(entry.next_check) <= add_months(
        as_local_date(now), CHECK_SOON_MONTHS
    ):
        return RoutekaartRow(entry, "Controle binnenkort", "soon")
    return RoutekaartRow(entry, "Bevestigd", "ok")


@login_required(Action.VIEW_ROUTEKAART)
async def routekaart_page(request: Request) -> Response:
    actor = user_of(request).user
    now = utcnow()
    async with transaction(runtime(request).sessions) as db:
        own, entries = await OrganisationService(db).routekaart_for(actor, now)
        topics = await contacts_of(db, [e.organisation.id for e in entries])
    rows = [routekaart_row(e, now) for e in entries]
    return render(
        request,
        "admin/routekaart.html",
        {
            "own": own,
            "rows": rows,
            "flagged": sum(1 for r in rows if r.flagged),
            "topics": topics,
            "topic_list": list(ContactTopic),
        },
    )


# -- own contact details -------------------------------------------------------------------------------------


async def _contacts_page(
    request: Request,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    actor = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        contacts = await OrganisationService(db).own_contacts(actor)
        own_topics = (await contacts_of(db, [contacts.organisation.id])).get(contacts.organisation.id, {})
    own = contacts.organisation
    if values is None:
        values = {k: getattr(own, k) for k in CONTACT_FIELDS}
        for topic, contact in own_topics.items():
            values.update({field_name(topic, part): getattr(contact, part) for part in TOPIC_PARTS})
    return render(
        request,
        "admin/contacts.html",
        {
            "own": own,
            "confirmed_by": contacts.confirmed_by,
            "contact": contacts.status,
            "errors": errors or {},
            "values": values,
            "topic_list": list(ContactTopic),
            "notice": "" if errors else notice(request, CONTACT_NOTICES),
        },
        status_code=status,
    )


@login_required(Action.CONFIRM_OWN_CONTACTS)
async def contacts_page(request: Request) -> Response:
    return await _contacts_page(request)


@login_required(Action.CONFIRM_OWN_CONTACTS)
async def contacts_confirm(request: Request) -> Response:
    actor = user_of(request).user
    form = await form_values(request)
    values = {k: form.get(k, "") for k in (*CONTACT_FIELDS, *TOPIC_FIELDS)}
    topics: dict[ContactTopic, Entry] = {
        t: (values[field_name(t, "person")], values[field_name(t, "email")], values[field_name(t, "phone")])
        for t in ContactTopic
    }
    try:
        async with transaction(runtime(request).sessions) as db:
            changed = await OrganisationService(db).confirm_own_contacts(
                actor,
                person=values["contact_person"],
                email=values["contact_email"],
                phone=values["contact_phone"],
                topics=topics,
            )
    except ValidationError as exc:
        ordered = in_form_order(exc.errors, (*CONTACT_FIELDS, *TOPIC_FIELDS))
        return await _contacts_page(request, ordered, values, status=400)
    return redirect_to(request, "admin.contacts", gelukt="gewijzigd" if changed else "bevestigd")


routes = [
    Route("/routekaart", routekaart_page, methods=["GET"], name="admin.routekaart"),
    Route("/organisatie/contactgegevens", contacts_page, methods=["GET"], name="admin.contacts"),
    Route("/organisatie/contactgegevens", contacts_confirm, methods=["POST"], name="admin.contacts_confirm"),
]
