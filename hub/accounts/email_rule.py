"""What the hub accepts as an e-mail address (a fixed contact address, a login name): one rule, a leaf module."""

from __future__ import annotations

import re

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[a-z]{2,}$", re.IGNORECASE)


def valid_email(value: str) -> bool:
    return bool(EMAIL_RE.match(value)) and len(value) <= 254
