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

from crypto import blind_index

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
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
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


RECOVERY_CODE_CHARS = 16  # base32: 80 bits


def new_recovery_codes(count: int = 10) -> list[str]:
    """``count`` one-time codes of 80 random bits each, written as xxxx-xxxx-xxxx-xxxx (base32, lower case)."""
    codes = []
    for _ in range(count):
        raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()  # exactly 16 characters
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_CHARS, 4)))
    return codes


def _normalised(code: str) -> str:
    return code.strip().lower().replace("-", "").replace(" ", "")


def recovery_code_digest(index_key: bytes, user_id: str, code: str) -> str:
    """What is stored of a recovery code: an HMAC under the keyring's index key over the user's id and the code, so
    a copy of the database cannot be searched for codes, and a code's row is worth nothing for another user."""
    return blind_index(index_key, f"{user_id}:{_normalised(code)}", purpose="recovery-code")


def legacy_recovery_code_hash(code: str) -> str | None:
    """The unkeyed SHA-256 under which 50-bit codes of 10 characters were stored before December 2026; they are
    accepted until their row's ``legacy_until`` (90 days after revision 0011), or until the user makes new codes.
    None for a code of any other length."""
    normalised = _normalised(code)
    if len(normalised) != 10:
        return None
    return hashlib.sha256(normalised.encode("ascii", "ignore")).hexdigest()
