"""What may be logged of an unexpected error: its type and place, never its text."""

from __future__ import annotations

import logging

import pytest

from hub.errors import exception_place
from tests.support.hubclient import HubUnderTest


def test_exception_place_names_type_and_line_but_not_the_message() -> None:
    try:
        raise ValueError("Jan Jansen 111222333 jan@example.nl")
    except ValueError as exc:
        described = exception_place(exc)
    assert described.startswith("ValueError at ") and described.endswith(".py:" + described.rsplit(":", 1)[1])
    assert "test_errors.py" in described
    assert "Jansen" not in described and "111222333" not in described and "example" not in described


async def test_an_unexpected_error_logs_the_route_not_the_path_it_was_asked_for(
    hub_sqlite: HubUnderTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A path can hold a secret (an enrolment link's token): the error log names the route's template."""
    from hub.accounts.enrolment import EnrolmentService

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(EnrolmentService, "user_for", broken)
    token = "Q" * 43
    with caplog.at_level(logging.ERROR, logger="hub.web"):
        response = await hub_sqlite.client().get(f"/activeren/{token}")
    assert response.status_code == 500
    assert "/activeren/{token}" in caplog.text
    assert token not in caplog.text
