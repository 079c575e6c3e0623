"""The terms of the convenant in words, for the pages that show which terms apply (the contractmanager's convenant
page). One entry per rule of :mod:`hub.terms.deadlines`, naming it; a test checks that each entry's length is what
its rule computes, so the words and the rules cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class TermInWords:
    rule: str  # the name of the function in hub.terms.deadlines
    name: str
    length: str
    starts: str
    stops: str
    owed_by: str
    section: str


CONVENANT_TERMS: tuple[TermInWords, ...] = (
    TermInWords("reactie_casuistiek_due", "Reactie casuïstiek", "2 werkdagen",
                "Een bericht over een dossier komt binnen", "Inhoudelijke reactie of procesafspraak",
                "De partij die het bericht ontvangt", "§1b"),
    TermInWords("algemene_eerste_reactie_due", "Algemene reactie", "2 werkdagen",
                "Een algemene vraag onder het convenant komt binnen", "Een eerste reactie",
                "De partij die de vraag ontvangt", "§1b"),
    TermInWords("algemene_inhoudelijke_reactie_due", "Inhoudelijke reactie op een algemene vraag", "2 weken",
                "Een algemene vraag onder het convenant komt binnen", "Het inhoudelijke antwoord",
                "De partij die de vraag ontvangt", "§1b"),
    TermInWords("contact_nieuwe_klant_due", "Contact met een nieuwe klant", "2 werkdagen",
                "Een verwijzing door de FEW of BSHV", "Het contact is vastgelegd", "Bewindvoerder", "§2.1b"),
    TermInWords("afspraak_nieuwe_klant_due", "Afspraak met een nieuwe klant", "1 week",
                "Een verwijzing door de FEW of BSHV", "De afspraak is vastgelegd", "Bewindvoerder", "§2.1b"),
    TermInWords("aanvraag_bijzondere_bijstand_due", "Aanvraag bijzondere bijstand", "3 maanden",
                "Datum van de benoemingsbeschikking", "De aanvraag met bewijsstukken is ingediend", "Bewindvoerder",
                "§2.2"),
    TermInWords("aanmelding_schuldhulp_due", "Aanmelding schuldhulpverlening", "12 maanden",
                "Start van het bewind", "Aanmelding bij BSHV, of een met BSHV afgesproken uitstel", "Bewindvoerder",
                "§2.3"),
    TermInWords("uitstroomverslag_window", "Uitstroomverslag", "27 maanden (het eerste kwartaal van jaar 3)",
                "Start van de schuldregeling", "Het verslag is opgeladen", "Bewindvoerder", "§2.5"),
    TermInWords("melding_wijziging_due", "Melding wijziging", "2 weken", "Een wijziging die het convenant raakt",
                "De melding is gedaan", "De partij bij wie de wijziging zich voordoet", "§1a.3"),
    TermInWords("controle_contactgegevens_due", "Controle contactgegevens", "1 jaar",
                "De laatste bevestiging van de contactgegevens", "De gegevens zijn opnieuw bevestigd",
                "Elke partij; de contractmanager controleert", "§1a.1"),
    TermInWords("decharge_due", "Nieuwe decharge van de rechtbank", "12 maanden",
                "De datum van de vorige decharge (het convenant noemt geen termijn; de beheerder van de omgeving kan "
                "een andere instellen)", "Een nieuwe decharge is toegevoegd bij Kwaliteitsdocumenten", "Bewindvoerder",
                "§3b"),
)  # fmt: skip


def convenant_terms(decharge_months: int) -> tuple[TermInWords, ...]:
    """The terms as they apply in this hub: the decharge's period is a setting (``HUB_DECHARGE_MONTHS``), so the page
    states the configured one, not the default."""
    return tuple(
        replace(term, length=f"{decharge_months} maanden") if term.rule == "decharge_due" else term
        for term in CONVENANT_TERMS
    )
