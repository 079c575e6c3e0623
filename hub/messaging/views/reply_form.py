"""The reply form's kinds for the viewer's side: which are offered and preselected (:mod:`hub.messaging.reply_choices`)
and, under each, what it would do to the running terms now (:mod:`hub.messaging.reply_effects`, the engine's answer).
Server-rendered: the text is in the page, tied to its radio button, before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from hub.messaging.clocks import agreed_date_limit
from hub.messaging.models import MessageKind, ThreadKind
from hub.messaging.reading import ThreadView
from hub.messaging.reply_choices import ReplyChoices, Side, reply_choices
from hub.messaging.reply_effects import effects
from hub.messaging.threads import _running
from hub.messaging.views.common import REPLY_BERICHT, REPLY_KINDS
from hub.terms import WerkdagCalendar, format_datum


@dataclass(frozen=True)
class ReplyOption:
    value: str
    label: str
    hint: str  # what the kind is
    effect: str  # what it does to the terms if sent now


DATE_HINT = "Alleen bij een procesafspraak: de werkdag waarop het antwoord uiterlijk komt."


@dataclass(frozen=True)
class ReplyForm:
    side: Side
    options: list[ReplyOption]
    default: str
    agree_until: date | None = None  # a general question's 2-weken maximum for the date of a procesafspraak

    @property
    def date_hint(self) -> str:
        """The date field's hint: what it is for and, on a general question, the latest date it may hold."""
        if self.agree_until is None:
            return DATE_HINT
        return f"{DATE_HINT} Uiterlijk {format_datum(self.agree_until)}: de maximale reactietermijn van twee weken."

    @property
    def may_agree(self) -> bool:
        """The date field of a procesafspraak is shown only when one is offered."""
        return any(o.value == MessageKind.PROCESAFSPRAAK.value for o in self.options)


def reply_form(view: ThreadView, me: str, now: datetime, calendar: WerkdagCalendar) -> ReplyForm:
    """The form's options for ``me`` on ``view``'s thread at ``now`` (``calendar``: the gemeente's)."""
    running = _running(sorted((c.clock for c in view.clocks if c.running), key=lambda c: c.due_at))
    kind = ThreadKind(view.thread.kind)
    other = view.thread.other_party(me)
    choices: ReplyChoices = reply_choices(kind, running, me, other, now, calendar)
    options = []
    for message_kind in choices.kinds:
        label, hint = REPLY_BERICHT[choices.side] if message_kind == MessageKind.BERICHT else REPLY_KINDS[message_kind]
        said = effects(kind, running, message_kind, me, other, view.partner_name, now, calendar)
        options.append(ReplyOption(message_kind.value, label, hint, " ".join(said)))
    return ReplyForm(choices.side, options, choices.default.value, agreed_date_limit(running, me))
