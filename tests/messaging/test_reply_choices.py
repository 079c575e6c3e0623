"""The reply form's rules without a database: which kinds each side gets and which is preselected
(:mod:`hub.messaging.reply_choices`), what each says it will do to the terms (:mod:`hub.messaging.reply_effects`, the
engine's answer in words), and the procesafspraak date that is not a werkdag (:mod:`hub.messaging.agreed_dates`).

The running clocks are made as the service makes them: the engine's starts for a question, as Clock rows, read back
with :func:`hub.messaging.threads._running`."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hub.messaging.agreed_dates import agreed_date_problem
from hub.messaging.clocks import NewMessage, RunningClock, decide
from hub.messaging.models import Clock, ClockKind, MessageKind, ThreadKind
from hub.messaging.reply_choices import Side, refusal, reply_choices
from hub.messaging.reply_effects import effects
from hub.messaging.threads import _running
from hub.terms import WerkdagCalendar
from tests.messaging.world import at

G, K = "g" * 32, "k" * 32  # the gemeente and the kantoor
CAL = WerkdagCalendar()
MONDAY = at(2026, 3, 2, 10)  # a question on Monday 2 March 2026: 2 werkdagen is Wednesday 4 March, 2 weken 16 March
TUESDAY = at(2026, 3, 3, 9)
CASE, GENERAL = ThreadKind.CASUISTIEK, ThreadKind.ALGEMEEN
BERICHT, GEEN, REACTIE, AFSPRAAK, VRAAG = (
    MessageKind.BERICHT,
    MessageKind.GEEN_REACTIE_NODIG,
    MessageKind.INHOUDELIJKE_REACTIE,
    MessageKind.PROCESAFSPRAAK,
    MessageKind.VRAAG_OM_INFORMATIE,
)


def asked(
    thread: ThreadKind, by: str = K, when: datetime = MONDAY, *, only: ClockKind | None = None
) -> list[RunningClock]:
    """The clocks a question from ``by`` starts for the other party (``only``: just that one still runs)."""
    other = G if by == K else K
    starts = decide(thread, [], NewMessage(BERICHT, by, other, when), CAL).starts
    rows = [
        Clock(id=f"clock-{i}", thread_id="t", kind=s.kind.value, owed_by_org_id=s.owed_by, started_at=when,
              started_by_message_id="m", due_at=s.due_at, depth=s.depth)
        for i, s in enumerate(starts)
        if only is None or s.kind == only
    ]  # fmt: skip
    return _running(rows)


def say(
    thread: ThreadKind, running: list[RunningClock], kind: MessageKind, me: str = G, when: datetime = TUESDAY
) -> str:
    other = K if me == G else G
    return " ".join(effects(thread, running, kind, me, other, "De Ander", when, CAL))


# -- which kinds, which default --------------------------------------------------------------------------------


def test_my_side_owes_a_case_answer() -> None:
    choices = reply_choices(CASE, asked(CASE), G, K, TUESDAY, CAL)
    assert choices.side == Side.OWING
    assert choices.default == REACTIE
    assert choices.kinds == (REACTIE, AFSPRAAK, VRAAG, GEEN)  # a plain bericht would leave the term running
    assert refusal(REACTIE, choices) is None and refusal(AFSPRAAK, choices) is None


def test_my_side_owes_a_general_question_first_reaction_due() -> None:
    choices = reply_choices(GENERAL, asked(GENERAL), G, K, TUESDAY, CAL)
    assert choices.side == Side.OWING
    assert choices.default == BERICHT  # the first reaction stops the clock due first
    assert choices.kinds == (BERICHT, REACTIE, AFSPRAAK, VRAAG, GEEN)


def test_my_side_owes_only_the_substantive_answer() -> None:
    choices = reply_choices(GENERAL, asked(GENERAL, only=ClockKind.ALGEMEEN_INHOUDELIJK), G, K, TUESDAY, CAL)
    assert choices.default == REACTIE
    assert choices.kinds == (REACTIE, AFSPRAAK, VRAAG, GEEN)


@pytest.mark.parametrize("thread", [CASE, GENERAL])
def test_the_asking_side_is_never_offered_an_answer_or_a_procesafspraak(thread: ThreadKind) -> None:
    choices = reply_choices(thread, asked(thread), K, G, TUESDAY, CAL)
    assert choices.side == Side.ASKING
    assert choices.kinds == (BERICHT, GEEN) and choices.default == BERICHT
    for kind in (AFSPRAAK, REACTIE, VRAAG):
        reason = refusal(kind, choices)
        assert reason is not None
        assert "kan alleen als uw organisatie een reactie verschuldigd is" in reason
        assert "de andere partij is u een reactie verschuldigd" in reason
    assert refusal(BERICHT, choices) is None and refusal(GEEN, choices) is None


def test_nothing_runs_a_new_question_is_the_default() -> None:
    choices = reply_choices(CASE, [], G, K, TUESDAY, CAL)
    assert choices.side == Side.IDLE
    assert choices.kinds == (BERICHT, GEEN) and choices.default == BERICHT
    reason = refusal(REACTIE, choices)
    assert reason is not None and "in dit gesprek loopt geen reactietermijn" in reason


def test_a_plain_bericht_is_accepted_from_the_owing_side_though_not_offered() -> None:
    """The service's neutral message: what it does is the engine's to say (on a case question: nothing)."""
    choices = reply_choices(CASE, asked(CASE), G, K, TUESDAY, CAL)
    assert BERICHT not in choices.kinds
    assert refusal(BERICHT, choices) is None


# -- what each kind says it does ---------------------------------------------------------------------------------


def test_the_effects_on_a_case_question_owed_by_my_side() -> None:
    running = asked(CASE)
    assert say(CASE, running, REACTIE) == "Hiermee stopt de termijn van uiterlijk woensdag 4 maart 2026."
    assert say(CASE, running, GEEN) == "De termijn loopt door (uiterlijk woensdag 4 maart 2026)."
    assert say(CASE, running, AFSPRAAK) == (
        "De termijn van uiterlijk woensdag 4 maart 2026 schuift op naar de datum die u hieronder afspreekt en loopt "
        "door tot het antwoord er is."
    )
    # Asked on Tuesday: the other party's 2 werkdagen end on Thursday.
    assert say(CASE, running, VRAAG) == "De termijn gaat naar De Ander (uiterlijk donderdag 5 maart 2026)."


def test_an_answer_after_the_due_moment_says_it_is_late() -> None:
    assert say(CASE, asked(CASE), REACTIE, when=at(2026, 3, 5, 9)) == (
        "Hiermee stopt de termijn van uiterlijk woensdag 4 maart 2026. "
        "De termijn van uiterlijk woensdag 4 maart 2026 is al verstreken: dit telt als te laat."
    )


def test_the_effects_on_a_general_question_owed_by_my_side() -> None:
    running = asked(GENERAL)
    assert say(GENERAL, running, BERICHT) == (
        "Hiermee stopt de termijn van uiterlijk woensdag 4 maart 2026 (eerste reactie). "
        "De termijn loopt door (uiterlijk maandag 16 maart 2026, inhoudelijke reactie)."
    )
    assert say(GENERAL, running, REACTIE) == (
        "Hiermee stoppen de termijnen van uiterlijk woensdag 4 maart 2026 (eerste reactie) en uiterlijk maandag "
        "16 maart 2026 (inhoudelijke reactie)."
    )


def test_the_effects_for_the_asking_side_and_when_nothing_runs() -> None:
    assert say(CASE, asked(CASE), BERICHT, me=K) == "De termijn loopt door (uiterlijk woensdag 4 maart 2026)."
    assert say(CASE, [], BERICHT) == (
        "Hiermee start een termijn van 2 werkdagen voor De Ander (uiterlijk donderdag 5 maart 2026)."
    )
    assert say(GENERAL, [], BERICHT) == (
        "Hiermee start een termijn van 2 werkdagen voor De Ander (uiterlijk donderdag 5 maart 2026, eerste reactie) "
        "en van 2 weken (uiterlijk dinsdag 17 maart 2026, inhoudelijke reactie)."
    )
    assert say(CASE, [], GEEN) == "Er start geen reactietermijn."


# -- the procesafspraak's date ----------------------------------------------------------------------------------


def test_a_date_that_is_not_a_werkdag_is_refused_with_the_next_werkdag() -> None:
    problem = agreed_date_problem(date(2026, 3, 7), TUESDAY, CAL)
    assert problem is not None and problem.instead == date(2026, 3, 9)
    assert problem.message.startswith(
        "zaterdag 7 maart 2026 is geen werkdag. De eerstvolgende werkdag, maandag 9 maart"
    )
    problem = agreed_date_problem(date(2026, 4, 27), TUESDAY, CAL)
    assert problem is not None and problem.instead == date(2026, 4, 28)
    assert problem.message.startswith("maandag 27 april 2026 is geen werkdag (Koningsdag).")
    closing = CAL.with_extra_closed([date(2026, 3, 10)])
    problem = agreed_date_problem(date(2026, 3, 10), TUESDAY, closing)
    assert problem is not None and problem.instead == date(2026, 3, 11)
    assert "(sluitingsdag gemeente)" in problem.message
    # Christmas, then a weekend: the next werkdag is after all of them.
    problem = agreed_date_problem(date(2026, 12, 25), TUESDAY, CAL)
    assert problem is not None and problem.instead == date(2026, 12, 28)


def test_the_other_date_rules() -> None:
    assert agreed_date_problem(date(2026, 3, 9), TUESDAY, CAL) is None
    assert agreed_date_problem(date(2026, 3, 3), TUESDAY, CAL) is None  # today is allowed
    missing = agreed_date_problem(None, TUESDAY, CAL)
    assert missing is not None and missing.instead is None
    past = agreed_date_problem(date(2026, 3, 2), TUESDAY, CAL)
    assert past is not None and "verleden" in past.message and past.instead is None
    far = agreed_date_problem(date(2027, 3, 9), TUESDAY, CAL)
    assert far is not None and "binnen een jaar" in far.message
