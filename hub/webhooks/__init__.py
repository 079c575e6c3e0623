"""Webhooks: an organisation's endpoints, the events written to their outbox in the transaction of the change, and
the signed delivery by the worker (Standard Webhooks). Payloads carry ids and kinds only, never content."""
