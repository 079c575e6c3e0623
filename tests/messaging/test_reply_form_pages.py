"""The reply form through the app: the kinds offered and preselected for the viewer's side, the explanation under each
of what it does to the terms now (in the page, tied to its radio button), the procesafspraak date that is not a
werkdag, and a crafted POST of a kind the side may not send."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, timedelta

from hub.db import utcnow
from hub.documents.models import Document
from hub.messaging.models import Clock, ClockKind, MessageKind, Thread
from hub.messaging.views.reply import FILE_NOT_KEPT
from hub.terms import AMSTERDAM, default_calendar, end_of_day, format_datum
from hub.web.forms import date_text
from tests.messaging.test_reply_upload import count, minimal_pdf, post_reply, reply_fields
from tests.messaging.world import World
from tests.support.hubclient import HubClient

RADIO = re.compile(r'<input type="radio" id="kind-(\w+)" name="kind" value="\1" aria-describedby="([^"]+)"( checked)?>')


@dataclass
class Option:
    label: str
    checked: bool
    effect: str
    described_by: list[str]


def reply_options(page: str) -> dict[str, Option]:
    """The reply form's radio buttons by value: label, checked, the explanation its aria-describedby points to."""
    form = page[page.index('<fieldset id="kind"') :]
    form = form[: form.index("</fieldset>")]
    options = {}
    for match in RADIO.finditer(form):
        value, described_by, checked = match.group(1), match.group(2).split(), bool(match.group(3))
        label = re.search(rf'<label for="kind-{value}">([^<]+)</label>', form)
        effect = re.search(rf'<p class="option-effect" id="kind-{value}-effect">([^<]+)</p>', form)
        assert label and effect, value
        assert f"kind-{value}-effect" in described_by
        options[value] = Option(html.unescape(label.group(1)), checked, html.unescape(effect.group(1)), described_by)
    return options


async def _clocks(world: World, thread: Thread) -> dict[ClockKind, Clock]:
    clocks: list[Clock] = await world.call("clocks", world.klantmanager, thread.id)
    return {ClockKind(c.kind): c for c in clocks if c.running}


async def _page(client: HubClient, thread: Thread) -> dict[str, Option]:
    response = await client.get(f"/berichten/{thread.id}")
    assert response.status_code == 200
    return reply_options(response.text)


async def test_my_side_owes_a_case_answer(world: World) -> None:
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    due = format_datum((await _clocks(world, thread))[ClockKind.CASUISTIEK].due_at)
    karim = await world.hub.client_for(world.klantmanager)
    page = (await karim.get(f"/berichten/{thread.id}")).text
    options = reply_options(page)
    assert list(options) == ["inhoudelijke_reactie", "procesafspraak", "vraag_om_informatie", "geen_reactie_nodig"]
    assert [v for v, o in options.items() if o.checked] == ["inhoudelijke_reactie"]
    assert options["inhoudelijke_reactie"].effect == f"Hiermee stopt de termijn van uiterlijk {due}."
    assert options["geen_reactie_nodig"].effect == f"De termijn loopt door (uiterlijk {due})."
    assert options["procesafspraak"].effect.startswith(f"De termijn van uiterlijk {due} schuift op")
    assert options["vraag_om_informatie"].effect.startswith("De termijn gaat naar Bewindvoering De Brug (uiterlijk ")
    assert 'id="agreed_date"' in page

    # Typing the answer and sending with the default stops the term.
    response = await karim.post_form(
        f"/berichten/{thread.id}/reageren", {"body": "Het antwoord.", "kind": "inhoudelijke_reactie"}
    )
    assert response.status_code == 303
    assert await _clocks(world, thread) == {}


async def test_my_side_owes_a_general_question_with_the_first_reaction_due(world: World) -> None:
    thread: Thread = await world.call(
        "start_thread", world.bewindvoerder, convenant=world.convenant, subject="Algemeen", body="?"
    )
    clocks = await _clocks(world, thread)
    first = format_datum(clocks[ClockKind.ALGEMEEN_EERSTE].due_at)
    answer = format_datum(clocks[ClockKind.ALGEMEEN_INHOUDELIJK].due_at)
    karim = await world.hub.client_for(world.klantmanager)
    options = await _page(karim, thread)
    assert list(options) == [
        "bericht", "inhoudelijke_reactie", "procesafspraak", "vraag_om_informatie", "geen_reactie_nodig",
    ]  # fmt: skip
    assert options["bericht"].checked and options["bericht"].label == "Eerste reactie (ontvangstbevestiging)"
    assert options["bericht"].effect == (
        f"Hiermee stopt de termijn van uiterlijk {first} (eerste reactie). "
        f"De termijn loopt door (uiterlijk {answer}, inhoudelijke reactie)."
    )
    assert options["inhoudelijke_reactie"].effect == (
        f"Hiermee stoppen de termijnen van uiterlijk {first} (eerste reactie) en uiterlijk {answer} "
        "(inhoudelijke reactie)."
    )

    # After the first reaction only the substantive answer is owed: that is the default now.
    response = await karim.post_form(f"/berichten/{thread.id}/reageren", {"body": "Ontvangen.", "kind": "bericht"})
    assert response.status_code == 303
    options = await _page(karim, thread)
    assert list(options) == ["inhoudelijke_reactie", "procesafspraak", "vraag_om_informatie", "geen_reactie_nodig"]
    assert options["inhoudelijke_reactie"].checked
    assert options["inhoudelijke_reactie"].effect == (
        f"Hiermee stopt de termijn van uiterlijk {answer} (inhoudelijke reactie)."
    )


async def test_the_other_side_owes(world: World) -> None:
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    due = format_datum((await _clocks(world, thread))[ClockKind.CASUISTIEK].due_at)
    bea = await world.hub.client_for(world.bewindvoerder)
    page = (await bea.get(f"/berichten/{thread.id}")).text
    options = reply_options(page)
    assert list(options) == ["bericht", "geen_reactie_nodig"]  # no procesafspraak, no inhoudelijke reactie
    assert options["bericht"].checked and options["bericht"].label == "Aanvulling of herinnering"
    assert options["bericht"].effect == f"De termijn loopt door (uiterlijk {due})."
    assert 'id="agreed_date"' not in page
    assert "Gemeente Nijmegen is aan zet." in page

    # A crafted POST of a kind this side may not send: a clear error, nothing stored.
    for kind in ("procesafspraak", "inhoudelijke_reactie"):
        response = await bea.post_form(
            f"/berichten/{thread.id}/reageren", {"body": "Gaat niet.", "kind": kind, "agreed_date": "2026-12-31"}
        )
        assert response.status_code == 400
        assert "kan alleen als uw organisatie een reactie verschuldigd is" in response.text
    messages = await world.call("messages", world.bewindvoerder, thread.id)
    assert len(messages) == 1
    assert (await _clocks(world, thread))[ClockKind.CASUISTIEK].stopped_at is None
    # No kind at all is not taken for a plain message.
    response = await bea.post_form(f"/berichten/{thread.id}/reageren", {"body": "Zonder soort."})
    assert response.status_code == 400 and "Kies het soort bericht." in response.text


async def test_nothing_runs(world: World) -> None:
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    await world.call("post_message", world.klantmanager, thread.id, "A", kind=MessageKind.INHOUDELIJKE_REACTIE)
    bea = await world.hub.client_for(world.bewindvoerder)
    options = await _page(bea, thread)
    assert list(options) == ["bericht", "geen_reactie_nodig"]
    assert options["bericht"].checked and options["bericht"].label == "Nieuwe vraag"
    assert options["bericht"].effect.startswith(
        "Hiermee start een termijn van 2 werkdagen voor Gemeente Nijmegen (uiterlijk "
    )
    assert options["geen_reactie_nodig"].effect == "Er start geen reactietermijn."


async def test_a_procesafspraak_date_that_is_not_a_werkdag_is_shown_again_with_the_next_werkdag(world: World) -> None:
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    karim = await world.hub.client_for(world.klantmanager)
    today = utcnow().astimezone(AMSTERDAM).date()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    instead: date = default_calendar().next_werkdag(saturday)
    form = {"body": "Ik vraag het na.", "kind": "procesafspraak", "agreed_date": saturday.isoformat()}
    response = await karim.post_form(f"/berichten/{thread.id}/reageren", form)
    assert response.status_code == 400
    assert f"{format_datum(saturday)} is geen werkdag." in response.text
    assert f'<a href="#agreed_date">{format_datum(saturday)} is geen werkdag.' in response.text  # the summary
    assert f'value="{date_text(instead)}"' in response.text  # the next werkdag, filled in
    assert "Ik vraag het na." in response.text  # what was typed stays
    assert reply_options(response.text)["procesafspraak"].checked
    assert len(await world.call("messages", world.klantmanager, thread.id)) == 1  # nothing stored
    before = (await _clocks(world, thread))[ClockKind.CASUISTIEK]
    assert before.original_due_at is None

    # Sending the form again as shown agrees on the werkdag it offered.
    response = await karim.post_form(f"/berichten/{thread.id}/reageren", {**form, "agreed_date": instead.isoformat()})
    assert response.status_code == 303
    after = (await _clocks(world, thread))[ClockKind.CASUISTIEK]
    assert after.due_at == end_of_day(instead)


async def test_with_a_file_the_non_werkdag_date_is_caught_before_the_file_is_stored(world: World) -> None:
    """The multipart form with a file: the date is checked before the file streams in; nothing is kept."""
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    karim = await world.hub.client_for(world.klantmanager)
    today = utcnow().astimezone(AMSTERDAM).date()
    sunday = today + timedelta(days=(6 - today.weekday()) % 7 or 7)
    instead = default_calendar().next_werkdag(sunday)
    fields = reply_fields(karim, "Zie bijlage.", kind="procesafspraak", agreed_date=sunday.isoformat())
    response = await post_reply(karim, thread.id, fields, ("besluit.pdf", minimal_pdf()))
    assert response.status_code == 400
    assert f"{format_datum(sunday)} is geen werkdag." in response.text
    assert f'value="{date_text(instead)}"' in response.text
    assert FILE_NOT_KEPT in response.text
    assert await count(world, Document) == 0
    assert len(await world.call("messages", world.klantmanager, thread.id)) == 1
