"""The inbox page (*Berichten*): tabs, filters and pages. URLs carry fixed words, opaque ids or a case number."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from hub.accounts.authz import Action, may
from hub.audit.actions import SEARCH_REFERENCE
from hub.cases.queries import AmbiguousReference
from hub.cases.records import is_reference_query
from hub.db import transaction
from hub.errors import NotFound
from hub.messaging.inbox import ASSIGNEE_MINE, ASSIGNEE_NOBODY, INBOX_TABS, InboxPage, InboxService
from hub.messaging.models import ThreadKind, ThreadStatus
from hub.messaging.views.common import (
    AMBIGUOUS_REFERENCE,
    KIND_OPTIONS,
    PAGE_SIZE,
    REFERENCE_MAX,
    STATUS_OPTIONS,
    TAB_LABELS,
    UNKNOWN_REFERENCE,
    path_for,
    service,
)
from hub.web.forms import runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

# A typed text that is no dossiernummer (by the case list's one rule) is not shown again, neither in the box nor in
# the tab and page links: a BSN or a name typed here by mistake goes no further than this request.
NOT_A_REFERENCE = "Vul een dossiernummer in, bijvoorbeeld 2026-483917, of de laatste cijfers ervan."


def _query(inbox: str, params: dict[str, str], **changes: str) -> str:
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v and not (k == "pagina" and v == "1")}
    return inbox + (f"?{urlencode(kept)}" if kept else "")


@login_required(Action.VIEW_CASES)
async def inbox_page(request: Request) -> Response:
    user = user_of(request).user
    q = request.query_params
    tab = q.get("tab", "") if q.get("tab", "") in INBOX_TABS else INBOX_TABS[0]
    kind = q.get("soort", "") if q.get("soort", "") in {k.value for k in ThreadKind} else ""
    status = q.get("status", "") if q.get("status", "") in {s.value for s in ThreadStatus} else ""
    assignee = q.get("toegewezen", "")[:32]
    dossier = q.get("dossier", "")[:32]
    typed = " ".join(q.get("dossiernummer", "").split())[:REFERENCE_MAX]
    reference = typed if is_reference_query(typed) else ""
    filter_errors: dict[str, str] = {}
    if typed and not reference:
        filter_errors["filter-dossiernummer"] = NOT_A_REFERENCE
    try:
        page_number = max(1, min(int(q.get("pagina", "1")), 10_000))
    except ValueError:
        page_number = 1
    async with transaction(runtime(request).sessions) as db:
        svc = service(request, db, InboxService)
        case = None
        if reference:
            # A typed number: unknown, or another organisation's case, is a message at the field (never a 404).
            try:
                case = await svc.case_by_reference(user, reference)
            except NotFound:
                filter_errors["filter-dossiernummer"] = UNKNOWN_REFERENCE
            except AmbiguousReference:
                filter_errors["filter-dossiernummer"] = AMBIGUOUS_REFERENCE
        elif dossier and not filter_errors:
            case = await svc.case_for(user, dossier)  # an id from a link: another organisation's case is a 404
        colleagues = await svc.colleagues(user)
        if assignee not in (ASSIGNEE_MINE, ASSIGNEE_NOBODY) and assignee not in {c.id for c in colleagues}:
            assignee = ""
        if filter_errors:
            if reference:  # a number was looked up, and found nothing of ours: still a search
                await svc.note_search(user, SEARCH_REFERENCE)
            # No case of this number: no threads either, rather than every thread as if no filter were asked for.
            page = InboxPage(tab, [], 0, PAGE_SIZE, False, await svc.inbox_counts(user))
        else:
            page = await svc.inbox(
                user,
                tab=tab,
                case_id=case.id if case else None,
                kind=kind or None,
                status=status or None,
                assignee=assignee or None,
                limit=PAGE_SIZE,
                offset=(page_number - 1) * PAGE_SIZE,
                search=SEARCH_REFERENCE if reference else None,
            )
    # Links (tabs, pages) carry the case's opaque id once a number is resolved.
    inbox = path_for(request, "messaging.inbox")
    params = {
        "tab": tab,
        "soort": kind,
        "status": status,
        "toegewezen": assignee,
        "dossier": case.id if case else "",
        "dossiernummer": reference if filter_errors else "",
    }
    counts = {"te_beantwoorden": page.counts["te_beantwoorden"], "wacht_op_ander": page.counts["wacht_op_ander"]}
    tabs = [
        (name, label, _query(inbox, params, tab=name, pagina="1"), counts.get(name), name == tab)
        for name, label in TAB_LABELS.items()
    ]
    assignee_options = [
        ("", "Iedereen"),
        (ASSIGNEE_MINE, "Aan mij"),
        (ASSIGNEE_NOBODY, "Aan niemand"),
        *((c.id, c.name) for c in colleagues if c.id != user.id),
    ]
    return render(
        request,
        "messaging/inbox.html",
        {
            "page": page,
            "tab": tab,
            "tab_label": TAB_LABELS[tab],
            "tabs": tabs,
            "late": page.counts["te_laat"],
            "filters": params,
            "filter_errors": filter_errors,
            "reference": case.reference if case else reference,
            "case": case,
            "kind_options": KIND_OPTIONS,
            "status_options": STATUS_OPTIONS,
            "assignee_options": assignee_options,
            "page_number": page_number,
            "previous_url": _query(inbox, params, pagina=str(page_number - 1)) if page_number > 1 else "",
            "next_url": _query(inbox, params, pagina=str(page_number + 1)) if page.has_next else "",
            "clear_url": _query(inbox, {"tab": tab}),
            "may_start": may(user, Action.POST_MESSAGE),
            "may_closing_days": may(user, Action.MANAGE_CLOSING_DAYS),
        },
    )
