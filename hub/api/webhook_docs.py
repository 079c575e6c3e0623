"""The webhooks in the OpenAPI document (3.1's ``webhooks``): what the hub POSTs to an organisation's receivers,
generated from the event types (:class:`hub.webhooks.models.EventType`) and a typed model of the body."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from hub.api.operations import ApiModel
from hub.webhooks.models import EVENT_LABELS

TAG = "Webhooks"
SIGNATURE_HEADERS = {
    "webhook-id": "Kenmerk van de melding; gelijk bij elke nieuwe poging (dubbele meldingen overslaan).",
    "webhook-timestamp": "Seconden sinds 1970-01-01 UTC van deze poging.",
    "webhook-signature": "v1,<base64 van HMAC-SHA256 met het geheim over 'webhook-id.webhook-timestamp.body'>.",
}


class WebhookData(ApiModel):
    """Alleen kenmerken en soorten, nooit inhoud; welke velden er zijn hangt af van het type."""

    case_id: str | None = None
    thread_id: str | None = None
    message_id: str | None = None
    document_id: str | None = None
    milestone_id: str | None = None
    kind: str | None = Field(default=None, description="Soort bericht (message.created).")
    document_type: str | None = None
    milestone_kind: str | None = None
    change: str | None = Field(default=None, description="record, correct of withdraw (milestone.changed).")
    term: str | None = Field(default=None, description="De termijn: een stap van het dossier, of reactie.")


class WebhookEvent(ApiModel):
    type: str = Field(description="Het type gebeurtenis.")
    timestamp: datetime = Field(description="Wanneer het gebeurde (RFC 3339, UTC).")
    data: WebhookData


def webhooks(ref: Callable[[type[BaseModel]], dict[str, Any]]) -> dict[str, Any]:
    body = ref(WebhookEvent)
    headers = [
        {"name": name, "in": "header", "required": True, "description": text, "schema": {"type": "string"}}
        for name, text in SIGNATURE_HEADERS.items()
    ]
    return {
        event.value: {
            "post": {
                "operationId": "webhook" + "".join(p.capitalize() for p in event.value.replace("_", ".").split(".")),
                "summary": label,
                "description": f"Type `{event.value}`; ondertekend volgens Standard Webhooks.",
                "tags": [TAG],
                "parameters": headers,
                "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                "responses": {"2XX": {"description": "Ontvangen; elk ander antwoord wordt later opnieuw geprobeerd."}},
            }
        }
        for event, label in EVENT_LABELS.items()
    }
