"""The webhook tables: an organisation's endpoints and the deliveries waiting for (or done by) the worker.

A delivery row is written in the transaction of the change it tells of (the outbox pattern); the worker claims it
like a mail (:mod:`hub.notifications.claiming`: the same columns, lease and back-off). Its payload is JSON of ids and
kinds only. The signing secret is field-encrypted under the keyring, bound to its row (:data:`hub.fields`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from hub.db import UTCDateTime, new_id, utcnow


def _moment(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class EventType(StrEnum):
    """The events an endpoint may subscribe to (the API contract's strings)."""

    MESSAGE_CREATED = "message.created"
    DOCUMENT_CREATED = "document.created"
    TERM_DUE_TODAY = "term.due_today"
    TERM_PASSED = "term.passed"
    MILESTONE_CHANGED = "milestone.changed"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS: dict[EventType, str] = {
    EventType.MESSAGE_CREATED: "Nieuw bericht",
    EventType.DOCUMENT_CREATED: "Nieuw document",
    EventType.TERM_DUE_TODAY: "Termijn verloopt vandaag",
    EventType.TERM_PASSED: "Termijn verlopen",
    EventType.MILESTONE_CHANGED: "Mijlpaal gewijzigd",
}


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for a worker (from next_attempt_at)
    SENDING = "sending"  # claimed by a worker; taken up again when next_attempt_at (the lease) has passed
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # given up after about a day of failures

    @property
    def label(self) -> str:
        return {
            DeliveryStatus.PENDING: "Wacht",
            DeliveryStatus.SENDING: "Wordt verzonden",
            DeliveryStatus.DELIVERED: "Afgeleverd",
            DeliveryStatus.FAILED: "Mislukt",
        }[self]


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=32)
    url: str = Field(max_length=500)  # https (or, with HUB_WEBHOOK_ALLOW_PRIVATE, any http(s)) URL of the receiver
    event_types: str = Field(max_length=200)  # comma-separated EventType values
    secret: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # field-encrypted "whsec_..."
    active: bool = True  # paused endpoints get no new deliveries
    created_by: str = Field(foreign_key="user_account.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    secret_rotated_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    # The last attempt's outcome, shown on the page: HTTP status (None: no answer) and a short reason.
    last_attempt_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=300)
    failed_count: int = 0  # deliveries given up on

    @property
    def event_set(self) -> frozenset[str]:
        return frozenset(e for e in self.event_types.split(",") if e)


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_status_next", "status", "next_attempt_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)  # also the webhook-id header
    endpoint_id: str = Field(foreign_key="webhook_endpoint.id", index=True, max_length=32)
    organisation_id: str = Field(foreign_key="organisation.id", max_length=32)
    event_type: str = Field(max_length=40)  # EventType
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON: type, timestamp, data of ids and kinds
    created_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_moment())
    claimed_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
    claimed_by: str | None = Field(default=None, max_length=64)
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=300)
    delivered_at: datetime | None = Field(default=None, sa_column=_moment(nullable=True))
