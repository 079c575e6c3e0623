"""The recovery codes as a file to keep, or as a page to print. The codes are stored only as HMACs, so the page
that shows them once posts them back here; only well-formed codes are accepted, and the answer is never cached."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hub.accounts.totp import RECOVERY_CODE_CHARS
from hub.web.forms import form_lists, form_values
from hub.web.guards import login_required
from hub.web.templating import render

CODE = re.compile(rf"^[a-z2-7]{{4}}(?:-[a-z2-7]{{4}}){{{RECOVERY_CODE_CHARS // 4 - 1}}}$")
MAX_CODES = 20
NO_STORE = {"Cache-Control": "no-store"}


def recovery_codes_text(codes: list[str]) -> str:
    lines = [
        "Herstelcodes voor de beveiligde omgeving gemeenten en bewindvoerders",
        "",
        "Met een herstelcode logt u in als u uw telefoon niet bij de hand heeft. Elke code werkt een keer.",
        "Bewaar dit bestand op een veilige plek, niet op de computer waarmee u inlogt.",
        "",
        *codes,
        "",
    ]
    return "\n".join(lines)


@login_required()
async def recovery_codes_copy(request: Request) -> Response:
    codes = await form_lists(request, "code")
    if not codes or len(codes) > MAX_CODES or not all(CODE.match(c) for c in codes):
        return PlainTextResponse("Geen geldige herstelcodes.", status_code=400, headers=NO_STORE)
    if (await form_values(request)).get("als") == "afdrukken":
        return render(request, "accounts/recovery_codes_print.html", {"codes": codes}, headers=NO_STORE)
    return PlainTextResponse(
        recovery_codes_text(codes),
        headers={**NO_STORE, "Content-Disposition": 'attachment; filename="herstelcodes.txt"'},
    )


routes = [
    Route("/account/herstelcodes/bewaren", recovery_codes_copy, methods=["POST"], name="accounts.recovery_codes_copy"),
]
