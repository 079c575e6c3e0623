"""Sending a rendered mail: over SMTP (aiosmtplib), or as an .eml file in the data dir when no SMTP server is set.

A sender raises :class:`TemporaryFailure` (try again later: no connection, a time-out, a 4xx answer, a TLS problem)
or :class:`PermanentFailure` (do not try again: a 5xx answer). Their ``reason`` is safe to store and show: server
replies are cut short and e-mail addresses in them are replaced.
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib

REASON_MAX = 300
_ADDRESS_RE = re.compile(r"<?[^\s<>@,;:\"]+@[^\s<>@,;:\"]+>?")
# Names of the files FileSender writes: 20260429T140502Z-<32 hex>.eml. Nothing else is ever served.
EML_NAME_RE = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{32}\.eml$")


def safe_reason(text: str) -> str:
    """One line, at most REASON_MAX characters, e-mail addresses replaced by <adres>."""
    cleaned = " ".join(_ADDRESS_RE.sub("<adres>", text).split())
    return cleaned[:REASON_MAX]


class DeliveryFailure(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = safe_reason(reason)
        super().__init__(self.reason)


class TemporaryFailure(DeliveryFailure):
    """The mail may go through later: retried with growing back-off."""


class PermanentFailure(DeliveryFailure):
    """The server refused the mail for good: the row fails and the functioneel beheerder sees why."""


class MailSender(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to the addresses in its To header, or raise a DeliveryFailure."""
        ...


def _cert_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error behind ``exc``, if any: with implicit TLS the handshake is part of the
    connection, and aiosmtplib reports it as a connection error caused by it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def classify_reply(code: int, message: str) -> DeliveryFailure:
    text = f"{code} {message}"
    if 500 <= code < 600:
        return PermanentFailure(text)
    return TemporaryFailure(text)


@dataclass(frozen=True)
class SmtpSender:
    host: str
    port: int = 587
    tls: str = "starttls"  # starttls | tls | none
    username: str = ""
    password: str = ""
    cafile: str = ""
    # RFC 5321 §4.5.3.2: a client waits at least 5 minutes for the greeting and each command's answer, and 10 minutes
    # for the answer to the end of DATA (the server may be storing the mail meanwhile: giving up earlier and retrying
    # sends it twice). The whole delivery is bounded by ``deadline``; the worker's lease is longer still.
    timeout: float = 300.0
    data_timeout: float = 600.0
    deadline: float = 900.0

    def __post_init__(self) -> None:
        if self.tls not in ("starttls", "tls", "none"):
            raise ValueError("tls must be starttls, tls or none")

    def tls_context(self) -> ssl.SSLContext:
        """Certificate and host name verification on, with the system CAs plus an optional extra bundle."""
        context = ssl.create_default_context()
        if self.cafile:
            context.load_verify_locations(cafile=self.cafile)
        return context

    async def send(self, message: EmailMessage) -> None:
        secure = self.tls != "none"
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.tls == "tls",
            start_tls=self.tls == "starttls",
            tls_context=self.tls_context() if secure else None,
            validate_certs=secure,
            username=self.username or None,
            password=self.password if self.username else None,
            timeout=self.timeout,
        )
        try:
            async with asyncio.timeout(self.deadline), client:
                await client.send_message(message, timeout=self.data_timeout)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0] if exc.recipients else None
            if refused is None:
                raise TemporaryFailure("alle ontvangers geweigerd") from exc
            raise classify_reply(refused.code, refused.message) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise classify_reply(exc.code, exc.message) from exc
        except ssl.SSLCertVerificationError as exc:
            raise TemporaryFailure(f"certificaat van de mailserver niet vertrouwd: {exc.verify_message}") from exc
        except aiosmtplib.SMTPNotSupported as exc:
            raise TemporaryFailure(f"mailserver ondersteunt dit niet: {exc}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            cert = _cert_error(exc)
            if cert is not None:
                raise TemporaryFailure(f"certificaat van de mailserver niet vertrouwd: {cert.verify_message}") from exc
            raise TemporaryFailure(f"geen verbinding met de mailserver: {type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class FileSender:
    """The demo's mailbox: each mail becomes an .eml file (mode 0600) in ``mail_dir``, written atomically."""

    mail_dir: Path

    async def send(self, message: EmailMessage) -> None:
        try:
            await asyncio.to_thread(self.write, message.as_bytes())
        except OSError as exc:
            raise TemporaryFailure(f"kon het .eml-bestand niet schrijven: {type(exc).__name__}") from exc

    def write(self, data: bytes) -> str:
        self.mail_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex}.eml"
        tmp = self.mail_dir / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.mail_dir / name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return name


@dataclass(frozen=True)
class EmlFile:
    name: str
    size: int
    written_at: datetime


def list_eml(mail_dir: Path, limit: int = 200) -> list[EmlFile]:
    """The .eml files FileSender wrote, newest first."""
    if not mail_dir.is_dir():
        return []
    files = [
        EmlFile(p.name, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))
        for p in mail_dir.iterdir()
        if EML_NAME_RE.fullmatch(p.name) and p.is_file() and not p.is_symlink()
        for st in (p.stat(),)
    ]
    return sorted(files, key=lambda f: f.name, reverse=True)[:limit]


def eml_path(mail_dir: Path, name: str) -> Path | None:
    """The path of one .eml file, or None when ``name`` is not one of FileSender's names or not in ``mail_dir``."""
    if not EML_NAME_RE.fullmatch(name):
        return None
    base = mail_dir.resolve()
    path = (base / name).resolve()
    if path.parent != base or not path.is_file():
        return None
    return path
