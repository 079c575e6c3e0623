"""Exceptions that services raise and the web layer translates (services never import Starlette)."""

from __future__ import annotations


class NotFound(Exception):
    """The object does not exist *for this caller*: unknown, or of another organisation. Answered with 404."""


class Forbidden(Exception):
    """The caller may see the object but not do this with it (e.g. a role is missing). Answered with 403."""


class ValidationError(ValueError):
    """Bad input; `errors` maps a form field to a Dutch message. Nothing was changed. `suggestions` maps a field to
    a value the form shows instead of the one given, for the user to confirm (the error says so)."""

    def __init__(self, errors: dict[str, str], *, suggestions: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.suggestions = suggestions or {}


class OutcomeUnknown(Exception):
    """A commit whose answer was lost (the connection broke at that moment): the change may or may not be stored.
    Nothing is undone on that basis (a blob whose row may be committed is kept; the orphan sweep, which checks the
    database, decides later), and the user is told to check. ``what``: the Dutch word for what was being saved."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class StorageUnavailable(Exception):
    """The blob store failed unexpectedly (an S3 error answer, a connection error, a time-out): the upload was not
    stored, the download cannot start. Answered with 503 and Retry-After. ``code`` is the provider's error code or
    the exception's type, the only part that may be logged (a message can quote a key or a request)."""

    RETRY_AFTER = 30  # seconds

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def exception_place(exc: BaseException) -> str:
    """``TypeName at file:line`` of where ``exc`` was raised: what may be logged of an unexpected error. Its text
    may not, because it can hold personal data (a database error quotes its statement's parameters)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
    return f"{type(exc).__name__} at {where}"
