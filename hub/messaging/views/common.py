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
from hub.messaging.threads import FIELD_UPLOAD
from hub.web.forms import runtime

S = TypeVar("S", bound=MessagingBase)

PAGE_SIZE = 50
REFERENCE_MAX = 40  # the inbox's dossiernummer filter

TAB_LABELS = {"te_beantwoorden": "Te beantwoorden", "wacht_op_ander": "Wacht op de ander", "alle": "Alle gesprekken"}
KIND_OPTIONS = [("", "Alle soorten"), *((k.value, k.label) for k in ThreadKind)]
STATUS_OPTIONS = [("", "Open en afgerond"), *((s.value, s.label) for s in ThreadStatus)]
REPLY_KINDS = [
    (MessageKind.BERICHT.value, "Gewone reactie", "Een vraag, aanvulling of herinnering. Loopt er geen "
     "reactietermijn, dan start er een voor de andere partij. Bij een algemene vraag is dit ook de eerste reactie."),
    (MessageKind.GEEN_REACTIE_NODIG.value, "Bericht zonder vraag (geen reactie nodig)", "Bijvoorbeeld een bedankje "
     "of een bevestiging. Er start geen reactietermijn en een lopende termijn loopt gewoon door."),
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
REPLY_FIELDS = ("body", "kind", "agreed_date", "attachments", FIELD_TYPE, FIELD_DATE, FIELD_UPLOAD)
# The document types a file sent with a reply can have (the vault's one list).
TYPE_OPTIONS = DOCUMENT_TYPE_OPTIONS
NEW_FIELDS = ("soort", "dossiernummer", "convenant_id", "subject", "body")
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
