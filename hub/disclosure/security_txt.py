"""The security.txt of RFC 9116: where a finder reports a vulnerability in this hub, valid for a limited time.

Built on each request from the settings, so it never goes stale on its own: Expires lies :data:`EXPIRES_AFTER`
ahead of the current day (the RFC asks for less than a year), and the file changes only once a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

EXPIRES_AFTER: Final = timedelta(days=90)
PREFERRED_LANGUAGES: Final = ("nl", "en")


@dataclass(frozen=True)
class SecurityTxt:
    contacts: Sequence[str]  # mailto: or https: URIs, most preferred first
    policy: str  # the disclosure policy's URL
    canonical: str  # where this file lives

    def render(self, now: datetime) -> str:
        if not self.contacts:
            raise ValueError("security.txt needs at least one Contact (RFC 9116 section 2.5.3)")
        day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        lines = [
            "# Een kwetsbaarheid gevonden in deze beveiligde omgeving? Meld die volgens het beleid onder Policy.",
            "# Found a vulnerability in this hub? Please report it as the policy under Policy asks.",
            *(f"Contact: {contact}" for contact in self.contacts),
            f"Expires: {(day + EXPIRES_AFTER).strftime('%Y-%m-%dT%H:%M:%SZ')}",
            f"Preferred-Languages: {', '.join(PREFERRED_LANGUAGES)}",
            f"Policy: {self.policy}",
            f"Canonical: {self.canonical}",
        ]
        return "\n".join(lines) + "\n"
