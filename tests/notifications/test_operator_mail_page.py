"""The operator's E-mail page shows what was sent, but never an enrolment link: whoever holds the link sets the
account's password, and the operator may never be able to act as a user (issue 10: no back door)."""

from __future__ import annotations

import re

from hub.accounts.roles import OrgKind, Role
from hub.worker import worker_for
from tests.support.hubclient import HubUnderTest

TOKEN_LINK = re.compile(r"/activeren/[A-Za-z0-9_-]{20,}")


async def test_the_operator_reads_enrolment_mails_without_their_link(hub_sqlite: HubUnderTest) -> None:
    hub = hub_sqlite
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    kantoor = await hub.org(OrgKind.KANTOOR, "Bewind & Zo")
    operator = await hub.client_for(await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER))
    added = await operator.post_form(
        "/gebruikers",
        {
            "organisation_id": kantoor.id,
            "name": "Karin Beheer",
            "email": "kb@zo.example.nl",
            "roles": "kantoorbeheerder",
        },
    )
    assert added.status_code == 200
    await worker_for(hub.runtime, name="test-worker").drain()

    # The mail itself (the recipient's copy, on disk without SMTP) holds the link ...
    (eml,) = [p for p in hub.settings.mail_dir.glob("*.eml") if b"kb@zo.example.nl" in p.read_bytes()]
    assert TOKEN_LINK.search(eml.read_text())
    # ... the operator's pages do not.
    listing = await operator.get("/beheer/mail")
    assert eml.name in listing.text and not TOKEN_LINK.search(listing.text)
    shown = await operator.get(f"/beheer/mail/{eml.name}")
    assert shown.status_code == 200 and "kb@zo.example.nl" in shown.text
    assert not TOKEN_LINK.search(shown.text)
    assert "alleen de ontvanger" in shown.text
