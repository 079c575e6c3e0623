"""Notification mails from templates: plain text with an HTML alternative, and never case content.

The renderer's only input is a :class:`MailContent`: the kind of thing waiting, the receiving organisation's name,
the due moment, a hub path made of ids, for a digest the number of items per kind, and for moved terms how many
moved and by how many werkdagen at most. It has no field that could
hold a case, a person, a text or a file name, and it refuses values of any other type, so no caller can leak
content through it by mistake. The templates live in ``templates/email/<kind>/{subject.txt,body.txt,body.html}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2

from hub.notifications.models import ENROLMENT_KINDS, MailKind
from hub.resources import resource_dir
from hub.terms import AMSTERDAM, format_datum, require_aware

TEMPLATE_DIR = resource_dir("templates") / "email"

# "/", the inbox, or one or more "/<word>/<32 hex id>" pairs: a path that cannot carry a name or a reference.
LINK_RE = re.compile(r"^(?:/|/berichten|(?:/[a-z]+/[0-9a-f]{32})+)$")
# An enrolment token (hub.accounts.enrolment): URL-safe base64 of 32 random bytes.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
ENROLMENT_PATH = "/activeren/"
SENDER_NAME = "Beveiligde omgeving"

# (singular, plural) for the digest's counts.
DIGEST_PHRASES: dict[MailKind, tuple[str, str]] = {
    MailKind.NIEUW_BERICHT: ("nieuw bericht", "nieuwe berichten"),
    MailKind.NIEUW_DOCUMENT: ("nieuw document", "nieuwe documenten"),
    MailKind.TERMIJN_VERLOOPT_VANDAAG: ("termijn die vandaag verloopt", "termijnen die vandaag verlopen"),
    MailKind.TERMIJN_VERLOPEN: ("verlopen termijn", "verlopen termijnen"),
    MailKind.PROCESAFSPRAAK: ("nieuwe procesafspraak", "nieuwe procesafspraken"),
    MailKind.ESCALATIE: ("escalatie", "escalaties"),
    MailKind.TERMIJNEN_VERSCHOVEN: (
        "melding van verschoven termijnen door sluitingsdagen",
        "meldingen van verschoven termijnen door sluitingsdagen",
    ),
    MailKind.DOSSIERTERMIJN_NADERT: ("termijn in een dossier die nadert", "termijnen in dossiers die naderen"),
    MailKind.DOSSIERTERMIJN_VANDAAG: (
        "termijn in een dossier die vandaag verloopt",
        "termijnen in dossiers die vandaag verlopen",
    ),
    MailKind.DOSSIERTERMIJN_VERLOPEN: ("verlopen termijn in een dossier", "verlopen termijnen in dossiers"),
}


class RenderError(Exception):
    """A template is missing or broken. The mail is not sent; the row fails visibly."""


@dataclass(frozen=True)
class MailContent:
    """Everything a notification mail may say. Nothing else reaches the templates."""

    kind: MailKind
    organisation: str  # the receiving organisation's name (an organisation, never a person under bewind)
    link_path: str  # a hub path of ids only, opened after login
    due_at: datetime | None = None
    counts: tuple[tuple[MailKind, int], ...] = ()  # digest only: how many items of each kind
    enrolment_token: str = ""  # enrolment mails only: the single-use token of the link (no content)
    moved_terms: int = 0  # termijnen_verschoven only: how many running terms moved
    moved_werkdagen: int = 0  # termijnen_verschoven only: the largest move (positive: later, negative: earlier)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", MailKind(self.kind))
        if self.kind is MailKind.TERMIJNEN_VERSCHOVEN:
            if type(self.moved_terms) is not int or self.moved_terms < 1:
                raise ValueError("moved_terms must be a positive whole number")
            if type(self.moved_werkdagen) is not int or self.moved_werkdagen == 0:
                raise ValueError("moved_werkdagen must be a non-zero whole number")
        elif self.moved_terms or self.moved_werkdagen:
            raise ValueError("only a termijnen_verschoven mail says how many terms moved")
        if (self.kind in ENROLMENT_KINDS) != bool(self.enrolment_token):
            raise ValueError("an enrolment mail has a token; no other mail has")
        if self.enrolment_token and (
            not isinstance(self.enrolment_token, str) or not TOKEN_RE.fullmatch(self.enrolment_token)
        ):
            raise ValueError("enrolment_token must be a token made by hub.accounts.enrolment")
        if not isinstance(self.organisation, str) or not 0 < len(self.organisation) <= 200:
            raise TypeError("organisation must be an organisation name (a non-empty str of at most 200 characters)")
        if any(c in self.organisation for c in "\r\n"):
            raise ValueError("organisation must be one line")
        if not isinstance(self.link_path, str) or not LINK_RE.fullmatch(self.link_path):
            raise ValueError("link_path must be a hub path of ids only, such as /berichten/<id>")
        if self.due_at is not None:
            if not isinstance(self.due_at, datetime):
                raise TypeError("due_at must be a datetime")
            require_aware(self.due_at, "due_at")
        counts = tuple((MailKind(k), n) for k, n in self.counts)
        for _kind, n in counts:
            if type(n) is not int or n < 1:
                raise ValueError("counts must be positive whole numbers")
        if (self.kind is MailKind.DIGEST) != bool(counts):
            raise ValueError("a digest has counts; no other mail has")
        object.__setattr__(self, "counts", counts)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_env = _environment()


def login_link(base_url: str, link_path: str) -> str:
    """The hub's login page, which opens ``link_path`` after login."""
    return f"{base_url.rstrip('/')}/inloggen?volgende={quote(link_path, safe='/')}"


def new_message_id(base_url: str) -> str:
    domain = urlsplit(base_url).hostname or "localhost"
    return make_msgid(domain=domain)


def _context(content: MailContent, base_url: str) -> dict[str, Any]:
    items = [
        {"count": n, "phrase": DIGEST_PHRASES[kind][0 if n == 1 else 1]}
        for kind, n in sorted(content.counts, key=lambda kn: list(MailKind).index(kn[0]))
    ]
    return {
        "organisatie": content.organisation,
        "termijn": format_datum(content.due_at) if content.due_at is not None else None,
        "link": (
            f"{base_url.rstrip('/')}{ENROLMENT_PATH}{content.enrolment_token}"
            if content.enrolment_token
            else login_link(base_url, content.link_path)
        ),
        "items": items,
        "totaal": sum(n for _k, n in content.counts),
        "aantal": content.moved_terms,
        "werkdagen": abs(content.moved_werkdagen),
        "richting": "later" if content.moved_werkdagen > 0 else "eerder",
    }


def render_parts(content: MailContent, base_url: str) -> tuple[str, str, str]:
    """(subject, text, html) for ``content``."""
    if not isinstance(content, MailContent):
        raise TypeError("render takes a MailContent, nothing else")
    ctx = _context(content, base_url)
    name = content.kind.value
    try:
        subject = _env.get_template(f"{name}/subject.txt").render(ctx)
        text = _env.get_template(f"{name}/body.txt").render(ctx)
        html = _env.get_template(f"{name}/body.html").render(ctx)
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {name}: {type(exc).__name__}") from exc
    return " ".join(subject.split()), text, html


def render_mail(
    content: MailContent, *, to: str, mail_from: str, base_url: str, message_id: str, now: datetime
) -> EmailMessage:
    """The complete message: text with an HTML alternative, Message-ID, Date, Auto-Submitted."""
    subject, text, html = render_parts(content, base_url)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = Address(display_name=SENDER_NAME, addr_spec=mail_from)
    msg["To"] = to
    msg["Date"] = format_datetime(require_aware(now, "now").astimezone(AMSTERDAM))
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["Content-Language"] = "nl"
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg
