"""Exceptions that services raise and the web layer translates (services never import Starlette)."""

from __future__ import annotations


class NotFound(Exception):
    """The object does not exist *for this caller*: unknown, or of another organisation. Answered with 404."""


class Forbidden(Exception):
    """The caller may see the object but not do this with it (e.g. a role is missing). Answered with 403."""


class ValidationError(ValueError):
    """Bad input; `errors` maps a form field to a Dutch message. Nothing was changed."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
