"""Small helpers for reading posted forms and the runtime from a request, and the one rule for a date in a form.

Date fields are plain text fields in the format a Dutch user writes (13-03-2026, also 1-3-2026): a browser's date
picker shows whatever its own locale says, so a hint in one format would not match what the user sees."""

from __future__ import annotations

import re
from datetime import date
from typing import cast

from starlette.requests import Request

from hub.runtime import Runtime

# What <input type="date"> posts, and what a person types where there is no date picker.
ISO_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})$")
DUTCH_DATE = re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$")
FIRST_YEAR, LAST_YEAR = 1900, 2200
DATE_EXAMPLE = "bijvoorbeeld 13-03-2026 (dag-maand-jaar)"
# The hint under every date field; the error message (invalid_date_message) names the same format.
DATE_FORMAT_HINT = "Typ de datum als dag-maand-jaar, bijvoorbeeld 13-03-2026."


class BadDate(ValueError):
    """Not a date by :func:`parse_date`'s rule."""


def parse_date(raw: str) -> date:
    """A date from a form: yyyy-mm-dd or dd-mm-jjjj (also with / or .), in the years 1900–2200; BadDate otherwise."""
    value = raw.strip()
    match = ISO_DATE.match(value) or DUTCH_DATE.match(value)
    if match is None:
        raise BadDate(value)
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise BadDate(value) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadDate(value)
    return day


def date_text(value: date | str | None) -> str:
    """What a date field shows: 13-03-2026 for a date or a stored yyyy-mm-dd; anything else as the user typed it."""
    if value is None:
        return ""
    if isinstance(value, str):
        match = ISO_DATE.match(value.strip())
        if match is None:
            return value
        try:
            day = date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            return value
    else:
        day = value
    return f"{day.day:02d}-{day.month:02d}-{day.year}"


def invalid_date_message(label: str = "datum") -> str:
    """The Dutch message for a date that is not one, e.g. "Vul een geldige begindatum in, bijvoorbeeld ..."."""
    return f"Vul een geldige {label} in, {DATE_EXAMPLE}."


def date_field(raw: str, field: str, errors: dict[str, str], *, missing: str = "", label: str = "datum") -> date | None:
    """Read one date field: None and a Dutch message in ``errors[field]`` when it is wrong, or empty and
    ``missing`` is given (an empty optional field is None without a message)."""
    if not raw.strip():
        if missing:
            errors[field] = missing
        return None
    try:
        return parse_date(raw)
    except BadDate:
        errors[field] = invalid_date_message(label)
        return None


def in_form_order(errors: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """The errors in the order of the form's fields (the error summary lists them so), any others after."""
    ordered = {k: errors[k] for k in fields if k in errors}
    ordered.update({k: v for k, v in errors.items() if k not in ordered})
    return ordered


def runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.hub)


async def form_values(request: Request) -> dict[str, str]:
    """The posted fields as plain strings (files are never posted to these forms)."""
    form = await request.form()
    return {k: v.strip() if isinstance(v, str) else "" for k, v in form.items()}


async def form_lists(request: Request, name: str) -> list[str]:
    form = await request.form()
    return [v for v in form.getlist(name) if isinstance(v, str)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
