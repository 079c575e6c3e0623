"""TOTP (RFC 6238) with cryptography's implementation; a code is accepted once only."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

import segno
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP

DIGITS = 6
STEP = 30
# Accept the previous and the next step too: phone clocks drift.
WINDOW = 1
ISSUER = "Beveiligde omgeving"


def new_secret() -> bytes:
    return secrets.token_bytes(20)


def secret_base32(secret: bytes) -> str:
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def secret_from_base32(text: str) -> bytes:
    cleaned = text.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def _totp(secret: bytes) -> TOTP:
    # SHA-1 is what RFC 6238 and every authenticator app use; HMAC-SHA1 is not affected by SHA-1 collisions.
    return TOTP(secret, DIGITS, SHA1(), STEP, enforce_key_length=False)  # noqa: S303


def code_at(secret: bytes, moment: float) -> str:
    return _totp(secret).generate(int(moment)).decode("ascii")


def matching_step(secret: bytes, code: str, *, last_step: int | None, now: float | None = None) -> int | None:
    """The time step the code belongs to, or None when it is wrong or was already used.

    Only a step later than the last accepted one counts, so a code (or an older one) cannot be replayed.
    """
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = time.time() if now is None else now
    current = int(now) // STEP
    totp = _totp(secret)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        try:
            totp.verify(code.encode("ascii"), step * STEP)
        except InvalidToken:
            continue
        return step
    return None


def provisioning_uri(secret: bytes, account: str) -> str:
    return _totp(secret).get_provisioning_uri(account, ISSUER)


def qr_svg(uri: str) -> str:
    """An inline SVG of the otpauth:// URI (no script, no external resource; allowed by the CSP)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff", title="QR-code")


def new_recovery_codes(count: int = 10) -> list[str]:
    # 10 characters of base32: 50 bits each, written as xxxxx-xxxxx.
    codes = []
    for _ in range(count):
        raw = base64.b32encode(secrets.token_bytes(7)).decode("ascii")[:10].lower()
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalised.encode("ascii", "ignore")).hexdigest()
