"""Terms: the werkdagen calendar of the Algemene termijnenwet and every deadline rule of the convenant.

This package imports nothing else of the project (only the standard library, zoneinfo, holidays/dateutil).
All moments are Europe/Amsterdam; every term ends at 23:59:59 local time on its last day (timezone-aware), and the
whole last second counts: a term has passed only from the next day on (:mod:`hub.terms.passing`).
"""

from hub.terms.deadlines import (
    aanmelding_schuldhulp_due,
    aanmelding_schuldhulp_warn_from,
    aanvraag_bijzondere_bijstand_due,
    afspraak_nieuwe_klant_due,
    algemene_eerste_reactie_due,
    algemene_inhoudelijke_reactie_due,
    contact_nieuwe_klant_due,
    controle_contactgegevens_due,
    decharge_due,
    melding_wijziging_due,
    reactie_casuistiek_due,
    uitstroomverslag_window,
)
from hub.terms.feestdagen import feestdagen
from hub.terms.passing import is_overdue, passed_before, within_term
from hub.terms.werkdagen import (
    AMSTERDAM,
    DECREE_DAY_NAME,
    GEMEENTE_CLOSED_NAME,
    NaiveDatetimeError,
    WerkdagCalendar,
    add_months,
    add_period,
    add_werkdagen,
    as_local_date,
    default_calendar,
    end_of_day,
    is_werkdag,
    load_decree_days,
    next_werkdag,
    require_aware,
    werkdag_on_or_after,
    werkdagen_between,
)
from hub.terms.wording import describe_due, format_datum

__all__ = [
    "AMSTERDAM",
    "DECREE_DAY_NAME",
    "GEMEENTE_CLOSED_NAME",
    "NaiveDatetimeError",
    "WerkdagCalendar",
    "aanmelding_schuldhulp_due",
    "aanmelding_schuldhulp_warn_from",
    "aanvraag_bijzondere_bijstand_due",
    "add_months",
    "add_period",
    "add_werkdagen",
    "afspraak_nieuwe_klant_due",
    "algemene_eerste_reactie_due",
    "algemene_inhoudelijke_reactie_due",
    "as_local_date",
    "contact_nieuwe_klant_due",
    "controle_contactgegevens_due",
    "decharge_due",
    "default_calendar",
    "describe_due",
    "end_of_day",
    "feestdagen",
    "format_datum",
    "is_overdue",
    "is_werkdag",
    "load_decree_days",
    "melding_wijziging_due",
    "next_werkdag",
    "passed_before",
    "reactie_casuistiek_due",
    "require_aware",
    "uitstroomverslag_window",
    "werkdag_on_or_after",
    "werkdagen_between",
    "within_term",
]
