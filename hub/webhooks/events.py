"""Events to webhooks, written in the caller's transaction (the outbox pattern): a change rolled back sends nothing.

Producers (messaging, documents, cases) call :func:`enqueue` with the organisations that may see the object (both
parties of a case or thread) and the event's data: ids and kind words only. The data is checked here, so that a
name, a subject or a file name can never reach a receiver: every value must be a hub id or a short lowercase word.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import is_id
from hub.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

__all__ = ["EventType", "enqueue", "payload_of"]

_KEY = re.compile(r"^[a-z][A-Za-z]{1,30}$")  # camelCase
_WORD = re.compile(r"^[a-z0-9_.-]{1,40}$")  # a kind, a step, a status: never free text


def _checked(data: Mapping[str, str | None]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for key, value in data.items():
        if value is None:
            continue
        if not _KEY.match(key):
            raise ValueError(f"webhook data key {key!r} is not a camelCase word")
        if not (is_id(value) if key.endswith("Id") else bool(_WORD.match(value))):
            raise ValueError(f"webhook data {key} must be an id or a kind word")
        clean[key] = value
    return clean


def payload_of(event_type: EventType, data: Mapping[str, str | None], now: datetime) -> str:
    """The JSON body every subscribed endpoint receives: ``{"type", "timestamp", "data"}`` (Standard Webhooks)."""
    body = {
        "type": EventType(event_type).value,
        "timestamp": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": _checked(data),
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


async def enqueue(
    db: AsyncSession,
    event_type: EventType,
    organisation_ids: Iterable[str],
    data: Mapping[str, str | None],
    *,
    now: datetime,
) -> list[WebhookDelivery]:
    """One delivery row per active endpoint of ``organisation_ids`` subscribed to ``event_type``, in ``db``'s
    transaction. With no endpoint it is one indexed read."""
    payload = payload_of(event_type, data, now)  # checked before anything is written
    orgs = sorted({o for o in organisation_ids if o})
    endpoints = (
        await db.execute(
            select(WebhookEndpoint).where(
                col(WebhookEndpoint.organisation_id).in_(orgs), col(WebhookEndpoint.active).is_(True)
            )
        )
    ).scalars()
    rows = [
        WebhookDelivery(
            endpoint_id=endpoint.id,
            organisation_id=endpoint.organisation_id,
            event_type=event_type.value,
            payload=payload,
            created_at=now,
            next_attempt_at=now,
        )
        for endpoint in endpoints
        if event_type.value in endpoint.event_set
    ]
    db.add_all(rows)
    return rows
