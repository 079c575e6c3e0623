"""The steekproef op rechtmatigheid (convenant §2.2): the draw itself, pure, reproducible and verifiable.

Algorithm ``hmac-sha256-v1``, which anyone can recompute from what a draw stores (seed, population, rates):

1. The population is a list of (case id, stratum), sorted by stratum, then case id. The stratum is ``deelnemer``
   (the case's kantoor has a convenant with the gemeente in force in the period) or ``buiten_convenant``.
2. Each stratum has a rate in basis points (1/100 of a percent: 1000 = 10 %).
3. Per case: ``u = HMAC-SHA256(key=seed, message=case id as UTF-8)``; its first 8 bytes read as a big-endian
   unsigned integer ``n`` (0 ≤ n < 2^64). The case is drawn when ``n * 10000 < rate * 2^64`` — in words, when the
   uniform number n / 2^64 is below the rate. Integers only, so every machine gets the same answer.
4. The result is the drawn case ids, sorted.

Every case is drawn independently with the probability of its stratum, so the sample size varies around rate × n
(a Bernoulli sample); a case's fate depends only on the seed and its own id, not on the rest of the population.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

ALGORITHM = "hmac-sha256-v1"
BASIS = 10_000  # basis points in one (100 %)
SCALE = 2**64


class Stratum(StrEnum):
    DEELNEMER = "deelnemer"
    BUITEN_CONVENANT = "buiten_convenant"

    @property
    def label(self) -> str:
        return {"deelnemer": "Deelnemer aan het convenant", "buiten_convenant": "Buiten het convenant"}[self.value]


def canonical(population: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The population in its stored order: by stratum, then case id; each case once."""
    return sorted(set(population), key=lambda item: (item[1], item[0]))


def uniform(seed: bytes, case_id: str) -> int:
    """The case's number n, 0 ≤ n < 2^64, from the seed."""
    return int.from_bytes(hmac.new(seed, case_id.encode("utf-8"), hashlib.sha256).digest()[:8], "big")


def drawn(seed: bytes, case_id: str, rate_bp: int) -> bool:
    return uniform(seed, case_id) * BASIS < rate_bp * SCALE


def draw(seed: bytes, population: Sequence[tuple[str, str]], rates_bp: Mapping[str, int]) -> list[str]:
    """The drawn case ids, sorted. ``rates_bp``: per stratum its rate in basis points (a stratum without a rate: 0)."""
    for stratum, rate in rates_bp.items():
        if not 0 <= rate <= BASIS:
            raise ValueError(f"rate of {stratum} out of range: {rate}")
    members = canonical(population)
    return sorted(case_id for case_id, stratum in members if drawn(seed, case_id, rates_bp.get(stratum, 0)))


def verify(
    seed: bytes, population: Sequence[tuple[str, str]], rates_bp: Mapping[str, int], result: Sequence[str]
) -> bool:
    """Whether the stored result is what the stored inputs give."""
    return draw(seed, population, rates_bp) == sorted(result)


def population_json(population: Sequence[tuple[str, str]]) -> str:
    """The population as stored and shown: a JSON list of [case id, stratum] pairs in canonical order."""
    return json.dumps([list(item) for item in canonical(population)], separators=(",", ":"))


def population_from_json(text: str) -> list[tuple[str, str]]:
    return [(str(case_id), str(stratum)) for case_id, stratum in json.loads(text)]


def digest(text: str) -> str:
    """SHA-256 of the stored population text: a short fingerprint to compare copies by."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_rate(raw: str) -> int | None:
    """A percentage typed in a form (``10``, ``2,5``, ``0.25``; at most two decimals, 0–100) in basis points;
    None when it is not one."""
    text = raw.strip().replace(",", ".").removesuffix("%").strip()
    whole, _, fraction = text.partition(".")
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not text.isascii() or not whole.isdigit() or (fraction and not fraction.isdigit()) or len(fraction) > 2:
        return None
    value = int(whole) * 100 + int(fraction.ljust(2, "0") or "0")
    return value if value <= BASIS else None


def format_rate(rate_bp: int) -> str:
    """Basis points as a Dutch percentage: 1000 → ``10 %``, 250 → ``2,5 %``."""
    whole, rest = divmod(rate_bp, 100)
    return f"{whole} %" if not rest else f"{whole},{f'{rest:02d}'.rstrip('0')} %"
