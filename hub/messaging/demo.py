"""Demo conversations on the demo cases, so that every state of a reaction clock can be seen.

Called by ``hub demo`` after the cases exist. Messages get explicit past moments (the service takes ``now``), counted
back in werkdagen on the gemeente's calendar so the states hold whatever day the demo is made:

- answered in time (an inhoudelijke reactie the next werkdag);
- answered late (a question of the gemeente, answered three werkdagen after its term);
- waiting and due today (asked two werkdagen ago; on a weekend or feestdag: due the next werkdag);
- overdue (asked six werkdagen ago, no answer);
- a procesafspraak (the gemeente agreed a date next week; the clock runs on);
- a counter question (the kantoor asked for information: the clock went over to the gemeente);
- a general question under the convenant (first reaction given, the substantive answer runs for two weeks).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring
from hub.accounts.models import Convenant, User, people
from hub.accounts.roles import Role
from hub.calendars.services import CalendarSource
from hub.cases.models import Case
from hub.messaging.models import MessageKind, Thread
from hub.messaging.reading import ReadingService
from hub.messaging.threads import ThreadService
from hub.terms import AMSTERDAM, WerkdagCalendar


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM)


def _werkdagen_before(calendar: WerkdagCalendar, day: date, n: int) -> date:
    """The werkdag ``n`` werkdagen before ``day`` (``day`` itself does not count)."""
    d = day
    while n:
        d -= timedelta(days=1)
        if calendar.is_werkdag(d):
            n -= 1
    return d


async def _member(db: AsyncSession, organisation_id: str, *roles: Role) -> User | None:
    """The first active user of the organisation with the first of ``roles`` anyone there holds."""
    users = await _users(db, organisation_id)
    for role in roles:
        for user in users:
            if user.has_role(role):
                return user
    return None


async def _users(db: AsyncSession, organisation_id: str) -> list[User]:
    rows = await db.execute(
        select(User)
        .where(col(User.organisation_id) == organisation_id, col(User.disabled).is_(False), people())
        .order_by(col(User.email))
    )
    return list(rows.scalars())


async def seed_threads(db: AsyncSession, keyring: Keyring, now: datetime) -> list[Thread]:
    """Create the demo conversations (see the module docstring); returns the threads made."""
    calendars = CalendarSource()
    svc = ThreadService(db, keyring, calendars=calendars)
    threads: list[Thread] = []
    first_opened = select(Case).order_by(col(Case.created_at), col(Case.reference)).limit(6)
    cases = list((await db.execute(first_opened)).scalars())
    today = now.astimezone(AMSTERDAM).date()

    async def people(gemeente_id: str, kantoor_id: str) -> tuple[User, User] | None:
        bewindvoerder = await _member(db, kantoor_id, Role.BEWINDVOERDER, Role.KANTOORBEHEERDER)
        klantmanager = await _member(db, gemeente_id, Role.KLANTMANAGER, Role.CONSULENT, Role.CONTRACTMANAGER)
        return None if bewindvoerder is None or klantmanager is None else (bewindvoerder, klantmanager)

    scenarios = [_in_time, _late, _due_today, _overdue, _procesafspraak, _counter_question]
    for index, scenario in enumerate(scenarios):
        if not cases:
            break
        case = cases[index % len(cases)]
        pair = await people(case.gemeente_id, case.kantoor_id)
        if pair is None:
            continue
        calendar = await calendars.for_gemeente(db, case.gemeente_id)
        threads.append(await scenario(svc, case, *pair, calendar, today, now))

    convenant = (
        (
            await db.execute(
                select(Convenant).where(col(Convenant.status) == "actief").order_by(col(Convenant.start_date))
            )
        )
        .scalars()
        .first()
    )
    if convenant is not None:
        pair = await people(convenant.gemeente_id, convenant.kantoor_id)
        if pair is not None:
            bewindvoerder, klantmanager = pair
            calendar = await calendars.for_gemeente(db, convenant.gemeente_id)
            asked = _werkdagen_before(calendar, today, 3)
            thread = await svc.start_thread(
                bewindvoerder,
                convenant=convenant,
                subject="Vergoeding van bewindskosten bij een verhuizing naar een andere gemeente",
                body="Goedemiddag,\n\nWelke gemeente betaalt de bewindskosten uit de bijzondere bijstand als een "
                "cliënt halverwege het jaar verhuist? Geldt de datum van inschrijving?\n\nMet vriendelijke groet",
                now=_at(asked, 13, 30),
            )
            reply = _werkdagen_before(calendar, today, 2)
            await svc.post_message(
                klantmanager,
                thread,
                "Dank voor uw vraag. We stemmen dit af met de afdeling Inkomen en komen binnen twee weken met een "
                "antwoord.",
                now=_at(reply, 9, 15),
            )
            threads.append(thread)
    return threads


async def _in_time(
    svc: ThreadService, case: Case, bewindvoerder: User, klantmanager: User, calendar: WerkdagCalendar,
    today: date, now: datetime,
) -> Thread:  # fmt: skip
    asked = _werkdagen_before(calendar, today, 6)
    thread = await svc.start_thread(
        bewindvoerder,
        case=case,
        subject="Stand van de aanvraag bijzondere bijstand",
        body="Goedemorgen,\n\nDe aanvraag voor de bewindskosten is vier weken geleden ingediend. Is er al een "
        "besluit?\n\nMet vriendelijke groet",
        bijzondere_bijstand=True,  # its notices reach the consulenten bijzondere bijstand too
        now=_at(asked, 10),
    )
    answered = _werkdagen_before(calendar, today, 5)
    await svc.post_message(
        klantmanager,
        thread,
        "Goedemiddag,\n\nDe aanvraag is toegekend; de beschikking is gisteren verstuurd.\n\nMet vriendelijke groet",
        kind=MessageKind.INHOUDELIJKE_REACTIE,
        now=_at(answered, 14, 20),
    )
    await svc.using(ReadingService).mark_read(bewindvoerder, thread, now=_at(answered, 16))
    return thread


async def _late(
    svc: ThreadService, case: Case, bewindvoerder: User, klantmanager: User, calendar: WerkdagCalendar,
    today: date, now: datetime,
) -> Thread:  # fmt: skip
    asked = _werkdagen_before(calendar, today, 10)
    thread = await svc.start_thread(
        klantmanager,
        case=case,
        subject="Ontbrekend schuldenoverzicht voor de aanmelding schuldhulpverlening",
        body="Beste bewindvoerder,\n\nVoor de aanmelding bij het Bureau Schuldhulpverlening missen we het "
        "actuele schuldenoverzicht. Kunt u dat aanleveren?",
        now=_at(asked, 9, 30),
    )
    await svc.using(ReadingService).mark_read(bewindvoerder, thread, now=_at(asked, 11))
    answered = _werkdagen_before(calendar, today, 5)
    await svc.post_message(
        bewindvoerder,
        thread,
        "Excuses voor de late reactie. Het overzicht staat nu in het dossier.",
        kind=MessageKind.INHOUDELIJKE_REACTIE,
        now=_at(answered, 11),
    )
    return thread


async def _due_today(
    svc: ThreadService, case: Case, bewindvoerder: User, klantmanager: User, calendar: WerkdagCalendar,
    today: date, now: datetime,
) -> Thread:  # fmt: skip
    due_day = calendar.werkdag_on_or_after(today)
    asked = _werkdagen_before(calendar, due_day, 2)
    return await svc.start_thread(
        bewindvoerder,
        case=case,
        subject="Wijziging van het inkomen per volgende maand",
        body="Goedemiddag,\n\nHet inkomen van cliënt wijzigt per volgende maand. Heeft dit gevolgen voor de "
        "bijzondere bijstand?\n\nMet vriendelijke groet",
        now=_at(asked, 15),
    )


async def _overdue(
    svc: ThreadService, case: Case, bewindvoerder: User, klantmanager: User, calendar: WerkdagCalendar,
    today: date, now: datetime,
) -> Thread:  # fmt: skip
    asked = _werkdagen_before(calendar, today, 6)
    thread = await svc.start_thread(
        bewindvoerder,
        case=case,
        subject="Vraag over het plan van aanpak",
        body="Goedemorgen,\n\nIs het plan van aanpak al besproken met de klantmanager van het BSHV?",
        now=_at(asked, 11, 45),
    )
    await svc.post_message(
        bewindvoerder,
        thread,
        "Ter herinnering: wij wachten nog op uw reactie.",
        now=_at(_werkdagen_before(calendar, today, 2), 9),
    )
    return thread


async def _procesafspraak(
    svc: ThreadService, case: Case, bewindvoerder: User, klantmanager: User, calendar: WerkdagCalendar,
    today: date, now: datetime,
) -> Thread:  # fmt: skip
    asked = _werkdagen_before(calendar, today, 2)
    thread = await svc.start_thread(
        bewindvoerder,
        case=case,
        subject="Betalingsregeling met de gemeentelijke belastingen",
        body="Kan de gemeente een betalingsregeling treffen voor de openstaande aanslag?",
        now=_at(asked, 10, 10),
    )
    answered = _werkdagen_before(calendar, today, 1)
    await svc.post_message(
        klantmanager,
        thread,
        "Daarvoor hebben we advies van de afdeling Belastingen nodig. U heeft uiterlijk op de afgesproken datum "
        "ons antwoord.",
        kind=MessageKind.PROCESAFSPRAAK,
        agreed_date=calendar.werkdag_on_or_after(today + timedelta(days=7)),
        now=_at(answered, 16, 40),
    )
    return thread


async def _counter_question(
    svc: ThreadService, case: Case, bewindvoerder: User, klantmanager: User, calendar: WerkdagCalendar,
    today: date, now: datetime,
) -> Thread:  # fmt: skip
    asked = _werkdagen_before(calendar, today, 3)
    thread = await svc.start_thread(
        klantmanager,
        case=case,
        subject="Nazorg na afronding van de schuldregeling",
        body="Welke vorm van nazorg heeft cliënt afgesproken?",
        now=_at(asked, 9),
    )
    await svc.post_message(
        bewindvoerder,
        thread,
        "Bedoelt u de nazorg via het wijkteam of de budgetcoaching? Dan kunnen we gericht antwoorden.",
        kind=MessageKind.VRAAG_OM_INFORMATIE,
        now=_at(_werkdagen_before(calendar, today, 1), 10),
    )
    return thread
