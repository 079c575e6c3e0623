"""The functioneel beheerder's mail page: the outbox (no content: kinds, organisations, statuses, reasons), failed
mails highlighted and put back in the queue on request, and in the demo the .eml files the hub wrote.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import anyio
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from hub.accounts.authz import Action
from hub.db import is_id, transaction
from hub.errors import NotFound
from hub.notifications.models import MailStatus
from hub.notifications.render import ENROLMENT_PATH
from hub.notifications.sender import eml_path, list_eml
from hub.notifications.services import outbox_overview, retry_failed
from hub.web.forms import runtime
from hub.web.guards import login_required
from hub.web.templating import render

NOTICES = {"opnieuw": "De e-mail staat weer in de wachtrij en wordt zo opnieuw verzonden."}
SHOWN_HEADERS = ("Date", "From", "To", "Subject", "Message-ID", "Auto-Submitted")


@login_required(Action.VIEW_OPERATIONS)
async def outbox_page(request: Request) -> Response:
    settings = runtime(request).settings
    raw_status = request.query_params.get("status", "")
    status = MailStatus(raw_status) if raw_status in {s.value for s in MailStatus} else None
    async with transaction(runtime(request).sessions) as db:
        overview = await outbox_overview(db, status=status)
    demo = not settings.smtp_host
    return render(
        request,
        "notifications/outbox.html",
        {
            "overview": overview,
            "status": status,
            "statuses": list(MailStatus),
            "demo": demo,
            # Directory and file reads run off the event loop (a mail directory can hold many files).
            "eml_files": await anyio.to_thread.run_sync(list_eml, settings.mail_dir) if demo else [],
            "smtp": f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_tls})" if not demo else "",
            "notice": NOTICES.get(request.query_params.get("gelukt", ""), ""),
        },
    )


@login_required(Action.VIEW_OPERATIONS)
async def retry(request: Request) -> Response:
    row_id = request.path_params["row_id"]
    if not is_id(row_id):
        raise NotFound(row_id)
    async with transaction(runtime(request).sessions) as db:
        await retry_failed(db, row_id)
    return RedirectResponse(f"{request.url_for('notifications.outbox').path}?gelukt=opnieuw", status_code=303)


# An enrolment link is the key to an account: whoever holds it sets the password. The operator reads these mails
# here without it (the recipient finds it in their own mailbox), so that the operator can never act as the user.
ENROLMENT_LINK = re.compile(re.escape(ENROLMENT_PATH) + r"[^\s\"'<>]+")
LINK_HIDDEN = ENROLMENT_PATH + "[verborgen: alleen de ontvanger kan deze link gebruiken]"


def _readable(data: bytes) -> str:
    """The headers that matter and the plain-text part, decoded: how the recipient reads the mail, with any
    enrolment link hidden."""
    msg = message_from_bytes(data, policy=policy.default)
    lines = [f"{name}: {msg[name]}" for name in SHOWN_HEADERS if msg[name] is not None]
    body = msg.get_body(preferencelist=("plain",)) if isinstance(msg, EmailMessage) else None
    text = body.get_content() if body is not None else "(geen tekstdeel)"
    return ENROLMENT_LINK.sub(LINK_HIDDEN, "\n".join([*lines, "", text]))


@login_required(Action.VIEW_OPERATIONS)
async def eml_file(request: Request) -> Response:
    settings = runtime(request).settings
    path = eml_path(settings.mail_dir, request.path_params["name"]) if not settings.smtp_host else None
    if path is None:
        raise NotFound("mail")
    return PlainTextResponse(
        _readable(await anyio.to_thread.run_sync(path.read_bytes)),
        headers={"Content-Disposition": "inline", "Cache-Control": "no-store"},
    )


routes = [
    Route("/beheer/mail", outbox_page, methods=["GET"], name="notifications.outbox"),
    Route("/beheer/mail/{row_id}/opnieuw", retry, methods=["POST"], name="notifications.retry"),
    Route("/beheer/mail/{name}", eml_file, methods=["GET"], name="notifications.eml"),
]
