"""The inbox, a thread, a new question, and a gemeente's closing days.

URLs carry no personal data: tabs and filters are fixed words or opaque ids, and redirects after a POST carry a fixed
key (``?gelukt=...``). Another organisation's thread does not exist for the user (404), for reading and posting alike.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.authz import Action, may
from hub.db import transaction
from hub.errors import NotFound, ValidationError
from hub.messaging.models import MESSAGE_KIND_LABELS, MessageKind, ThreadKind, ThreadStatus
from hub.messaging.services import (
    ASSIGNEE_MINE,
    ASSIGNEE_NOBODY,
    BODY_MAX,
    INBOX_TABS,
    SUBJECT_MAX,
    CalendarSource,
    MessagingService,
)
from hub.terms import WerkdagCalendar, default_calendar
from hub.web.forms import form_lists, form_values, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

PAGE_SIZE = 50
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

TAB_LABELS = {"te_beantwoorden": "Te beantwoorden", "wacht_op_ander": "Wacht op de ander", "alle": "Alle gesprekken"}
KIND_OPTIONS = [("", "Alle soorten"), *((k.value, k.label) for k in ThreadKind)]
STATUS_OPTIONS = [("", "Open en afgerond"), *((s.value, s.label) for s in ThreadStatus)]
REPLY_KINDS = [
    (MessageKind.BERICHT.value, "Gewone reactie", "Een bericht of aanvulling. Bij een algemene vraag is dit ook de "
     "eerste reactie."),
    (MessageKind.INHOUDELIJKE_REACTIE.value, "Inhoudelijke reactie", "Beantwoordt de vraag. Hiermee stopt de "
     "reactietermijn van uw organisatie."),
    (MessageKind.PROCESAFSPRAAK.value, "Procesafspraak", "U spreekt een datum af waarop het antwoord uiterlijk komt. "
     "Die datum wordt de nieuwe termijn."),
    (MessageKind.VRAAG_OM_INFORMATIE.value, "Vraag om informatie", "U heeft informatie van de andere partij nodig. "
     "De termijn gaat over naar de andere partij."),
]  # fmt: skip

THREAD_NOTICES = {
    "verstuurd": "Uw bericht is verstuurd.",
    "gestart": "Uw vraag is verstuurd.",
    "toegewezen": "De toewijzing is opgeslagen.",
    "afgerond": "Het gesprek is afgerond.",
}
CLOSING_NOTICES = {"toegevoegd": "De sluitingsdag is toegevoegd.", "verwijderd": "De sluitingsdag is verwijderd."}
REPLY_FIELDS = ("body", "kind", "agreed_date", "attachments")
NEW_FIELDS = ("soort", "dossiernummer", "convenant_id", "subject", "body")


def case_url(case_id: str) -> str:
    return f"/dossiers/{case_id}"


def document_url(document_id: str) -> str:
    """The vault's download route: the documents part checks the party and writes the audit record."""
    return f"/documenten/{document_id}/downloaden"


# -- calendars: one source per decree-day file, kept for the life of the process --------------------------------

_sources: dict[Path | None, CalendarSource] = {}


def calendar_source(request: Request) -> CalendarSource:
    path = runtime(request).settings.decree_days_file
    source = _sources.get(path)
    if source is None:
        base: WerkdagCalendar = WerkdagCalendar.from_files(path) if path is not None else default_calendar()
        source = _sources[path] = CalendarSource(base)
    return source


def messaging(request: Request, db: AsyncSession) -> MessagingService:
    return MessagingService(db, runtime(request).keyring, calendars=calendar_source(request))


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _notice(request: Request, notices: dict[str, str]) -> str:
    return notices.get(request.query_params.get("gelukt", ""), "")


def _ordered(errors: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    ordered = {k: errors[k] for k in fields if k in errors}
    ordered.update({k: v for k, v in errors.items() if k not in ordered})
    return ordered


def parse_day(raw: str, field: str, errors: dict[str, str], missing: str) -> date | None:
    if not raw:
        errors[field] = missing
        return None
    try:
        if not ISO_DATE.match(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = "Vul een geldige datum in, bijvoorbeeld 2026-03-13 (jaar-maand-dag)."
        return None


# -- the inbox ---------------------------------------------------------------------------------------------------


def _query(params: dict[str, str], **changes: str) -> str:
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v and not (k == "pagina" and v == "1")}
    return "/berichten" + (f"?{urlencode(kept)}" if kept else "")


@login_required(Action.VIEW_CASES)
async def inbox_page(request: Request) -> Response:
    user = user_of(request).user
    q = request.query_params
    tab = q.get("tab", "") if q.get("tab", "") in INBOX_TABS else INBOX_TABS[0]
    kind = q.get("soort", "") if q.get("soort", "") in {k.value for k in ThreadKind} else ""
    status = q.get("status", "") if q.get("status", "") in {s.value for s in ThreadStatus} else ""
    assignee = q.get("toegewezen", "")[:32]
    dossier = q.get("dossier", "")[:32]
    try:
        page_number = max(1, min(int(q.get("pagina", "1")), 10_000))
    except ValueError:
        page_number = 1
    async with transaction(runtime(request).sessions) as db:
        svc = messaging(request, db)
        case = await svc.case_for(user, dossier) if dossier else None
        colleagues = await svc.colleagues(user)
        if assignee not in (ASSIGNEE_MINE, ASSIGNEE_NOBODY) and assignee not in {c.id for c in colleagues}:
            assignee = ""
        page = await svc.inbox(
            user,
            tab=tab,
            case_id=case.id if case else None,
            kind=kind or None,
            status=status or None,
            assignee=assignee or None,
            limit=PAGE_SIZE,
            offset=(page_number - 1) * PAGE_SIZE,
        )
    params = {"tab": tab, "soort": kind, "status": status, "toegewezen": assignee, "dossier": dossier}
    counts = {"te_beantwoorden": page.counts["te_beantwoorden"], "wacht_op_ander": page.counts["wacht_op_ander"]}
    tabs = [
        (name, label, _query(params, tab=name, pagina="1"), counts.get(name), name == tab)
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
            "case": case,
            "kind_options": KIND_OPTIONS,
            "status_options": STATUS_OPTIONS,
            "assignee_options": assignee_options,
            "page_number": page_number,
            "previous_url": _query(params, pagina=str(page_number - 1)) if page_number > 1 else "",
            "next_url": _query(params, pagina=str(page_number + 1)) if page.has_next else "",
            "clear_url": _query({"tab": tab}),
            "case_url": case_url,
            "may_start": may(user, Action.POST_MESSAGE),
            "may_closing_days": may(user, Action.MANAGE_CLOSING_DAYS),
        },
    )


# -- a thread ----------------------------------------------------------------------------------------------------


async def _thread_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    user = user_of(request).user
    thread_id = request.path_params["thread_id"]
    async with transaction(runtime(request).sessions) as db:
        svc = messaging(request, db)
        thread = await svc.get_thread(user, thread_id)
        if status == 200:
            await svc.mark_read(user, thread)
        view = await svc.thread_view(user, thread)
        documents = await svc.attachable_documents(user, thread)
        colleagues = await svc.colleagues(user)
    may_post = may(user, Action.POST_MESSAGE)
    return render(
        request,
        "messaging/thread.html",
        {
            "view": view,
            "title": view.subject,
            "documents": documents,
            "colleagues": colleagues,
            "may_post": may_post,
            "may_close": may_post and view.status == ThreadStatus.OPEN and not any(c.running for c in view.clocks),
            "reply_kinds": REPLY_KINDS,
            "kind_labels": {k.value: v for k, v in MESSAGE_KIND_LABELS.items()},
            "body_max": BODY_MAX,
            "errors": errors or {},
            "values": values or {"kind": MessageKind.BERICHT.value, "attachments": []},
            "notice": "" if errors else _notice(request, THREAD_NOTICES),
            "case_url": case_url,
            "document_url": document_url,
        },
        status_code=status,
    )


@login_required(Action.VIEW_CASES)
async def thread_page(request: Request) -> Response:
    return await _thread_page(request)


@login_required(Action.POST_MESSAGE)
async def thread_reply(request: Request) -> Response:
    user = user_of(request).user
    thread_id = request.path_params["thread_id"]
    form = await form_values(request)
    attachment_ids = (await form_lists(request, "attachments"))[:50]
    values: dict[str, Any] = {
        "body": form.get("body", ""),
        "kind": form.get("kind", MessageKind.BERICHT.value),
        "agreed_date": form.get("agreed_date", ""),
        "attachments": attachment_ids,
    }
    errors: dict[str, str] = {}
    agreed: date | None = None
    if values["kind"] == MessageKind.PROCESAFSPRAAK.value:
        agreed = parse_day(
            values["agreed_date"], "agreed_date", errors, "Vul de datum in waarop het antwoord uiterlijk komt."
        )
    try:
        async with transaction(runtime(request).sessions) as db:
            svc = messaging(request, db)
            try:
                # The service checks the party first: another organisation's thread is a 404, whatever the form holds.
                message = await svc.post_message(
                    user,
                    thread_id,
                    values["body"],
                    kind=values["kind"],
                    agreed_date=agreed,
                    attachment_ids=attachment_ids,
                )
            except ValidationError as exc:
                errors = {**exc.errors, **errors}  # a date that could not be read says so, not "fill in a date"
            if errors:
                raise ValidationError(errors)  # rolls back anything written
    except ValidationError as exc:
        return await _thread_page(request, errors=_ordered(exc.errors, REPLY_FIELDS), values=values, status=400)
    return _redirect(f"/berichten/{thread_id}?gelukt=verstuurd#bericht-{message.id}")


@login_required(Action.POST_MESSAGE)
async def thread_assign(request: Request) -> Response:
    user = user_of(request).user
    thread_id = request.path_params["thread_id"]
    form = await form_values(request)
    try:
        async with transaction(runtime(request).sessions) as db:
            await messaging(request, db).assign(user, thread_id, form.get("assignee_id") or None)
    except ValidationError as exc:
        return await _thread_page(request, errors=exc.errors, status=400)
    return _redirect(f"/berichten/{thread_id}?gelukt=toegewezen")


@login_required(Action.POST_MESSAGE)
async def thread_close(request: Request) -> Response:
    user = user_of(request).user
    thread_id = request.path_params["thread_id"]
    try:
        async with transaction(runtime(request).sessions) as db:
            await messaging(request, db).close(user, thread_id)
    except ValidationError as exc:
        return await _thread_page(request, errors=exc.errors, status=400)
    return _redirect(f"/berichten/{thread_id}?gelukt=afgerond")


# -- a new question ----------------------------------------------------------------------------------------------


async def _new_page(
    request: Request,
    *,
    case_id: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    user = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        svc = messaging(request, db)
        case = await svc.case_for(user, case_id) if case_id else None
        convenants = await svc.convenants_for(user)
    default_kind = ThreadKind.CASUISTIEK.value if case or convenants == [] else ""
    return render(
        request,
        "messaging/new.html",
        {
            "case": case,
            "convenant_options": [(c.id, p.name) for c, p in convenants],
            "errors": errors or {},
            "values": values or {"soort": default_kind},
            "subject_max": SUBJECT_MAX,
            "case_url": case_url,
        },
        status_code=status,
    )


@login_required(Action.POST_MESSAGE)
async def new_page(request: Request) -> Response:
    return await _new_page(request, case_id=request.query_params.get("dossier", "")[:32])


@login_required(Action.POST_MESSAGE)
async def new_submit(request: Request) -> Response:
    user = user_of(request).user
    form = await form_values(request)
    case_id = form.get("case_id", "")[:32]
    values = {k: form.get(k, "") for k in NEW_FIELDS}
    if case_id:
        values["soort"] = ThreadKind.CASUISTIEK.value
    errors: dict[str, str] = {}
    try:
        async with transaction(runtime(request).sessions) as db:
            svc = messaging(request, db)
            case = convenant = None
            if values["soort"] == ThreadKind.CASUISTIEK.value:
                try:
                    if case_id:
                        case = await svc.case_for(user, case_id)
                    elif values["dossiernummer"]:
                        case = await svc.case_by_reference(user, values["dossiernummer"])
                    else:
                        errors["dossiernummer"] = "Vul het dossiernummer in, bijvoorbeeld 2026-000123."
                except NotFound:
                    if case_id:
                        raise
                    errors["dossiernummer"] = "Uw organisatie heeft geen dossier met dit nummer."
            elif values["soort"] == ThreadKind.ALGEMEEN.value:
                mine = {c.id: c for c, _ in await svc.convenants_for(user)}
                convenant = mine.get(values["convenant_id"])
                if convenant is None:
                    errors["convenant_id"] = "Kies het convenant waarover uw vraag gaat."
            else:
                errors["soort"] = "Kies of uw vraag over een dossier gaat of een algemene vraag is."
            try:
                thread = await svc.start_thread(
                    user,
                    case=case,
                    convenant=convenant,
                    subject=values["subject"],
                    body=values["body"],
                )
            except ValidationError as exc:
                # The subject and body problems too; "kies een dossier" only when no field says it already.
                errors.update({k: v for k, v in exc.errors.items() if k != "soort" or not errors})
            if errors:
                raise ValidationError(errors)
    except ValidationError as exc:
        return await _new_page(
            request, case_id=case_id, errors=_ordered(exc.errors, NEW_FIELDS), values=values, status=400
        )
    return _redirect(f"/berichten/{thread.id}?gelukt=gestart")


# -- closing days ------------------------------------------------------------------------------------------------


async def _closing_days_page(
    request: Request, errors: dict[str, str] | None = None, values: dict[str, str] | None = None, status: int = 200
) -> Response:
    user = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        days = await messaging(request, db).closing_days(user)
    return render(
        request,
        "messaging/closing_days.html",
        {
            "days": days,
            "errors": errors or {},
            "values": values or {},
            "notice": "" if errors else _notice(request, CLOSING_NOTICES),
        },
        status_code=status,
    )


@login_required(Action.MANAGE_CLOSING_DAYS)
async def closing_days_page(request: Request) -> Response:
    return await _closing_days_page(request)


@login_required(Action.MANAGE_CLOSING_DAYS)
async def closing_days_add(request: Request) -> Response:
    user = user_of(request).user
    form = await form_values(request)
    values = {"day": form.get("day", ""), "description": form.get("description", "")}
    errors: dict[str, str] = {}
    day = parse_day(values["day"], "day", errors, "Vul de datum van de sluitingsdag in.")
    try:
        async with transaction(runtime(request).sessions) as db:
            svc = messaging(request, db)
            if errors:
                await svc.closing_days(user)  # the permission check comes first
                raise ValidationError(errors)
            await svc.add_closing_day(user, day, values["description"])
    except ValidationError as exc:
        return await _closing_days_page(request, _ordered(exc.errors, ("day", "description")), values, status=400)
    return _redirect("/instellingen/sluitingsdagen?gelukt=toegevoegd")


@login_required(Action.MANAGE_CLOSING_DAYS)
async def closing_days_remove(request: Request) -> Response:
    user = user_of(request).user
    try:
        async with transaction(runtime(request).sessions) as db:
            await messaging(request, db).remove_closing_day(user, request.path_params["day_id"])
    except ValidationError as exc:
        return await _closing_days_page(request, exc.errors, status=400)
    return _redirect("/instellingen/sluitingsdagen?gelukt=verwijderd")


routes = [
    Route("/berichten", inbox_page, methods=["GET"]),
    Route("/berichten/nieuw", new_page, methods=["GET"]),
    Route("/berichten/nieuw", new_submit, methods=["POST"]),
    Route("/berichten/{thread_id}", thread_page, methods=["GET"]),
    Route("/berichten/{thread_id}/reageren", thread_reply, methods=["POST"]),
    Route("/berichten/{thread_id}/toewijzen", thread_assign, methods=["POST"]),
    Route("/berichten/{thread_id}/afronden", thread_close, methods=["POST"]),
    Route("/instellingen/sluitingsdagen", closing_days_page, methods=["GET"]),
    Route("/instellingen/sluitingsdagen", closing_days_add, methods=["POST"]),
    Route("/instellingen/sluitingsdagen/{day_id}/verwijderen", closing_days_remove, methods=["POST"]),
]
