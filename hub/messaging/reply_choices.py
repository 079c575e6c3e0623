"""Which kinds of reply make sense for my side of a thread, and which one the form preselects: one rule, used by the
reply form (what it offers) and by the service (what it accepts, so a crafted POST is refused too).

The side follows from the running clocks (:mod:`hub.messaging.clocks`):

- **owing** (a clock runs that my organisation owes): the inhoudelijke reactie, the procesafspraak (when the engine
  allows one, :func:`~hub.messaging.clocks.may_agree`, and on a general question only while its 2-weken maximum,
  :func:`~hub.messaging.clocks.agreed_date_limit`, has not passed: after it no date can be agreed), the vraag om
  informatie, the bericht zonder vraag, and a plain ``bericht`` only where the engine says it does something (on a
  general question: the first reaction). The default is the kind that stops the clock due first: a first reaction
  while the 2-werkdagen clock of a general question runs, otherwise the inhoudelijke reactie.
- **asking** (the other party owes): a ``bericht`` (an aanvulling or herinnering; the term runs on) and the bericht
  zonder vraag. Never a procesafspraak nor an inhoudelijke reactie: there is nothing for my side to answer.
- **idle** (no clock runs): a ``bericht`` (a new question, the default) and the bericht zonder vraag.

The service accepts what the form offers and, besides, a procesafspraak whose maximum has passed (the date rule then
refuses it with that reason, :mod:`hub.messaging.agreed_dates`) and a plain ``bericht`` from either side: it is the
service's neutral message (what a caller sends without choosing), and what it does is the engine's to say (for the
owing side of a case question: nothing, the term runs on). The form leaves it out where it would do nothing for the
owing side, so the answer cannot be sent as a mere bericht by mistake; everything else outside the side's kinds is
refused.

What each kind does is not repeated here: it is asked of the engine (:func:`~hub.messaging.clocks.decide`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hub.messaging.clocks import ClockChanges, NewMessage, RunningClock, agreed_date_limit, decide, may_agree
from hub.messaging.models import MessageKind, ThreadKind
from hub.terms import WerkdagCalendar, as_local_date


class Side(StrEnum):
    OWING = "owing"  # my organisation owes a reaction
    ASKING = "asking"  # the other party owes one
    IDLE = "idle"  # no term runs


@dataclass(frozen=True)
class ReplyChoices:
    side: Side
    kinds: tuple[MessageKind, ...]  # what the form offers, the default first
    default: MessageKind
    maximum_passed: bool = False  # the side may agree a date, but the general question's 2-weken maximum is over

    def allows(self, kind: MessageKind) -> bool:
        """Whether the service accepts ``kind`` from this side (see the module text)."""
        if kind == MessageKind.PROCESAFSPRAAK and self.maximum_passed:
            return True  # not offered; its date is refused with the reason (the maximum passed)
        return kind in self.kinds or kind == MessageKind.BERICHT


# The owing side's kinds in the form's order (after the default).
OWING_ORDER = (
    MessageKind.INHOUDELIJKE_REACTIE,
    MessageKind.BERICHT,
    MessageKind.PROCESAFSPRAAK,
    MessageKind.VRAAG_OM_INFORMATIE,
    MessageKind.GEEN_REACTIE_NODIG,
)
OTHER_SIDES = (MessageKind.BERICHT, MessageKind.GEEN_REACTIE_NODIG)

# The nouns of the kinds a side may be refused, for the refusal's sentence.
NOUNS = {
    MessageKind.PROCESAFSPRAAK: "Een procesafspraak",
    MessageKind.INHOUDELIJKE_REACTIE: "Een inhoudelijke reactie",
    MessageKind.VRAAG_OM_INFORMATIE: "Een vraag om informatie",
}


def preview(
    thread_kind: ThreadKind, running: Sequence[RunningClock], kind: MessageKind, me: str, other: str, now: datetime,
    calendar: WerkdagCalendar,
) -> ClockChanges:  # fmt: skip
    """What the engine would do with a message of ``kind`` from ``me`` now. A procesafspraak is previewed with today
    as its agreed date (the form does not know the date yet)."""
    agreed = as_local_date(now) if kind == MessageKind.PROCESAFSPRAAK else None
    return decide(thread_kind, running, NewMessage(kind, me, other, now, agreed), calendar)


def reply_choices(
    thread_kind: ThreadKind, running: Sequence[RunningClock], me: str, other: str, now: datetime,
    calendar: WerkdagCalendar,
) -> ReplyChoices:  # fmt: skip
    """The kinds ``me`` may send in a thread with these running clocks at ``now``, the default first."""
    mine = sorted((c for c in running if c.owed_by == me), key=lambda c: c.due_at)
    if not mine:
        side = Side.ASKING if running else Side.IDLE
        return ReplyChoices(side, OTHER_SIDES, MessageKind.BERICHT)
    plain_stops = {
        s.clock_id for s in preview(thread_kind, running, MessageKind.BERICHT, me, other, now, calendar).stops
    }
    limit = agreed_date_limit(running, me)
    maximum_passed = may_agree(running, me) and limit is not None and limit < as_local_date(now)
    agree = may_agree(running, me) and not maximum_passed
    kinds = [
        k
        for k in OWING_ORDER
        if (k != MessageKind.BERICHT or plain_stops) and (k != MessageKind.PROCESAFSPRAAK or agree)
    ]
    # The safe default stops the clock that is due first: a plain bericht when that is all it takes (the first
    # reaction to a general question), else the substantive answer.
    default = MessageKind.BERICHT if mine[0].id in plain_stops else MessageKind.INHOUDELIJKE_REACTIE
    kinds.remove(default)
    return ReplyChoices(Side.OWING, (default, *kinds), default, maximum_passed)


def refusal(kind: MessageKind, choices: ReplyChoices) -> str | None:
    """Why ``kind`` may not be sent by this side (a Dutch sentence for the form), or None when it may."""
    if choices.allows(kind):
        return None
    if choices.side == Side.OWING:  # a procesafspraak without a substantive reaction owed
        return (
            "Een procesafspraak gaat over het inhoudelijke antwoord, en dat is uw organisatie nu niet verschuldigd. "
            "Kies een ander soort bericht."
        )
    situation = (
        "de andere partij is u een reactie verschuldigd"
        if choices.side == Side.ASKING
        else "in dit gesprek loopt geen reactietermijn"
    )
    return (
        f"{NOUNS.get(kind, 'Dit soort bericht')} kan alleen als uw organisatie een reactie verschuldigd is, en "
        f"{situation}. Kies een ander soort bericht."
    )
