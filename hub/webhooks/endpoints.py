"""An organisation's webhook endpoints, managed by its administrator (kantoorbeheerder, gemeentebeheerder: the same
right as the organisation's API tokens). Every query is scoped to the administrator's organisation; another's
endpoint is :class:`NotFound`. Adding, removing, pausing, resuming and rotating are audited (the URL is not).

The signing secret is ``whsec_`` + base64 of 32 random bytes (Standard Webhooks), shown once by the page that made
it and kept field-encrypted under the keyring; rotating replaces it at once (deliveries after that are signed with
the new one).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring, decrypt_text, encrypt_field
from hub.accounts.authz import Action, require
from hub.accounts.models import User
from hub.audit import actions
from hub.audit import services as audit
from hub.db import is_id, new_id, utcnow
from hub.errors import NotFound, ValidationError
from hub.fields import WEBHOOK_SECRET
from hub.webhooks.addresses import AddressRefused, check_url
from hub.webhooks.models import DeliveryStatus, EventType, WebhookDelivery, WebhookEndpoint

OBJECT_TYPE = "webhook"
MAX_ENDPOINTS = 10  # per organisation


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (its base64 part decoded)."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def read_secret(keyring: Keyring, endpoint: WebhookEndpoint) -> str:
    return decrypt_text(keyring, endpoint.secret, context=WEBHOOK_SECRET.context(endpoint.id))


@dataclass(frozen=True)
class EndpointView:
    """An endpoint as the page lists it, with how many deliveries wait."""

    endpoint: WebhookEndpoint
    waiting: int


class WebhookService:
    def __init__(self, db: AsyncSession, keyring: Keyring, *, allow_private: bool = False) -> None:
        self.db = db
        self.keyring = keyring
        self.allow_private = allow_private

    async def _audit(self, user: User, action: str, endpoint_id: str) -> None:
        await audit.record(
            self.db, user_id=user.id, organisation_id=user.organisation_id, action=action,
            object_type=OBJECT_TYPE, object_id=endpoint_id,
        )  # fmt: skip

    def _seal(self, endpoint_id: str, secret: str) -> bytes:
        return encrypt_field(self.keyring, secret, context=WEBHOOK_SECRET.context(endpoint_id))

    async def list(self, user: User) -> list[EndpointView]:
        require(user, Action.MANAGE_ORGANISATION_TOKENS)
        endpoints = list(
            (
                await self.db.execute(
                    select(WebhookEndpoint)
                    .where(col(WebhookEndpoint.organisation_id) == user.organisation_id)
                    .order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))
                )
            ).scalars()
        )
        waiting: dict[str, int] = {}
        if endpoints:
            counted = await self.db.execute(
                select(col(WebhookDelivery.endpoint_id), func.count())
                .where(
                    col(WebhookDelivery.endpoint_id).in_([e.id for e in endpoints]),
                    col(WebhookDelivery.status).in_([DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]),
                )
                .group_by(col(WebhookDelivery.endpoint_id))
            )
            waiting = {endpoint_id: int(n) for endpoint_id, n in counted.all()}
        return [EndpointView(e, waiting.get(e.id, 0)) for e in endpoints]

    async def add(self, user: User, *, url: str, event_types: Iterable[str]) -> tuple[WebhookEndpoint, str]:
        """A new endpoint and its secret (to show once). Bad input: :class:`ValidationError`, nothing written."""
        require(user, Action.MANAGE_ORGANISATION_TOKENS)
        url = url.strip()
        errors: dict[str, str] = {}
        try:
            await check_url(url, allow_private=self.allow_private)
        except AddressRefused as exc:
            errors["url"] = str(exc)
        chosen = sorted(set(event_types))
        known = {e.value for e in EventType}
        if not chosen or not set(chosen) <= known:
            errors["events"] = "Kies minstens één gebeurtenis."
        count = await self.db.scalar(
            select(func.count()).where(col(WebhookEndpoint.organisation_id) == user.organisation_id)
        )
        if int(count or 0) >= MAX_ENDPOINTS:
            errors["url"] = f"Een organisatie heeft ten hoogste {MAX_ENDPOINTS} webhooks."
        if errors:
            raise ValidationError(errors)
        endpoint_id, secret = new_id(), new_secret()
        endpoint = WebhookEndpoint(
            id=endpoint_id,
            organisation_id=user.organisation_id,
            url=url,
            event_types=",".join(chosen),
            secret=self._seal(endpoint_id, secret),
            created_by=user.id,
            created_at=utcnow(),
        )
        self.db.add(endpoint)
        await self.db.flush()
        await self._audit(user, actions.WEBHOOK_ADD, endpoint.id)
        return endpoint, secret

    async def _own(self, user: User, endpoint_id: str) -> WebhookEndpoint:
        require(user, Action.MANAGE_ORGANISATION_TOKENS)
        endpoint = await self.db.get(WebhookEndpoint, endpoint_id) if is_id(endpoint_id) else None
        if endpoint is None or endpoint.organisation_id != user.organisation_id:
            raise NotFound(OBJECT_TYPE)
        return endpoint

    async def set_active(self, user: User, endpoint_id: str, active: bool) -> WebhookEndpoint:
        """Pause (no new deliveries; those already waiting still go) or resume an endpoint."""
        endpoint = await self._own(user, endpoint_id)
        if endpoint.active != active:
            endpoint.active = active
            self.db.add(endpoint)
            await self._audit(user, actions.WEBHOOK_RESUME if active else actions.WEBHOOK_PAUSE, endpoint.id)
        return endpoint

    async def rotate(self, user: User, endpoint_id: str) -> str:
        """A new secret for the endpoint (to show once); the old one no longer signs anything."""
        endpoint = await self._own(user, endpoint_id)
        secret = new_secret()
        endpoint.secret = self._seal(endpoint.id, secret)
        endpoint.secret_rotated_at = utcnow()
        self.db.add(endpoint)
        await self._audit(user, actions.WEBHOOK_ROTATE, endpoint.id)
        return secret

    async def remove(self, user: User, endpoint_id: str) -> None:
        """The endpoint and its deliveries, waiting or done, are gone (the audit records stay)."""
        endpoint = await self._own(user, endpoint_id)
        await self.db.execute(delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id))
        await self.db.delete(endpoint)
        await self.db.flush()
        await self._audit(user, actions.WEBHOOK_REMOVE, endpoint_id)
