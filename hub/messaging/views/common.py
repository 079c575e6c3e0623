"""What the messaging pages share: labels, form field orders, the services on a request, paths of named
routes."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse

from hub.calendars.services import calendar_source
from hub.documents.models import DOCUMENT_TYPE_OPTIONS, FIELD_DATE, FIELD_TYPE
from hub.messaging.access import MessagingBase
from hub.messaging.models import MessageKind, ThreadKind, ThreadStatus
from hub.messaging.reply_choices import Side
from hub.messaging.threads import FIELD_UPLOAD
from hub.web.forms import runtime

S = TypeVar("S", bound=MessagingBase)

PAGE_SIZE = 50
REFERENCE_MAX = 40  # the inbox's dossiernummer filter

TAB_LABELS = {"te_beantwoorden": "Te beantwoorden", "wacht_op_ander": "Wacht op de ander", "alle": "Alle gesprekken"}
KIND_OPTIONS = [("", "Alle soorten"), *((k.value, k.label) for k in ThreadKind)]
STATUS_OPTIONS = [("", "Open en afgerond"), *((s.value, s.label) for s in ThreadStatus)]
# The reply form's kinds: a label and what the kind is. What it does to the terms is not written here: each option
# says it in the page from the rule engine (hub.messaging.reply_effects).
REPLY_KINDS: dict[MessageKind, tuple[str, str]] = {
    MessageKind.INHOUDELIJKE_REACTIE: ("Inhoudelijke reactie", "Het antwoord op de vraag."),
    MessageKind.PROCESAFSPRAAK: (
        "Procesafspraak",
        "U kunt nog niet antwoorden en spreekt een datum af waarop het antwoord uiterlijk komt.",
    ),
    MessageKind.VRAAG_OM_INFORMATIE: (
        "Vraag om informatie",
        "U heeft eerst informatie van de andere partij nodig om te kunnen antwoorden.",
    ),
    MessageKind.GEEN_REACTIE_NODIG: (
        "Bericht zonder vraag (geen reactie nodig)",
        "Bijvoorbeeld een bedankje of een bevestiging.",
    ),
}
# A plain bericht is named for what it is on the sender's side of the thread.
REPLY_BERICHT: dict[Side, tuple[str, str]] = {
    Side.OWING: ("Eerste reactie (ontvangstbevestiging)", "U laat weten dat de vraag is ontvangen en wanneer het "
                 "antwoord komt."),
    Side.ASKING: ("Aanvulling of herinnering", "U vult uw vraag aan of herinnert de andere partij eraan."),
    Side.IDLE: ("Nieuwe vraag", "U stelt de andere partij een vraag."),
}  # fmt: skip

THREAD_NOTICES = {
    "verstuurd": "Uw bericht is verstuurd.",
    "gestart": "Uw vraag is verstuurd.",
    "toegewezen": "De toewijzing is opgeslagen.",
    "afgerond": "Het gesprek is afgerond.",
}
REPLY_FIELDS = ("body", "kind", "agreed_date", "attachments", FIELD_TYPE, FIELD_DATE, FIELD_UPLOAD)
# The document types a file sent with a reply can have (the vault's one list).
TYPE_OPTIONS = DOCUMENT_TYPE_OPTIONS
NEW_FIELDS = ("soort", "dossiernummer", "convenant_id", "bijzondere_bijstand", "subject", "body")
UNKNOWN_REFERENCE = "Uw organisatie heeft geen dossier met dit nummer."
AMBIGUOUS_REFERENCE = (
    "Meer dan één dossier van uw organisatie past bij dit nummer. Vul het hele dossiernummer in, bijvoorbeeld "
    "2026-483917."
)


def service(request: Request, db: AsyncSession, kind: type[S]) -> S:
    """A messaging service of ``kind`` on ``db``, with the process's calendars for the hub's decree-day file."""
    rt = runtime(request)
    return kind(db, rt.keyring, calendars=calendar_source(rt.settings.decree_days_file))


def path_for(request: Request, name: str, **params: str) -> str:
    """The path of a named route."""
    return request.url_for(name, **params).path


def thread_path(request: Request, thread_id: str, notice: str = "", anchor: str = "") -> str:
    """The thread page, after a POST with its fixed notice key (``?gelukt=...``) and an anchor."""
    path = path_for(request, "messaging.thread", thread_id=thread_id)
    return path + (f"?gelukt={notice}" if notice else "") + (f"#{anchor}" if anchor else "")


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def notice_of(request: Request, notices: dict[str, str]) -> str:
    return notices.get(request.query_params.get("gelukt", ""), "")
