"""Writes that name the person who made them (a case's opener, a correction's author, a milestone's recorder, a
thread's starter): a person's token only, until an organisation's token has a stored actor of its own."""

from __future__ import annotations

from hub.api.operations import Call
from hub.api.problems import ApiProblem

NO_PERSON = (
    "Een organisatiesleutel kan dit nog niet: de hub legt vast welke persoon het deed. Gebruik de API-sleutel van "
    "een medewerker."
)


def require_person(call: Call) -> None:
    """403 for an organisation's token; call it after the object was found (another organisation's: 404 first)."""
    if not call.principal.is_person:
        raise ApiProblem(403, NO_PERSON)
