"""What a reply of a given kind would do to the running terms, said before it is sent: the rule engine's own answer
(:func:`hub.messaging.clocks.decide` for that message at this moment) put into Dutch sentences. No rule is repeated
here: when the engine changes, the sentences follow.

A vraag om informatie says the term goes to the other side ("De termijn gaat naar …"); the information asked for,
that it goes back ("De termijn gaat terug naar …"); a new question, that a term starts. A procesafspraak is previewed
with today as its agreed date (:func:`hub.messaging.reply_choices.preview`); the sentence then speaks of "de datum
die u hieronder afspreekt".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hub.messaging.clocks import CLOCKS_FOR, RunningClock
from hub.messaging.models import ClockKind, MessageKind, StopKind, ThreadKind
from hub.messaging.reply_choices import preview
from hub.terms import WerkdagCalendar, format_datum

# How long a new term is, in words (its due moment comes from the engine).
TERM_LENGTH = {
    ClockKind.CASUISTIEK: "2 werkdagen",
    ClockKind.ALGEMEEN_EERSTE: "2 werkdagen",
    ClockKind.ALGEMEEN_INHOUDELIJK: "2 weken",
}
# Which term is meant, where a thread has more than one.
TERM_NAME = {
    ClockKind.CASUISTIEK: "reactie",
    ClockKind.ALGEMEEN_EERSTE: "eerste reactie",
    ClockKind.ALGEMEEN_INHOUDELIJK: "inhoudelijke reactie",
}
NOTHING = "Er start geen reactietermijn."


def effects(
    thread_kind: ThreadKind, running: Sequence[RunningClock], kind: MessageKind, me: str, other: str,
    other_name: str, now: datetime, calendar: WerkdagCalendar,
) -> tuple[str, ...]:  # fmt: skip
    """The sentences that say what a message of ``kind`` from ``me`` to ``other`` (named ``other_name``) would do
    to the thread's terms if it were sent at ``now``."""
    changes = preview(thread_kind, running, kind, me, other, now, calendar)
    several = len(CLOCKS_FOR[thread_kind]) > 1

    def until(moment: datetime, clock_kind: ClockKind) -> str:
        """ "uiterlijk vrijdag 4 december 2026", with the term's name where the thread has more than one."""
        return f"uiterlijk {format_datum(moment)}{f', {TERM_NAME[clock_kind]}' if several else ''}"

    def term_of(moment: datetime, clock_kind: ClockKind) -> str:
        """ "uiterlijk vrijdag 4 december 2026", with " (eerste reactie)" where the thread has more than one."""
        return f"uiterlijk {format_datum(moment)}{f' ({TERM_NAME[clock_kind]})' if several else ''}"

    def late_sentence(clock: RunningClock, *, agreed: bool = False) -> str:
        counts = "ook met deze procesafspraak telt de reactie als te laat" if agreed else "dit telt als te laat"
        return f"De termijn van {term_of(clock.due_at, clock.kind)} is al verstreken: {counts}."

    by_id = {c.id: c for c in running}
    stopped = [s for s in changes.stops if s.how != StopKind.OVERGEDRAGEN]
    handed_over = len(stopped) < len(changes.stops)  # a vraag om informatie: the turn goes to the other side
    # The information asked for: the turn goes back to the side below (the new clocks are one level down).
    handed_back = bool(changes.starts) and any(changes.starts[0].depth < by_id[s.clock_id].depth for s in stopped)
    moved = [by_id[m.clock_id] for m in changes.reschedules]
    running_on = [c for c in changes.running if c.id not in {m.id for m in moved}]
    said: list[str] = []
    if stopped:
        clocks = [by_id[s.clock_id] for s in stopped]
        dues = _join([term_of(c.due_at, c.kind) for c in clocks])
        said.append(f"Hiermee {_n(clocks, 'stopt de termijn', 'stoppen de termijnen')} van {dues}.")
    # Every clock that stops after its due day counts as late: answered, or handed over by a vraag om informatie.
    said.extend(late_sentence(by_id[s.clock_id]) for s in changes.stops if not s.in_time)
    if moved:
        dues = _join([term_of(c.due_at, c.kind) for c in moved])
        said.append(
            f"{_n(moved, 'De termijn', 'De termijnen')} van {dues} {_n(moved, 'schuift', 'schuiven')} op naar de "
            f"datum die u hieronder afspreekt en {_n(moved, 'loopt', 'lopen')} door tot het antwoord er is."
        )
        # A procesafspraak after the due day does not make the term in time: the answer will count as late.
        for move, clock in zip(changes.reschedules, moved, strict=True):
            if move.late:
                said.append(late_sentence(clock, agreed=True))
    if running_on:
        dues = "; ".join(until(c.due_at, c.kind) for c in running_on)
        said.append(f"{_n(running_on, 'De termijn loopt', 'De termijnen lopen')} door ({dues}).")
    if changes.starts and (handed_over or handed_back):
        dues = "; ".join(until(s.due_at, s.kind) for s in changes.starts)
        goes = _n(changes.starts, "De termijn gaat", "De termijnen gaan") + (" terug" if handed_back else "")
        said.append(f"{goes} naar {other_name} ({dues}).")
    elif changes.starts:
        terms = [
            f"van {TERM_LENGTH[s.kind]}{f' voor {other_name}' if i == 0 else ''} ({until(s.due_at, s.kind)})"
            for i, s in enumerate(changes.starts)
        ]
        said.append(f"Hiermee start een termijn {_join(terms)}.")
    return tuple(said) or (NOTHING,)


def _n(items: Sequence[object], one: str, more: str) -> str:
    return one if len(items) == 1 else more


def _join(parts: list[str]) -> str:
    """ "a", "a en b", "a, b en c"."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} en {parts[-1]}"
