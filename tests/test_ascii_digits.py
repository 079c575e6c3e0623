"""Numbers typed or sent by a client are read as ASCII digits only: str.isdigit() also accepts "²" and "٣", which
int() refuses (a server error) or reads (a surprise). Each place that checks digits is refused cleanly instead."""

from __future__ import annotations

import pytest

from hub.accounts.totp import matching_step, new_secret
from hub.accounts.views.user_search import _page_number
from hub.config import ConfigError, load_settings


@pytest.mark.parametrize("code", ["²²²²²²", "١٢٣٤٥٦", "12345²"])
def test_a_second_factor_in_other_digits_is_wrong_not_an_error(code: str) -> None:
    assert matching_step(new_secret(), code, last_step=None) is None


@pytest.mark.parametrize(("raw", "page"), [("²", 1), ("٣", 1), ("3", 3), ("", 1)])
def test_a_page_number_in_other_digits_is_the_first_page(raw: str, page: int) -> None:
    assert _page_number(raw) == page


def test_a_month_list_setting_in_other_digits_is_refused_by_name(tmp_path: object) -> None:
    with pytest.raises(ConfigError, match="HUB_SCHULDHULP_WARN_MONTHS"):
        load_settings({"HUB_DATA_DIR": str(tmp_path), "HUB_SCHULDHULP_WARN_MONTHS": "²"})
