"""The draw of a steekproef (hub.monitoring.steekproef): reproducible, verifiable, and at the stratum's rate."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets

import pytest

from hub.monitoring.steekproef import (
    Stratum,
    canonical,
    draw,
    format_rate,
    parse_rate,
    population_from_json,
    population_json,
    uniform,
    verify,
)

D, B = Stratum.DEELNEMER.value, Stratum.BUITEN_CONVENANT.value


def _population(n: int) -> list[tuple[str, str]]:
    return [(f"case{i:05d}", D) for i in range(n)] + [(f"out{i:05d}", B) for i in range(n)]


def test_the_same_seed_and_inputs_give_the_same_sample() -> None:
    seed = secrets.token_bytes(32)
    population = _population(300)
    rates = {D: 1000, B: 3000}
    first = draw(seed, population, rates)
    assert first == draw(seed, list(reversed(population)), rates)  # the order of the input does not matter
    assert verify(seed, population, rates, first)
    assert not verify(seed, population, rates, first[:-1])
    assert first != draw(secrets.token_bytes(32), population, rates)


def test_the_documented_algorithm_by_hand() -> None:
    """A case is drawn when the first 8 bytes of HMAC-SHA256(seed, id), big-endian, over 2^64 is below the rate."""
    seed = bytes(range(32))
    number = int.from_bytes(hmac.new(seed, b"case00001", hashlib.sha256).digest()[:8], "big")
    assert uniform(seed, "case00001") == number
    fraction = number / 2**64
    below = math.floor(fraction * 10_000) + 1  # the smallest rate in basis points above the number
    assert draw(seed, [("case00001", D)], {D: below}) == ["case00001"]
    assert draw(seed, [("case00001", D)], {D: below - 1}) == []
    assert draw(seed, [("case00001", D)], {D: 0}) == []
    assert draw(seed, [("case00001", D)], {D: 10_000}) == ["case00001"]
    with pytest.raises(ValueError):
        draw(seed, [("case00001", D)], {D: 10_001})


def test_participants_are_sampled_at_the_lower_rate_over_many_draws() -> None:
    """200 draws of 500 cases per stratum at 5 % and 20 %: each observed share within four standard errors of its
    rate, and the participants' share below the others' in the great majority of single draws."""
    population = _population(500)
    rates = {D: 500, B: 2000}
    drawn_d = drawn_b = lower = 0
    draws = 200
    for _ in range(draws):
        sample = set(draw(secrets.token_bytes(32), population, rates))
        in_d = sum(1 for case_id, s in population if s == D and case_id in sample)
        in_b = len(sample) - in_d
        drawn_d, drawn_b = drawn_d + in_d, drawn_b + in_b
        lower += in_d < in_b
    n = draws * 500
    for observed, p in ((drawn_d / n, 0.05), (drawn_b / n, 0.20)):
        assert abs(observed - p) < 4 * math.sqrt(p * (1 - p) / n), (observed, p)
    assert lower == draws


def test_population_text_round_trip_and_rates() -> None:
    population = [("b", B), ("a", D), ("c", D), ("a", D)]
    text = population_json(population)
    assert text == '[["b","buiten_convenant"],["a","deelnemer"],["c","deelnemer"]]'
    assert population_from_json(text) == canonical(population)
    assert [parse_rate(x) for x in ("10", "2,5", "0.25", "100", "5 %", "100,01", "-1", "abc", "1,234", "")] == [
        1000, 250, 25, 10_000, 500, None, None, None, None, None
    ]  # fmt: skip
    assert [format_rate(x) for x in (1000, 250, 25, 0)] == ["10 %", "2,5 %", "0,25 %", "0 %"]
