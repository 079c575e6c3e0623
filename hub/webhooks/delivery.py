"""Delivering webhooks: the worker claims due delivery rows (:mod:`hub.notifications.claiming`, as the mails) and
POSTs each payload, signed as Standard Webhooks does, outside any transaction.

Headers: ``webhook-id`` (the delivery's id: the same on every retry, for the receiver to drop doubles),
``webhook-timestamp`` (seconds since the epoch, of this attempt) and ``webhook-signature``
(``v1,`` + base64 of HMAC-SHA256 under the secret's key over ``id.timestamp.body``). An answer 2xx is delivered;
anything else, a time-out or a refused address is retried with back-off (1, 2, 4 … minutes, at most an hour
apart) for about a day, then the row fails. Redirects are not followed; the answer's body is never read nor logged.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import httpx
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring
from hub.db import transaction, utcnow
from hub.errors import exception_place
from hub.notifications.claiming import anything_due, backoff, claim_due, still_claimed
from hub.webhooks.addresses import AddressRefused, check_url
from hub.webhooks.endpoints import read_secret, secret_key
from hub.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

DELIVERY_TABLE = cast(Table, WebhookDelivery.__table__)  # type: ignore[attr-defined]
TIMEOUT = 10.0  # seconds for connecting, sending and the answer's headers, in all
LEASE = timedelta(minutes=10)  # far longer than a batch of deliveries (BATCH x TIMEOUT)
MAX_ATTEMPTS = 30  # 1+2+…+32 minutes, then hourly: about a day of failures, then the row fails visibly
BATCH = 20
USER_AGENT = "hub-webhooks/1"


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header value for one attempt."""
    mac = hmac.new(secret_key(secret), f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


@dataclass(frozen=True)
class Attempt:
    delivery_id: str
    endpoint_id: str
    url: str
    secret: str
    payload: str
    attempts: int


class WebhookOutbox:
    """One batch of due deliveries per call (an :data:`hub.notifications.worker.Outbox` of the worker)."""

    __name__ = "webhooks"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keyring: Keyring,
        *,
        name: str,
        allow_private: bool = False,
        timeout: float = TIMEOUT,
        batch: int = BATCH,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.keyring = keyring
        self.name = name
        self.allow_private = allow_private
        self.timeout = timeout
        self.batch = batch
        self.clock = clock

    async def __call__(self, now: datetime | None = None) -> int:
        now = now or self.clock()
        if not await anything_due(self.sessions, DELIVERY_TABLE, now):
            return 0
        async with transaction(self.sessions) as db:
            ids = await claim_due(db, DELIVERY_TABLE, now=now, name=self.name, batch=self.batch, lease=LEASE)
            rows = (
                await db.execute(
                    select(WebhookDelivery, WebhookEndpoint)
                    .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
                    .where(col(WebhookDelivery.id).in_(ids))
                    .order_by(col(WebhookDelivery.created_at), col(WebhookDelivery.id))
                )
            ).all()
            attempts = [
                Attempt(d.id, e.id, e.url, read_secret(self.keyring, e), d.payload, d.attempts) for d, e in rows
            ]
        if attempts:
            async with httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False, trust_env=False, headers={"user-agent": USER_AGENT}
            ) as client:
                for attempt in attempts:
                    await self.deliver(client, attempt, now)
        return len(ids)

    async def _post(self, client: httpx.AsyncClient, attempt: Attempt) -> tuple[int | None, str | None]:
        """Send one attempt: the answer's status (None: no answer) and, when not delivered, a short reason."""
        try:
            await check_url(attempt.url, allow_private=self.allow_private)
        except AddressRefused as exc:
            return None, str(exc)
        timestamp = int(self.clock().timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": attempt.delivery_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(attempt.secret, attempt.delivery_id, timestamp, attempt.payload),
        }
        try:
            request = client.build_request("POST", attempt.url, content=attempt.payload.encode(), headers=headers)
            async with asyncio.timeout(self.timeout):  # in all: a receiver dripping its headers is cut off too
                response = await client.send(request, stream=True)  # the body is never read
                await response.aclose()
        except (httpx.TimeoutException, TimeoutError):
            return None, "Geen antwoord binnen de wachttijd"
        except httpx.HTTPError as exc:
            return None, f"Niet bereikbaar ({type(exc).__name__})"
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"Antwoord {response.status_code}"

    async def deliver(self, client: httpx.AsyncClient, attempt: Attempt, now: datetime) -> DeliveryStatus | None:
        """POST one claimed delivery and record the outcome; None when the row is no longer this worker's."""
        if not await still_claimed(self.sessions, DELIVERY_TABLE, attempt.delivery_id, self.name):
            log.warning(
                "webhook delivery %s was taken over by another worker; not sent by %s", attempt.delivery_id, self.name
            )
            return None
        try:
            status_code, error = await self._post(client, attempt)
        except Exception as exc:  # a bug must not lose the row: it is retried like a failure
            log.error("webhook delivery %s failed unexpectedly: %s", attempt.delivery_id, exception_place(exc))
            status_code, error = None, f"Interne fout: {type(exc).__name__}"
        moment = self.clock()
        values: dict[str, object] = {"last_status": status_code, "last_error": error}
        if error is None:
            status = DeliveryStatus.DELIVERED
            values["delivered_at"] = moment
        elif attempt.attempts >= MAX_ATTEMPTS:
            status = DeliveryStatus.FAILED
            values["last_error"] = f"Opgegeven na {attempt.attempts} pogingen: {error}"[:300]
        else:
            status = DeliveryStatus.PENDING
            values["next_attempt_at"] = moment + backoff(attempt.attempts)
        values["status"] = status.value
        async with transaction(self.sessions) as db:
            result = await db.execute(
                update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.id) == attempt.delivery_id,
                    col(WebhookDelivery.status) == DeliveryStatus.SENDING.value,
                    col(WebhookDelivery.claimed_by) == self.name,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if not getattr(result, "rowcount", 0):
                log.warning("webhook delivery %s was taken over by another worker", attempt.delivery_id)
                return status
            endpoint_values: dict[str, object] = {
                "last_attempt_at": moment,
                "last_status": status_code,
                "last_error": values["last_error"],
            }
            if status is DeliveryStatus.FAILED:
                endpoint_values["failed_count"] = col(WebhookEndpoint.failed_count) + 1
            await db.execute(
                update(WebhookEndpoint)
                .where(col(WebhookEndpoint.id) == attempt.endpoint_id)
                .values(**endpoint_values)
                .execution_options(synchronize_session=False)
            )
        if status is DeliveryStatus.FAILED:
            log.warning("webhook delivery %s failed: %s", attempt.delivery_id, values["last_error"])
        return status
