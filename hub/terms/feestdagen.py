"""The algemeen erkende feestdagen of the Algemene termijnenwet (Atw), art. 3.

Art. 3 lid 1 names: Nieuwjaarsdag, tweede Paasdag, Hemelvaartsdag, tweede Pinksterdag, eerste en tweede
Kerstdag, the day on which the King's birthday is celebrated (Koningsdag) and 5 mei. Lid 2 treats Goede
Vrijdag the same way. Eerste Paasdag and eerste Pinksterdag are always a Sunday and need no entry of their
own. Days the Crown declares equal (lid 3) are data, not rules: see ``gelijkgestelde_dagen.txt``.

The `holidays` package is deliberately not used for the list: its default Dutch calendar has 5 mei only every
fifth year. Only Easter comes from ``dateutil.easter`` (a dependency of `holidays`).

Historical rules, so that old dates are computed correctly too:

- Koningsdag (from 2014): 27 April, or 26 April when the 27th is a Sunday.
- Koninginnedag (until 2013): 30 April; when that is a Sunday, 29 April from 1980 on and 1 May before 1980.
- 5 mei became a yearly feestdag of the Atw in 1982; earlier years do not have it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

from dateutil.easter import easter

__all__ = ["feestdagen"]

_SUNDAY = 6


def _koningsdag(year: int) -> tuple[date, str]:
    if year >= 2014:
        day = date(year, 4, 27)
        if day.weekday() == _SUNDAY:
            day = date(year, 4, 26)
        return day, "Koningsdag"
    day = date(year, 4, 30)
    if day.weekday() == _SUNDAY:
        day = date(year, 4, 29) if year >= 1980 else date(year, 5, 1)
    return day, "Koninginnedag"


@lru_cache(maxsize=1024)
def feestdagen(year: int) -> Mapping[date, str]:
    """The national feestdagen of ``year`` (Atw art. 3 lid 1 and 2) with their Dutch names.

    Saturday and Sunday are never werkdagen anyway, but a feestdag on a weekend is still listed (for its
    name). When two feestdagen fall on the same day (5 mei on Hemelvaartsdag, as in 2016), the names are
    joined with "en". The result is cached per year and read-only.
    """
    paschen = easter(year)
    entries: list[tuple[date, str]] = [
        (date(year, 1, 1), "Nieuwjaarsdag"),
        (paschen - timedelta(days=2), "Goede Vrijdag"),
        (paschen + timedelta(days=1), "tweede Paasdag"),
        _koningsdag(year),
        (paschen + timedelta(days=39), "Hemelvaartsdag"),
        (paschen + timedelta(days=50), "tweede Pinksterdag"),
        (date(year, 12, 25), "eerste Kerstdag"),
        (date(year, 12, 26), "tweede Kerstdag"),
    ]
    if year >= 1982:
        entries.append((date(year, 5, 5), "Bevrijdingsdag"))
    result: dict[date, str] = {}
    for day, name in sorted(entries):
        result[day] = f"{result[day]} en {name}" if day in result else name
    return MappingProxyType(result)
