"""The rules for each field of a case's identity and bewind data, shared by opening a case and correcting it.

Each check returns the cleaned value and a Dutch message, or ``None`` when the value is fine; the caller gathers the
messages per form field and refuses the whole form at once.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from crypto import is_valid_bsn as elfproef_ok
from crypto import normalise_bsn
from hub.cases.models import BewindKind

# The eleven rechtbanken (Wet herziening gerechtelijke kaart, since 2013); the kantonrechter of one of them
# appoints and supervises the bewindvoerder.
RECHTBANKEN: tuple[str, ...] = (
    "Rechtbank Amsterdam",
    "Rechtbank Den Haag",
    "Rechtbank Gelderland",
    "Rechtbank Limburg",
    "Rechtbank Midden-Nederland",
    "Rechtbank Noord-Holland",
    "Rechtbank Noord-Nederland",
    "Rechtbank Oost-Brabant",
    "Rechtbank Overijssel",
    "Rechtbank Rotterdam",
    "Rechtbank Zeeland-West-Brabant",
)
NAME_MAX = 200
OLDEST_AGE_YEARS = 120
# Beschermingsbewind (titel 1.19 BW) exists since 1 januari 1982.
EARLIEST_BEWIND = date(1982, 1, 1)

# (message when missing, message when in the future) per bewind date field.
BEWIND_DATE_MESSAGES: dict[str, tuple[str, str]] = {
    "beschikking_date": (
        "Vul de datum van de benoemingsbeschikking in.",
        "De datum van de benoemingsbeschikking kan niet in de toekomst liggen.",
    ),
    "bewind_start_date": (
        "Vul de ingangsdatum van het bewind in.",
        "De ingangsdatum van het bewind kan niet in de toekomst liggen.",
    ),
}

# When one bewind date is filled in and the other not, at opening: both, or neither while the court has not decided.
PENDING_DATE_MESSAGES: dict[str, str] = {
    "beschikking_date": "Vul ook de datum van de benoemingsbeschikking in, of laat beide datums leeg als de rechtbank "
    "nog niet heeft beslist.",
    "bewind_start_date": "Vul ook de ingangsdatum van het bewind in, of laat beide datums leeg als de rechtbank nog "
    "niet heeft beslist.",
}


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def check_client_name(raw: str) -> tuple[str, str | None]:
    """The name with its whitespace tidied, and what is wrong with it."""
    name = " ".join(raw.split())
    if not name:
        return name, "Vul de naam van de cliënt in."
    if len(name) > NAME_MAX:
        return name, f"De naam is te lang: gebruik hoogstens {NAME_MAX} tekens."
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return name, "De naam bevat een teken dat niet in een naam hoort."
    return name, None


def check_bsn(raw: str) -> tuple[str, str | None]:
    """The BSN as 9 digits (no spaces or dots), and what is wrong with it."""
    if not raw.strip():
        return "", "Vul het burgerservicenummer (BSN) van de cliënt in."
    try:
        digits = normalise_bsn(raw.strip())
    except (TypeError, ValueError):
        return "", "Een BSN bestaat uit 9 cijfers. Controleer het nummer."
    if not elfproef_ok(digits):
        return digits, "Dit is geen geldig BSN: het nummer voldoet niet aan de elfproef. Controleer het nummer."
    return digits, None


def check_birth_date(day: date | None, today: date, beschikking_date: date | None) -> str | None:
    if day is None:
        return "Vul de geboortedatum van de cliënt in."
    if day >= today:
        return "De geboortedatum moet in het verleden liggen."
    if day < years_before(today, OLDEST_AGE_YEARS):
        return f"Controleer de geboortedatum: de cliënt zou ouder zijn dan {OLDEST_AGE_YEARS} jaar."
    if beschikking_date is not None and day >= beschikking_date:
        return "De geboortedatum ligt na de datum van de benoemingsbeschikking. Controleer beide datums."
    return None


def check_bewind_date(field: str, day: date | None, today: date) -> str | None:
    """``field`` is ``beschikking_date`` or ``bewind_start_date``."""
    missing, future = BEWIND_DATE_MESSAGES[field]
    if day is None:
        return missing
    if day > today:
        return future
    if day < EARLIEST_BEWIND:
        return "Controleer de datum: beschermingsbewind bestaat sinds 1 januari 1982."
    return None


def check_bewind_kind(raw: str) -> tuple[BewindKind | None, str | None]:
    try:
        return BewindKind(raw), None
    except ValueError:
        return None, "Kies de soort bewind."


def check_rechtbank(raw: str) -> str | None:
    return None if raw in RECHTBANKEN else "Kies de rechtbank die de benoemingsbeschikking heeft gegeven."
