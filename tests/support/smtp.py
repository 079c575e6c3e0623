"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 with STARTTLS required and AUTH required, or
(``implicit_tls=True``) with the whole connection in TLS from the first byte (SMTPS, ``HUB_SMTP_TLS=tls``) and AUTH
required.

The certificate is self-signed, made at test time with `cryptography` (SAN 127.0.0.1 and localhost); the hub
trusts it through HUB_SMTP_CAFILE, so certificate verification stays on. `stop()` simulates an outage, `start()`
brings the server back on the same port. `handler.reply` makes DATA answer with a fixed reply ("550 ...", "451 ...").
Every captured mail records whether its connection was encrypted (`Captured.tls`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.postgres import free_port

USERNAME = "hub-mailer"
PASSWORD = "s3cret-smtp-password"

# aiosmtpd logs every session (and "login_data is deprecated") on the mail.log logger.
logging.getLogger("mail.log").setLevel(logging.CRITICAL)
# With implicit TLS aiosmtpd's own "AUTH needs TLS" check is off (it only knows STARTTLS), and it warns about that:
# tests using such a server add this filter (pytest.mark.filterwarnings).
IMPLICIT_TLS_WARNING = "ignore:Requiring AUTH while not requiring TLS:UserWarning"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool = False  # the mail came over an encrypted connection (STARTTLS or implicit TLS)

    @property
    def message(self) -> EmailMessage:
        msg = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg

    def decoded_text(self) -> str:
        """Every header and every part, decoded (so base64 or quoted-printable cannot hide anything)."""
        msg = self.message
        pieces = [f"{k}: {v}" for k, v in msg.items()]
        for part in msg.walk():
            if not part.is_multipart():
                pieces.append(part.get_content())
        return "\n".join(pieces)


@dataclass
class CaptureHandler:
    messages: list[Captured] = field(default_factory=list)
    reply: str | None = None  # e.g. "550 5.1.1 mailbox unavailable": answer DATA with this instead of 250
    answer_delay: float = 0.0  # seconds between storing a mail and answering the end of DATA (a slow server)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply is not None:
            return self.reply
        encrypted = server.transport is not None and server.transport.get_extra_info("ssl_object") is not None
        self.messages.append(
            Captured(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content), tls=encrypted)
        )
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = auth_data.login == USERNAME.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False, or a failed login hangs the client


class SmtpServer:
    def __init__(self, cert: Path, key: Path, *, implicit_tls: bool = False) -> None:
        self.cert, self.key = cert, key
        self.implicit_tls = implicit_tls
        self.port = free_port()
        self.handler = CaptureHandler()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[Captured]:
        return self.handler.messages

    def start(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        tls: dict[str, Any]
        if self.implicit_tls:
            # The listening socket itself is wrapped: no plain-text byte is ever exchanged. aiosmtpd only counts a
            # STARTTLS upgrade as "TLS" for AUTH, so its own check is off here; the socket is encrypted regardless.
            tls = {"ssl_context": context, "auth_require_tls": False}
        else:
            tls = {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
        self._controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=_authenticator,
            auth_required=True,
            **tls,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def hub_settings(self, **overrides: str) -> dict[str, str]:
        """HUB_* settings that make the hub send through this server with verification on."""
        settings = {
            "HUB_SMTP_HOST": "127.0.0.1",
            "HUB_SMTP_PORT": str(self.port),
            "HUB_SMTP_TLS": "tls" if self.implicit_tls else "starttls",
            "HUB_SMTP_USERNAME": USERNAME,
            "HUB_SMTP_PASSWORD": PASSWORD,
            "HUB_SMTP_CAFILE": str(self.cert),
            "HUB_MAIL_FROM": "meldingen@hub.example.nl",
            "HUB_BASE_URL": "https://hub.example.nl",
        }
        settings.update(overrides)
        return settings
