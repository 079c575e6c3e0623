"""crypto.blind_index: BSN normalisation, the elfproef and the keyed index."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import blind_index, is_valid_bsn, normalise_bsn

INDEX_KEY = bytes(range(32))

VALID = ["111222333", "123456782", "012345672", "100000009", "999999990"]
INVALID = ["123456789", "111222334", "000000000", "", "12345", "1234567890", "abcdefghi", "12345678a"]


@pytest.mark.parametrize("value", VALID)
def test_valid_bsns(value: str) -> None:
    assert is_valid_bsn(value)


@pytest.mark.parametrize("value", INVALID)
def test_invalid_bsns(value: str) -> None:
    assert not is_valid_bsn(value)


def test_eight_digit_bsn_is_padded() -> None:
    assert normalise_bsn("12345672") == "012345672"
    assert is_valid_bsn("12345672")


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("111222333", "111222333"),
        (" 111 222 333 ", "111222333"),
        ("111.222.333", "111222333"),
        ("111-22-2333", "111222333"),
        ("1234.56.782", "123456782"),
        ("\t12 34 56 72\n", "012345672"),
    ],
)
def test_normalise_bsn(raw: str, normal: str) -> None:
    assert normalise_bsn(raw) == normal


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1234567",
        "1234567890",
        "12345678x",
        "١٢٣٤٥٦٧٨٢",
        "１２３４５６７８２",
        "123_456_782",
        "+123456782",
    ],
)
def test_normalise_bsn_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_bsn(raw)
    assert not is_valid_bsn(raw)


def test_elfproef_weights() -> None:
    # 1*9 + 1*8 + 1*7 + 2*6 + 2*5 + 2*4 + 3*3 + 3*2 - 3*1 = 66 = 6 * 11
    assert is_valid_bsn("111222333")
    # Changing any one digit breaks the sum.
    for i in range(9):
        digits = list("111222333")
        digits[i] = str((int(digits[i]) + 1) % 10)
        assert not is_valid_bsn("".join(digits))


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[0-9]{9}", fullmatch=True))
def test_elfproef_matches_definition(value: str) -> None:
    weights = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    expected = sum(w * int(d) for w, d in zip(weights, value, strict=True)) % 11 == 0 and value != "0" * 9
    assert is_valid_bsn(value) == expected


def test_blind_index_is_stable_hex_and_ignores_formatting() -> None:
    index = blind_index(INDEX_KEY, "111222333")
    assert len(index) == 64 and int(index, 16) >= 0
    assert blind_index(INDEX_KEY, "111 222 333") == index
    assert blind_index(INDEX_KEY, "111.222.333", purpose="bsn") == index
    assert "111222333" not in index


def test_blind_index_depends_on_key_purpose_and_value() -> None:
    index = blind_index(INDEX_KEY, "111222333")
    assert blind_index(bytes(32), "111222333") != index
    assert blind_index(INDEX_KEY, "111222333", purpose="other") != index
    assert blind_index(INDEX_KEY, "123456782") != index


def test_blind_index_padding_matches() -> None:
    assert blind_index(INDEX_KEY, "12345672") == blind_index(INDEX_KEY, "012345672")


def test_blind_index_rejects_non_bsn_and_weak_keys() -> None:
    with pytest.raises(ValueError):
        blind_index(INDEX_KEY, "not a bsn")
    with pytest.raises(ValueError):
        blind_index(b"short", "111222333")
    with pytest.raises(ValueError):
        blind_index(INDEX_KEY, "111222333", purpose="")


def test_other_purposes_are_not_bsn_normalised() -> None:
    assert blind_index(INDEX_KEY, "a b", purpose="name") != blind_index(INDEX_KEY, "ab", purpose="name")
    # NFC: a composed and a decomposed é index alike.
    assert blind_index(INDEX_KEY, "\u00e9", purpose="name") == blind_index(INDEX_KEY, "e\u0301", purpose="name")


@settings(max_examples=100, deadline=None)
@given(
    a=st.text(max_size=20),
    b=st.text(max_size=20),
    p=st.sampled_from(["x", "xy"]),
    q=st.sampled_from(["x", "xy"]),
)
def test_purpose_and_value_are_separated(a: str, b: str, p: str, q: str) -> None:
    """(purpose, value) pairs never collide by moving characters between the two."""
    same = (p, unicodedata.normalize("NFC", a)) == (q, unicodedata.normalize("NFC", b))
    assert (blind_index(INDEX_KEY, a, purpose=p) == blind_index(INDEX_KEY, b, purpose=q)) == same
