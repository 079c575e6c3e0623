"""What may be logged of an unexpected error: its type and place, never its text."""

from __future__ import annotations

from hub.errors import exception_place


def test_exception_place_names_type_and_line_but_not_the_message() -> None:
    try:
        raise ValueError("Jan Jansen 111222333 jan@example.nl")
    except ValueError as exc:
        described = exception_place(exc)
    assert described.startswith("ValueError at ") and described.endswith(".py:" + described.rsplit(":", 1)[1])
    assert "test_errors.py" in described
    assert "Jansen" not in described and "111222333" not in described and "example" not in described
