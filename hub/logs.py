"""How the hub logs: plain text lines (the default) or JSON lines (``HUB_LOG_FORMAT=json``) for a log collector.

Every record gets ``request_id`` (hub.origin.request_id: the id of the request being handled, "" outside one), in
both formats. The JSON formatter is the standard library's ``logging`` with a small formatter, not structlog: the hub
and its libraries (uvicorn, SQLAlchemy, alembic) all log through ``logging`` already, so one formatter on the root
handler covers every line with no second logging system and no new dependency. A JSON line holds only the fields
below; what goes into a message is decided where it is logged, by the same rules as before (ids and route templates,
never personal data).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from hub.origin import request_id

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# Libraries whose debug lines quote a statement's parameters (an e-mail address, a search term): never below info.
PARAMETER_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine")


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (a handler filter: it sees records of every logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, and the exception's type
    and place when there is one (the traceback as a single field, so a line stays a line)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class HubHandler(logging.StreamHandler[TextIO]):
    """The handler :func:`configure_logging` installs (and replaces when called again; other handlers stay)."""


def log_handler(log_format: str, stream: TextIO | None = None) -> logging.Handler:
    handler = HubHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(level: str, log_format: str) -> None:
    """The root logger writes every line (the hub's, uvicorn's, the libraries') through one handler. Like
    ``logging.basicConfig``, it leaves a root logger alone that someone else configured already (a test runner's
    capture, an embedding application)."""
    quiet_parameter_loggers()
    root = logging.getLogger()
    if any(not isinstance(h, HubHandler) for h in root.handlers):
        return
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(log_handler(log_format))
    root.setLevel(level.upper())


def quiet_parameter_loggers() -> None:
    for name in PARAMETER_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)
