"""What a reporter of a vulnerability may expect, and when: the one place of the terms that the disclosure page
shows and SECURITY.md states (a test keeps the two in step). Modelled on the NCSC's Leidraad CVD."""

from __future__ import annotations

from typing import Final

ACKNOWLEDGE_WERKDAGEN: Final = 2  # a human confirms receipt (the convenant's own reaction term)
ASSESS_WERKDAGEN: Final = 5  # our assessment: confirmed or not, severity, and when a fix is expected
FIX_WITHIN_DAYS: Final = 60  # the Leidraad's usual term for software; longer only by agreement with the reporter
