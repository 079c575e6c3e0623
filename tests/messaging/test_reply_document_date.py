"""A reply with a file dated in the future is refused with the reason at the date field; neither the message nor the
document is kept (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from hub.cases.records import local_today
from hub.documents.forms import FUTURE_DATE
from tests.messaging.test_reply_upload import _ask, assert_nothing_kept, minimal_pdf, post_reply, reply_fields
from tests.messaging.world import World


async def test_a_reply_with_a_file_dated_tomorrow_is_refused(world: World) -> None:
    thread = await _ask(world)
    karim = await world.hub.client_for(world.klantmanager)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    fields = reply_fields(karim, "Hierbij de nota.", kind="inhoudelijke_reactie", document_date=tomorrow)
    response = await post_reply(karim, thread.id, fields, ("nota.pdf", minimal_pdf()))
    assert response.status_code == 400
    assert FUTURE_DATE in response.text
    assert "Hierbij de nota." in response.text  # what was typed comes back
    await assert_nothing_kept(world, thread)
