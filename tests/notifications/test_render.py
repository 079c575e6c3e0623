"""Rendering: every kind has Dutch text and HTML templates; the renderer takes whitelisted values only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pytest
from jinja2 import meta

from hub.config import ConfigError, load_settings
from hub.notifications.models import ACCOUNT_KINDS, MailKind
from hub.notifications.render import TEMPLATE_DIR, MailContent, render_mail, render_parts
from hub.notifications.sender import eml_path, safe_reason

ID = "0123456789abcdef0123456789abcdef"
DUE = datetime(2026, 4, 29, 21, 59, 59, tzinfo=UTC)  # 23:59:59 in Amsterdam
ALLOWED = {"organisatie", "termijn", "link", "items", "totaal", "aantal", "werkdagen", "richting"}
WITHOUT_DUE = (MailKind.DIGEST, MailKind.TERMIJNEN_VERSCHOVEN)  # mails about several things: no one due moment


def content(kind: MailKind, **kw: object) -> MailContent:
    if kind is MailKind.DIGEST:
        kw.setdefault("counts", ((MailKind.NIEUW_BERICHT, 1), (MailKind.TERMIJN_VERLOPEN, 2)))
        kw.setdefault("link_path", "/")
    if kind is MailKind.TERMIJNEN_VERSCHOVEN:
        kw.setdefault("moved_terms", 3)
        kw.setdefault("moved_werkdagen", 1)
    return MailContent(kind=kind, organisation="Gemeente Nijmegen", link_path=kw.pop("link_path", f"/berichten/{ID}"),
                       **kw)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize("kind", [k for k in MailKind if k not in ACCOUNT_KINDS])  # those: test_account_mail.py
def test_every_kind_renders_in_dutch_with_the_link_and_due_day(kind: MailKind) -> None:
    for name in ("subject.txt", "body.txt", "body.html"):
        assert (TEMPLATE_DIR / kind.value / name).is_file()
    due = None if kind in WITHOUT_DUE else DUE
    subject, text, html = render_parts(content(kind, due_at=due), "https://hub.example.nl")
    assert "Gemeente Nijmegen" in subject and "\n" not in subject
    link = "https://hub.example.nl/inloggen?volgende=" + ("/" if kind is MailKind.DIGEST else f"/berichten/{ID}")
    assert link in text and f'href="{link}"' in html
    assert '<html lang="nl">' in html
    if due is not None:
        assert "woensdag 29 april 2026" in text and "woensdag 29 april 2026" in html
    elif kind is MailKind.TERMIJNEN_VERSCHOVEN:
        assert "3\nlopende reactietermijnen" in text and "ten hoogste 1 werkdag later" in text
    else:
        assert "1 nieuw bericht" in text and "2 verlopen termijnen" in text and subject.endswith("3 meldingen")


def test_templates_use_only_the_whitelisted_values() -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR))
    for path in TEMPLATE_DIR.rglob("*"):
        if path.is_file():
            source = path.read_text(encoding="utf-8")
            used = meta.find_undeclared_variables(env.parse(source))
            assert used <= ALLOWED, f"{path.relative_to(TEMPLATE_DIR)} uses {used - ALLOWED}"


def test_the_organisation_name_is_escaped_in_html() -> None:
    _, _, html = render_parts(
        MailContent(MailKind.NIEUW_BERICHT, "Kantoor <b>&</b>", f"/berichten/{ID}"), "https://hub.example.nl"
    )
    assert "Kantoor &lt;b&gt;&amp;&lt;/b&gt;" in html


class Case:  # stands for anything that is not an organisation name
    reference = "2026-004711"
    client_name = "Johanna Pietersen"

    def __str__(self) -> str:
        return self.client_name


def test_the_renderer_cannot_be_handed_content() -> None:
    with pytest.raises(TypeError):
        MailContent(MailKind.NIEUW_BERICHT, Case(), f"/berichten/{ID}")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        render_parts(Case(), "https://hub.example.nl")  # type: ignore[arg-type]
    for link in ("/dossiers/2026-004711", "/berichten/pietersen", f"/berichten/{ID}?naam=x", "https://evil.example/"):
        with pytest.raises(ValueError, match="ids only"):
            MailContent(MailKind.NIEUW_BERICHT, "Gemeente Nijmegen", link)
    with pytest.raises(ValueError, match="one line"):
        MailContent(MailKind.NIEUW_BERICHT, "Gemeente\r\nBcc: x@example.nl", f"/berichten/{ID}")
    with pytest.raises(ValueError, match="timezone"):
        MailContent(MailKind.NIEUW_BERICHT, "Gemeente Nijmegen", f"/berichten/{ID}", due_at=datetime(2026, 4, 29))
    with pytest.raises(ValueError, match="digest"):
        MailContent(
            MailKind.NIEUW_BERICHT, "Gemeente Nijmegen", f"/berichten/{ID}", counts=((MailKind.NIEUW_BERICHT, 1),)
        )
    assert set(MailContent.__dataclass_fields__) == {
        "kind",
        "organisation",
        "link_path",
        "due_at",
        "counts",
        "enrolment_token",  # an enrolment mail's single-use token (test_account_mail.py)
        "moved_terms",  # termijnen_verschoven: how many terms a calendar change moved (a count)
        "moved_werkdagen",  # and by how many werkdagen at most (a whole number)
    }
    with pytest.raises(ValueError, match="only a termijnen_verschoven"):
        MailContent(MailKind.NIEUW_BERICHT, "Gemeente Nijmegen", f"/berichten/{ID}", moved_terms=2)
    for terms, werkdagen in ((0, 1), (2, 0), ("2", 1)):
        with pytest.raises(ValueError, match="whole number"):
            MailContent(
                MailKind.TERMIJNEN_VERSCHOVEN, "Gemeente Nijmegen", "/berichten", moved_terms=terms,  # type: ignore[arg-type]
                moved_werkdagen=werkdagen,
            )  # fmt: skip


@pytest.mark.parametrize(
    ("terms", "werkdagen", "phrase"),
    [
        (1, 1, "Daardoor is 1\nlopende reactietermijn in gesprekken waarover u berichten ontvangt\nverschoven: die "
         "verloopt nu ten hoogste 1 werkdag later."),
        (4, -2, "Daardoor zijn 4\nlopende reactietermijnen in gesprekken waarover u berichten ontvangt\nverschoven: ze "
         "verlopen nu ten hoogste 2 werkdagen eerder."),
    ],
)  # fmt: skip
def test_moved_terms_say_how_many_and_how_far_and_link_to_the_inbox(terms: int, werkdagen: int, phrase: str) -> None:
    mail = MailContent(
        MailKind.TERMIJNEN_VERSCHOVEN, "Gemeente Nijmegen", "/berichten", moved_terms=terms, moved_werkdagen=werkdagen
    )
    subject, text, html = render_parts(mail, "https://hub.example.nl")
    assert subject == "Reactietermijnen verschoven door sluitingsdagen van Gemeente Nijmegen"
    assert phrase in text
    assert " ".join(phrase.split()) in " ".join(html.replace("<strong>", "").replace("</strong>", "").split())
    assert "https://hub.example.nl/inloggen?volgende=/berichten" in text


def test_headers() -> None:
    msg = render_mail(
        content(MailKind.TERMIJN_VERLOPEN, due_at=DUE),
        to="km@nijmegen.example.nl",
        mail_from="meldingen@hub.example.nl",
        base_url="https://hub.example.nl",
        message_id="<1.2.3@hub.example.nl>",
        now=datetime(2026, 4, 30, 6, 0, tzinfo=UTC),
    )
    assert msg["From"] == "Beveiligde omgeving <meldingen@hub.example.nl>"
    assert msg["To"] == "km@nijmegen.example.nl"
    assert msg["Message-ID"] == "<1.2.3@hub.example.nl>"
    assert msg["Date"] == "Thu, 30 Apr 2026 08:00:00 +0200"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Subject"] == "Termijn verlopen voor Gemeente Nijmegen"


def test_reasons_are_short_and_carry_no_addresses() -> None:
    assert (
        safe_reason("550 5.1.1 <Jan.Jansen@example.nl>: unknown\r\n user x@y.nl")
        == "550 5.1.1 <adres>: unknown user <adres>"
    )
    assert len(safe_reason("4" * 1000)) == 300


def test_eml_names_are_checked(tmp_path: Path) -> None:
    name = "20260101T000000Z-0123456789abcdef0123456789abcdef.eml"
    (tmp_path / name).write_text("x")
    assert eml_path(tmp_path, name) == (tmp_path / name).resolve()
    for bad in ("../" + name, name + "/", "/etc/passwd", name.upper(), "x.eml", ""):
        assert eml_path(tmp_path, bad) is None


def test_settings_for_digests_and_escalation(tmp_path: Path) -> None:
    defaults = load_settings({"HUB_DATA_DIR": str(tmp_path)})
    assert (defaults.digest_hour, defaults.escalate_after_werkdagen) == (8, 1)
    custom = load_settings({"HUB_DIGEST_HOUR": "7", "HUB_ESCALATE_AFTER_WERKDAGEN": "3"})
    assert (custom.digest_hour, custom.escalate_after_werkdagen) == (7, 3)
    for env, message in (
        ({"HUB_DIGEST_HOUR": "24"}, "out of range"),
        ({"HUB_DIGEST_HOUR": "acht"}, "not a whole number"),
        ({"HUB_ESCALATE_AFTER_WERKDAGEN": "0"}, "out of range"),
    ):
        with pytest.raises(ConfigError, match=message):
            load_settings(env)


def test_mail_links_are_the_paths_of_the_pages_they_open(tmp_path: Path) -> None:
    """A notice links to a thread or a case by the same path the named page routes have."""
    from hub.app import create_app
    from hub.config import load_settings
    from hub.notifications.interfaces import case_path, thread_path

    app = create_app(load_settings({"HUB_DATA_DIR": str(tmp_path)}))
    some_id = "0123456789abcdef0123456789abcdef"
    assert thread_path(some_id) == app.url_path_for("messaging.thread", thread_id=some_id)
    assert case_path(some_id) == app.url_path_for("cases.detail", case_id=some_id)
