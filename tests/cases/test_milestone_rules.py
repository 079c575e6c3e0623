"""The pure rules of a case's path: the status the milestones give, the timeline's steps and terms (checked against
hub.terms), corrections and withdrawals, and the reminder stages of a term."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

from hub.cases.case_terms import current_stage, next_stage_on, stages
from hub.cases.milestones import K, MilestoneKind, Side, effective, latest, order_error, recordable, status_for
from hub.cases.models import Case, CaseMilestone, CaseStatus
from hub.cases.timeline import StepState, timeline
from hub.terms import (
    AMSTERDAM,
    aanmelding_schuldhulp_due,
    aanvraag_bijzondere_bijstand_due,
    afspraak_nieuwe_klant_due,
    contact_nieuwe_klant_due,
    default_calendar,
    end_of_day,
    melding_wijziging_due,
    uitstroomverslag_window,
)

CAL = default_calendar()
_ids = count(1)
KANTOOR, GEMEENTE = "k" * 32, "g" * 32


def case(kind: str = "schuldenbewind") -> Case:
    return Case(
        id="c" * 32, reference="2026-000001", convenant_id="v" * 32, gemeente_id=GEMEENTE, kantoor_id=KANTOOR,
        client_name=b"", bsn=b"", bsn_index="", birth_date=b"", bewind_kind=kind, rechtbank="Rechtbank Gelderland",
        created_by="u" * 32,
    )  # fmt: skip


def m(kind: MilestoneKind, day: date, **kw: object) -> CaseMilestone:
    n = next(_ids)
    values: dict[str, object] = dict(
        id=f"{n:032x}", case_id="c" * 32, kind=kind.value, milestone_date=day, recorded_by="u" * 32,
        recorded_by_org_id=KANTOOR, recorded_at=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=n),
    )  # fmt: skip
    values.update(kw)
    return CaseMilestone(**values)  # type: ignore[arg-type]


def steps_by_kind(case_: Case, rows: list[CaseMilestone], today: date) -> dict[MilestoneKind, object]:
    return {s.kind: s for s in timeline(case_, rows, CAL, today) if s.kind is not K.MELDING_WIJZIGING}


def test_status_follows_the_milestones_in_order() -> None:
    rows: list[CaseMilestone] = []
    assert status_for(rows) is CaseStatus.AANGEMELD
    rows.append(m(K.BESCHIKKING, date(2025, 1, 6), detail_date=date(2025, 1, 6)))
    assert status_for(rows) is CaseStatus.ACTIEF
    rows.append(m(K.AANMELDING_SCHULDHULP, date(2025, 6, 2)))
    rows.append(m(K.START_SCHULDREGELING, date(2025, 9, 1), outcome="minnelijk"))
    assert status_for(rows) is CaseStatus.IN_SCHULDREGELING
    stays = m(K.UITSTROOMVERSLAG, date(2027, 10, 1), outcome="blijft")
    assert status_for([*rows, stays]) is CaseStatus.IN_SCHULDREGELING  # the screening says: stays in bewind
    rows.append(m(K.UITSTROOMVERSLAG, date(2027, 10, 1), outcome="zelfstandig"))
    assert status_for(rows) is CaseStatus.UITSTROOM
    end = m(K.EINDE_BEWIND, date(2028, 9, 1), outcome="uitstroom")
    rows.append(end)
    assert status_for(rows) is CaseStatus.BEEINDIGD
    # Withdrawn (a void record superseding it): the case is in uitstroom again; the history keeps both.
    rows.append(m(K.EINDE_BEWIND, end.milestone_date, supersedes_id=end.id, void=True))
    assert status_for(rows) is CaseStatus.UITSTROOM
    assert len(rows) == 6 and end not in effective(rows)


def test_a_correction_replaces_the_fact_in_force() -> None:
    first = m(K.BESCHIKKING, date(2025, 1, 6), detail_date=date(2025, 1, 6))
    fixed = m(K.BESCHIKKING, date(2025, 1, 8), detail_date=date(2025, 1, 10), supersedes_id=first.id)
    assert effective([first, fixed]) == [fixed]
    steps = steps_by_kind(case(), [first, fixed], date(2025, 2, 1))
    assert steps[K.AANVRAAG_BIJSTAND].due_at == aanvraag_bijzondere_bijstand_due(date(2025, 1, 8), calendar=CAL)  # type: ignore[attr-defined]
    assert steps[K.AANMELDING_SCHULDHULP].due_at == aanmelding_schuldhulp_due(date(2025, 1, 10), calendar=CAL)  # type: ignore[attr-defined]


def test_timeline_before_the_court_decides() -> None:
    today = date(2025, 3, 3)
    steps = steps_by_kind(case(), [m(K.AANMELDING_VERZONDEN, date(2025, 2, 3))], today)
    assert steps[K.AANMELDING_VERZONDEN].state is StepState.DONE  # type: ignore[attr-defined]
    assert steps[K.ADVIES].state is StepState.TODO  # type: ignore[attr-defined]
    assert steps[K.BESCHIKKING].state is StepState.TODO  # type: ignore[attr-defined]
    for kind in (K.AANVRAAG_BIJSTAND, K.AANMELDING_SCHULDHULP, K.UITSTROOMVERSLAG, K.CONTACT_NIEUWE_KLANT):
        assert steps[kind].state is StepState.NOT_APPLICABLE, kind  # type: ignore[attr-defined]


def test_every_term_comes_from_hub_terms() -> None:
    referral, beschikking, start = date(2025, 4, 24), date(2025, 5, 2), date(2025, 9, 15)
    rows = [
        m(K.VERWIJZING, referral, outcome="few", recorded_by_org_id=GEMEENTE),
        m(K.BESCHIKKING, beschikking, detail_date=date(2025, 5, 5)),
        m(K.CONTACT_NIEUWE_KLANT, date(2025, 4, 29)),
        m(K.AANMELDING_SCHULDHULP, date(2025, 8, 1)),
        m(K.START_SCHULDREGELING, start, outcome="wsnp", recorded_by_org_id=GEMEENTE),
        m(K.MELDING_WIJZIGING, date(2025, 6, 20), detail_date=date(2025, 6, 1), recorded_by_org_id=GEMEENTE),
    ]
    today = date(2025, 10, 1)
    all_steps = timeline(case(), rows, CAL, today)
    steps = {s.kind: s for s in all_steps if s.kind is not K.MELDING_WIJZIGING}
    noon = datetime(2025, 4, 24, 12, tzinfo=AMSTERDAM)
    contact, afspraak = steps[K.CONTACT_NIEUWE_KLANT], steps[K.AFSPRAAK_NIEUWE_KLANT]
    assert contact.due_at == contact_nieuwe_klant_due(noon, calendar=CAL)
    # 24 April + 2 werkdagen: 25 April, then 28 April (26 April Koningsdag 2025 is a Saturday; 27th a Sunday).
    assert contact.state is StepState.DONE and contact.in_time is False
    assert afspraak.due_at == afspraak_nieuwe_klant_due(noon, calendar=CAL) and afspraak.state is StepState.LATE
    assert steps[K.AANVRAAG_BIJSTAND].due_at == aanvraag_bijzondere_bijstand_due(beschikking, calendar=CAL)
    assert steps[K.AANVRAAG_BIJSTAND].state is StepState.LATE and steps[K.AANVRAAG_BIJSTAND].owed_by is Side.KANTOOR
    schuldhulp = steps[K.AANMELDING_SCHULDHULP]
    assert schuldhulp.due_at == aanmelding_schuldhulp_due(date(2025, 5, 5), calendar=CAL) and schuldhulp.in_time
    opens, due = uitstroomverslag_window(start, calendar=CAL)
    verslag = steps[K.UITSTROOMVERSLAG]
    assert (verslag.opens_on, verslag.due_at, verslag.state) == (opens, due, StepState.DUE)
    melding = next(s for s in all_steps if s.kind is K.MELDING_WIJZIGING)
    assert melding.due_at == melding_wijziging_due(date(2025, 6, 1), calendar=CAL)
    assert melding.in_time is False and melding.owed_by is Side.GEMEENTE
    assert steps[K.BESLUIT_BIJSTAND].state is StepState.NOT_APPLICABLE


def test_an_agreed_extension_moves_the_schuldhulp_term() -> None:
    rows = [
        m(K.BESCHIKKING, date(2025, 1, 6), detail_date=date(2025, 1, 6)),
        m(K.UITSTEL_SCHULDHULP, date(2025, 12, 1), detail_date=date(2026, 4, 4), recorded_by_org_id=GEMEENTE),
    ]
    step = steps_by_kind(case(), rows, date(2026, 2, 1))[K.AANMELDING_SCHULDHULP]
    assert step.due_at == end_of_day(date(2026, 4, 7))  # type: ignore[attr-defined]  # Saturday 4 April → Tuesday (Easter Monday)
    assert "Uitgesteld tot" in step.note  # type: ignore[attr-defined]


def test_toestandenbewind_has_no_schuldhulp_steps_and_an_ended_case_owes_nothing() -> None:
    rows = [m(K.BESCHIKKING, date(2025, 1, 6), detail_date=date(2025, 1, 6))]
    steps = steps_by_kind(case("toestandenbewind"), rows, date(2025, 2, 1))
    assert steps[K.AANMELDING_SCHULDHULP].state is StepState.NOT_APPLICABLE  # type: ignore[attr-defined]
    assert steps[K.AANVRAAG_BIJSTAND].state is StepState.DUE  # type: ignore[attr-defined]
    ended = [*rows, m(K.EINDE_BEWIND, date(2025, 2, 1), outcome="overlijden")]
    for step in timeline(case(), ended, CAL, date(2026, 2, 1)):
        assert not step.running, step.kind
    got = latest(effective(ended))
    assert not recordable(K.AANVRAAG_BIJSTAND, got, ended=True, schulden=True)
    assert recordable(K.NAZORG_AANGEBODEN, got, ended=True, schulden=True)
    assert not recordable(K.NAZORG_GEACCEPTEERD, got, ended=True, schulden=True)  # offered first


def test_order_rules() -> None:
    got = latest(effective([m(K.VERWIJZING, date(2025, 4, 24))]))
    assert order_error(K.CONTACT_NIEUWE_KLANT, date(2025, 4, 23), got) is not None
    assert order_error(K.CONTACT_NIEUWE_KLANT, date(2025, 4, 24), got) is None
    assert not recordable(K.AANVRAAG_BIJSTAND, got, ended=False, schulden=True)  # no beschikking yet


def test_reminder_stages_of_a_term() -> None:
    due = end_of_day(date(2026, 3, 16))
    marks = [(s.mark, s.begins, s.ends) for s in stages("aanmelding_schuldhulp", due, (2, 1))]
    assert marks == [
        ("nadert-2", date(2026, 1, 16), date(2026, 2, 15)),
        ("nadert-1", date(2026, 2, 16), date(2026, 3, 15)),
        ("vandaag", date(2026, 3, 16), date(2026, 3, 16)),
        ("verlopen", date(2026, 3, 17), date(2026, 3, 30)),
    ]
    assert [s.mark for s in stages("aanvraag_bijzondere_bijstand", due, (2, 1))] == ["vandaag", "verlopen"]
    assert current_stage("aanmelding_schuldhulp", due, (2, 1), date(2026, 2, 20)).mark == "nadert-1"  # type: ignore[union-attr]
    assert current_stage("aanmelding_schuldhulp", due, (2, 1), date(2026, 1, 1)) is None
    assert current_stage("aanmelding_schuldhulp", due, (2, 1), date(2026, 4, 1)) is None  # long past: not mailed
    assert next_stage_on("aanmelding_schuldhulp", due, (2, 1), date(2026, 2, 20), set()) == date(2026, 2, 20)
    assert next_stage_on("aanmelding_schuldhulp", due, (2, 1), date(2026, 2, 20), {"nadert-1"}) == date(2026, 3, 16)
    assert next_stage_on("aanmelding_schuldhulp", due, (2, 1), date(2026, 3, 17), {"verlopen"}) is None
