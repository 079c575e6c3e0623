"""The one rule for a date typed into a form (hub.web.forms): what a Dutch user types, what a date picker posts, and
what is refused with a message in the format the field's hint names."""

from __future__ import annotations

from datetime import date

import pytest

from hub.web.forms import DATE_FORMAT_HINT, BadDate, date_field, date_text, invalid_date_message, parse_date


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("1-12-2026", date(2026, 12, 1)),
        ("01-12-2026", date(2026, 12, 1)),
        ("1-2-2026", date(2026, 2, 1)),
        ("31/12/2026", date(2026, 12, 31)),
        ("31.12.2026", date(2026, 12, 31)),
        ("  13-03-2026 ", date(2026, 3, 13)),
        ("2026-12-01", date(2026, 12, 1)),  # what <input type="date"> and older bookmarks post
        ("29-02-2028", date(2028, 2, 29)),
    ],
)
def test_a_dutch_or_iso_date_is_read(typed: str, day: date) -> None:
    assert parse_date(typed) == day


@pytest.mark.parametrize(
    "typed",
    [
        "1-12-26",  # a two-digit year: 1926 or 2026? never guessed
        "01-12-26",
        "12/01/26",
        "29-02-2026",  # not a leap year
        "31-04-2026",
        "0-1-2026",
        "1-13-2026",
        "2026-1-5",  # ISO needs its two digits
        "1 december 2026",
        "1-12-1899",  # outside 1900–2200
        "1-12-2201",
        "",
        "vandaag",
    ],
)
def test_anything_else_is_refused(typed: str) -> None:
    with pytest.raises(BadDate):
        parse_date(typed)


def test_the_message_and_the_hint_speak_the_format_the_user_types() -> None:
    errors: dict[str, str] = {}
    assert date_field("1-12-26", "van", errors, label="begindatum") is None
    assert errors == {"van": "Vul een geldige begindatum in, bijvoorbeeld 13-03-2026 (dag-maand-jaar)."}
    assert "13-03-2026" in DATE_FORMAT_HINT and "dag-maand-jaar" in DATE_FORMAT_HINT
    assert invalid_date_message().startswith("Vul een geldige datum in, bijvoorbeeld 13-03-2026")
    # Optional when empty; a message only when asked for.
    assert date_field("  ", "tot", errors) is None and "tot" not in errors
    assert date_field("", "tot", errors, missing="Vul de einddatum in.") is None
    assert errors["tot"] == "Vul de einddatum in."


def test_a_field_shows_a_date_the_way_it_is_typed() -> None:
    assert date_text(date(2026, 3, 1)) == "01-03-2026"
    assert date_text("2026-03-01") == "01-03-2026"  # a stored or posted ISO date
    assert date_text("1-3-2026") == "1-3-2026"  # what the user typed stays as typed
    assert date_text("2026-02-30") == "2026-02-30"  # not a date: shown again to be corrected
    assert date_text("onzin") == "onzin" and date_text(None) == ""
