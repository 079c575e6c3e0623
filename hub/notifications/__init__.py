"""E-mail notifications: the outbox, rendering without case content, the SMTP sender, the worker and digests."""
