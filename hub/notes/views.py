"""Adding and removing an internal note from the case page or the thread page. The pages show the notes
(:func:`notes_context`); after a POST the user goes back to the page, at its notes (``?gelukt=notitie``). A bad note
(empty, too long) shows a page of its own with the error and the typed text, so nothing typed is lost."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.accounts.models import Organisation, User
from hub.cases.models import Case
from hub.db import transaction
from hub.errors import ValidationError
from hub.messaging.models import Thread
from hub.notes.services import NOTE_MAX, NoteService
from hub.web.forms import form_values, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

NOTE_NOTICES = {
    "notitie": "De interne notitie is opgeslagen.",
    "notitie-verwijderd": "De interne notitie is verwijderd.",
}


async def notes_context(request: Request, db: AsyncSession, user: User, subject: Case | Thread) -> dict[str, Any]:
    """What templates/notes/_notes.html needs, for a case or thread page."""
    svc = NoteService(db, runtime(request).keyring)
    if isinstance(subject, Case):
        notes = await svc.for_case(user, subject)
        add_url = request.url_for("notes.add_case", case_id=subject.id).path
    else:
        notes = await svc.for_thread(user, subject)
        add_url = request.url_for("notes.add_thread", thread_id=subject.id).path
    return {"notes": notes, "note_add_url": add_url, "note_max": NOTE_MAX}


def _page_of(request: Request, *, case_id: str | None, thread_id: str | None, notice: str = "") -> str:
    if case_id:
        path = request.url_for("cases.detail", case_id=case_id).path
    else:
        path = request.url_for("messaging.thread", thread_id=thread_id or "").path
    return path + (f"?gelukt={notice}" if notice else "") + "#notities"


async def _add(request: Request, *, case_id: str = "", thread_id: str = "") -> Response:
    user = user_of(request).user
    text = (await form_values(request)).get("note", "")
    try:
        async with transaction(runtime(request).sessions) as db:
            await NoteService(db, runtime(request).keyring).add(user, case_id=case_id, thread_id=thread_id, body=text)
    except ValidationError as exc:
        async with transaction(runtime(request).sessions) as db:
            own = await db.get(Organisation, user.organisation_id)
        return render(
            request,
            "notes/form.html",
            {
                "errors": {"note_body": exc.errors["body"]},
                "text": text,
                "organisation_name": own.name if own else "",
                "note_max": NOTE_MAX,
                "add_url": request.url.path,
                "back_url": _page_of(request, case_id=case_id, thread_id=thread_id),
            },
            status_code=400,
        )
    return RedirectResponse(_page_of(request, case_id=case_id, thread_id=thread_id, notice="notitie"), 303)


@login_required(Action.VIEW_CASES)
async def add_to_case(request: Request) -> Response:
    return await _add(request, case_id=request.path_params["case_id"])


@login_required(Action.VIEW_CASES)
async def add_to_thread(request: Request) -> Response:
    return await _add(request, thread_id=request.path_params["thread_id"])


@login_required(Action.VIEW_CASES)
async def remove(request: Request) -> Response:
    user = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        note = await NoteService(db, runtime(request).keyring).remove(user, request.path_params["note_id"])
    return RedirectResponse(
        _page_of(request, case_id=note.case_id, thread_id=note.thread_id, notice="notitie-verwijderd"), 303
    )


routes = [
    Route("/dossiers/{case_id}/notities", add_to_case, methods=["POST"], name="notes.add_case"),
    Route("/berichten/{thread_id}/notities", add_to_thread, methods=["POST"], name="notes.add_thread"),
    Route("/notities/{note_id}/verwijderen", remove, methods=["POST"], name="notes.remove"),
]
