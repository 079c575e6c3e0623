"""Settings from HUB_* environment variables.

Only cli.py and app.py read the configuration; every other module receives plain values.
Unknown HUB_* variables and invalid values stop the start with a clear message, because a typo in a
security setting must never silently fall back to a default.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from hub.settings_catalogue import SETTINGS


class ConfigError(Exception):
    """A setting is missing, unknown or invalid. The message names the variable and the fix."""


_KNOWN = {s.name for s in SETTINGS}
_LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class ObjectStorage:
    """HUB_BLOBS=s3://bucket/prefix and the standard AWS_* variables; the secret stays out of ``repr``."""

    bucket: str
    prefix: str = ""  # "" or ending in "/"
    endpoint_url: str = ""  # empty: the provider's default endpoint for the region
    region: str = ""
    access_key_id: str = ""
    secret_access_key: str = field(default="", repr=False)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    base_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    keyring_env: str = ""
    log_level: str = "info"
    log_format: str = "text"  # hub.logs
    metrics_port: int | None = None  # None: no metrics endpoint
    metrics_host: str = "127.0.0.1"
    shutdown_grace_seconds: int = 30
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")  # uvicorn's forwarded_allow_ips
    object_storage: ObjectStorage | None = None  # HUB_BLOBS=s3://...; None: the blob folder in the data dir
    max_upload_bytes: int = 100 * 1024 * 1024
    clamd: str = ""  # the clamd address; empty: no scanning (HUB_CLAMD=off, or not set at all)
    clamd_off: bool = False  # HUB_CLAMD=off: running without a scanner was chosen explicitly
    clamd_connect_timeout: int = 5  # seconds (hub.documents.scanner.ScanTimeouts)
    clamd_timeout: int = 10
    clamd_timeout_max: int = 60
    decree_days_file: Path | None = None
    audit_head_file_setting: Path | None = None  # HUB_AUDIT_HEAD_FILE; None: in the data dir
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_cafile: str = ""
    mail_from: str = "hub@localhost"
    run_worker: bool = True
    outbox_lease_seconds: int = 60  # hub.notifications.lease: how long a dead worker's claims hold up its mails
    digest_hour: int = 8
    escalate_after_werkdagen: int = 1
    schuldhulp_warn_months: tuple[int, ...] = (2, 1)  # warnings ahead of the 12-month term of §2.3, in months
    retention_case_years: int = 7  # hub.retention: see README "Retention"
    retention_withdrawn_days: int = 30
    retention_outbox_days: int = 90
    api_rate_limit: int = 600  # API calls per token per minute (hub.accounts.api_tokens)
    webhook_allow_private: bool = False  # tests and on-premise only: webhooks to http and private addresses
    session_idle_seconds: int = 1800  # hub.accounts.auth: a full session ends after this long without a request
    session_warning_seconds: int = 120  # static/session-timeout.js warns this long before that end
    monitoring_term_months: int = 12  # the term of the monitoring's D2 (handreiking ch. 5: "bijv. twaalf maanden")
    decharge_months: int = 12  # when a kantoor's next decharge is due (§3b names no period): hub.terms.decharge_due
    # Where a finder reports a vulnerability in this hub (RFC 9116 Contact), in order of preference.
    security_contacts: tuple[str, ...] = ()
    security_policy_url: str = ""  # empty: the hub's own disclosure page
    api_contact_email: str = ""  # the OpenAPI document's info.contact.email (API Design Rules doc-openapi-contact)

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def session_idle(self) -> timedelta:
        return timedelta(seconds=self.session_idle_seconds)

    @property
    def scanning(self) -> bool:
        """Every upload is scanned by clamd (an unreachable scanner refuses the upload)."""
        return bool(self.clamd)

    @property
    def keyring_path(self) -> Path:
        return self.data_dir / "keyring.json"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def audit_head_file(self) -> Path:
        """Where every committed audit record's hash is appended (hub.audit.head)."""
        return self.audit_head_file_setting or self.data_dir / "audit-head.log"

    @classmethod
    def for_data_dir(cls, data_dir: Path, **overrides: object) -> Settings:
        """Settings with defaults for one data directory (tests and `hub demo`)."""
        env = {"HUB_DATA_DIR": str(data_dir)}
        env.update({k: str(v) for k, v in overrides.items() if k.startswith(("HUB_", "AWS_"))})
        return load_settings(env)


def _int(env: Mapping[str, str], name: str, default: str, lo: int, hi: int) -> int:
    raw = env.get(name, default).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number.") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={value} is out of range ({lo}..{hi}).")
    return value


def _months(env: Mapping[str, str], name: str, default: str) -> tuple[int, ...]:
    """A comma-separated list of whole months 1-11, largest first, each once; empty gives none."""
    raw = env.get(name, default).strip()
    found: set[int] = set()
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        if not (part.isascii() and part.isdigit()) or not 1 <= int(part) <= 11:
            raise ConfigError(f"{name}={raw!r} must list whole months from 1 to 11, such as 2,1.")
        found.add(int(part))
    return tuple(sorted(found, reverse=True))


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}={value!r} must be one of: {', '.join(choices)}.")
    return value


CLAMD_OFF = "off"
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$")


def _clamd(env: Mapping[str, str]) -> str:
    """HUB_CLAMD: empty, ``off``, a unix socket path (``/path``, ``./path``, ``unix:/path``) or ``host:port``."""
    value = env.get("HUB_CLAMD", "").strip()
    if not value or value.lower() == CLAMD_OFF:
        return value.lower()
    if value.startswith(("/", "./", "unix:/")):
        return value
    match = _HOST_PORT.match(value)
    if match is None or not 0 < int(match.group(2)) < 65536:
        raise ConfigError(
            f"HUB_CLAMD={value!r} must be a unix socket path, host:port (such as 127.0.0.1:3310) or `off` to run "
            "without virus scanning."
        )
    return value


_MAILTO = re.compile(r"^mailto:[^@\s<>,]+@[^@\s<>,]+$")
_EMAIL = re.compile(r"^[^@\s<>,:;]+@[^@\s<>,;]+$")  # a bare address: no scheme, no list


def _https_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname) and not any(c.isspace() for c in value)


def _security_contacts(env: Mapping[str, str], base_url: str) -> tuple[str, ...]:
    """HUB_SECURITY_CONTACT: mailto:/https: URIs; unset, the security@ mailbox of the hub's own domain (RFC 2142)."""
    raw = env.get("HUB_SECURITY_CONTACT", "").strip()
    if not raw:
        return (f"mailto:security@{_mail_domain(urlsplit(base_url).hostname or 'localhost')}",)
    contacts = tuple(part.strip() for part in raw.split(",") if part.strip())
    for contact in contacts:
        if not (_MAILTO.match(contact) or _https_url(contact)):
            raise ConfigError(
                f"HUB_SECURITY_CONTACT={contact!r} must be a mailto: or https: URI, such as "
                "mailto:security@gemeente.example.nl or https://gemeente.example.nl/kwetsbaarheid-melden."
            )
    return contacts


def _api_contact_email(env: Mapping[str, str], security_contacts: tuple[str, ...]) -> str:
    """HUB_API_CONTACT_EMAIL; unset, the first mailto: of the security contacts (whose default is a mailbox)."""
    raw = env.get("HUB_API_CONTACT_EMAIL", "").strip()
    if raw:
        if not _EMAIL.match(raw):
            raise ConfigError(
                f"HUB_API_CONTACT_EMAIL={raw!r} is not an e-mail address such as api@gemeente.example.nl."
            )
        return raw
    mailboxes = [c.removeprefix("mailto:") for c in security_contacts if c.startswith("mailto:")]
    return mailboxes[0] if mailboxes else ""


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _object_storage(env: Mapping[str, str]) -> ObjectStorage | None:
    """HUB_BLOBS: empty (the blob folder in the data dir) or s3://bucket/prefix, with the AWS_* variables."""
    raw = env.get("HUB_BLOBS", "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    prefix = parts.path.strip("/")
    if parts.scheme != "s3" or not _BUCKET.match(parts.netloc) or parts.query or parts.fragment:
        raise ConfigError(f"HUB_BLOBS={raw!r} must be empty or s3://bucket/prefix (a valid S3 bucket name).")
    if prefix and (not _PREFIX.match(prefix) or any(p in (".", "..") for p in prefix.split("/"))):
        raise ConfigError(f"HUB_BLOBS={raw!r}: the prefix may hold letters, digits, . _ - and / between names.")
    endpoint = env.get("AWS_ENDPOINT_URL", "").strip().rstrip("/")
    allow_http = env.get("AWS_ALLOW_HTTP", "false").strip().lower()
    if allow_http not in ("true", "false"):
        raise ConfigError(f"AWS_ALLOW_HTTP={allow_http!r} must be true or false.")
    if endpoint:
        url = urlsplit(endpoint)
        if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
            raise ConfigError(f"AWS_ENDPOINT_URL={endpoint!r} must be an http(s) URL such as https://s3.example.nl.")
        if url.scheme == "http" and not _loopback(url.hostname) and allow_http != "true":
            raise ConfigError(
                f"AWS_ENDPOINT_URL={endpoint!r} uses plain http to another machine: every document and every "
                "credential would cross the network unprotected. Use https, or set AWS_ALLOW_HTTP=true when the "
                "network path is protected otherwise."
            )
    key_id = env.get("AWS_ACCESS_KEY_ID", "").strip()
    secret = env.get("AWS_SECRET_ACCESS_KEY", "").strip()
    if bool(key_id) != bool(secret):
        raise ConfigError("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: set both or neither.")
    return ObjectStorage(
        bucket=parts.netloc,
        prefix=prefix + "/" if prefix else "",
        endpoint_url=endpoint,
        region=env.get("AWS_REGION", "").strip(),
        access_key_id=key_id,
        secret_access_key=secret,
    )


def _mail_domain(host: str) -> str:
    """The host as the domain of an e-mail address: a name as it is, an address as a literal (RFC 5321)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    return f"[IPv6:{address}]" if address.version == 6 else f"[{address}]"


def _trusted_proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    """HUB_TRUSTED_PROXIES: IP addresses and networks, checked here (uvicorn would take a typo as a literal host name
    and trust nobody, or with ``*`` everybody: then any client could name its own address to the login throttle)."""
    raw = env.get("HUB_TRUSTED_PROXIES", "127.0.0.1,::1")
    parts = tuple(p.strip() for p in raw.split(",") if p.strip())
    for part in parts:
        try:
            ipaddress.ip_network(part, strict=False) if "/" in part else ipaddress.ip_address(part)
        except ValueError:
            raise ConfigError(
                f"HUB_TRUSTED_PROXIES: {part!r} is not an IP address or network (such as 10.42.0.0/16)."
            ) from None
    return parts


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every HUB_* variable; raise ConfigError naming the first problem."""
    env = dict(os.environ if env is None else env)
    unknown = sorted(k for k in env if k.startswith("HUB_") and k not in _KNOWN)
    if unknown:
        raise ConfigError(f"Unknown setting {unknown[0]}. Known settings: {', '.join(sorted(_KNOWN))}.")
    data_dir = Path(env.get("HUB_DATA_DIR", "./var") or "./var").expanduser().absolute()
    database_url = env.get("HUB_DATABASE_URL", "").strip()
    if not database_url:
        database_url = f"sqlite+aiosqlite:///{data_dir / 'hub.sqlite3'}"
    elif not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(
            "HUB_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
            f"(got {database_url.split(':', 1)[0]}://...)."
        )
    host = env.get("HUB_HOST", "127.0.0.1").strip() or "127.0.0.1"
    port = _int(env, "HUB_PORT", "8000", 1, 65535)
    base_url = env.get("HUB_BASE_URL", "").strip().rstrip("/")
    if not base_url:
        base_url = f"http://{host}:{port}"
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"HUB_BASE_URL={base_url!r} must be an http(s) URL such as https://hub.example.nl.")
    decree = env.get("HUB_DECREE_DAYS_FILE", "").strip()
    decree_path = Path(decree).expanduser().absolute() if decree else None
    if decree_path is not None and not decree_path.is_file():
        raise ConfigError(f"HUB_DECREE_DAYS_FILE={decree!r} does not exist.")
    head = env.get("HUB_AUDIT_HEAD_FILE", "").strip()
    head_path = Path(head).expanduser().absolute() if head else None
    if head_path is not None and (head_path.is_dir() or not head_path.parent.is_dir()):
        raise ConfigError(f"HUB_AUDIT_HEAD_FILE={head!r} must name a file in a directory that exists.")
    smtp_tls = _choice(env, "HUB_SMTP_TLS", "starttls", ("starttls", "tls", "none"))
    worker = _choice(env, "HUB_WORKER", "on", ("on", "off"))
    mail_from = env.get("HUB_MAIL_FROM", "hub@localhost").strip()
    clamd = _clamd(env)
    clamd_timeout = _int(env, "HUB_CLAMD_TIMEOUT", "10", 1, 600)
    clamd_timeout_max = _int(env, "HUB_CLAMD_TIMEOUT_MAX", "60", 1, 3600)
    if clamd_timeout_max < clamd_timeout:
        raise ConfigError(
            f"HUB_CLAMD_TIMEOUT_MAX={clamd_timeout_max} is below HUB_CLAMD_TIMEOUT={clamd_timeout}: the longest wait "
            "for a verdict cannot be shorter than the wait for a small file."
        )
    if "@" not in mail_from or any(c in mail_from for c in "\r\n<>"):
        raise ConfigError(f"HUB_MAIL_FROM={mail_from!r} is not an e-mail address.")
    security_contacts = _security_contacts(env, base_url)
    policy_url = env.get("HUB_SECURITY_POLICY_URL", "").strip()
    if policy_url and not _https_url(policy_url):
        raise ConfigError(f"HUB_SECURITY_POLICY_URL={policy_url!r} must be an https:// URL (RFC 9116).")
    metrics_port = _int(env, "HUB_METRICS_PORT", "", 1, 65535) if env.get("HUB_METRICS_PORT", "").strip() else None
    if metrics_port == port:
        raise ConfigError(f"HUB_METRICS_PORT={metrics_port} is HUB_PORT too: the metrics need a port of their own.")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        base_url=base_url,
        host=host,
        port=port,
        keyring_env=env.get("HUB_KEYRING", "").strip(),
        log_level=_choice(env, "HUB_LOG_LEVEL", "info", _LOG_LEVELS),
        log_format=_choice(env, "HUB_LOG_FORMAT", "text", ("text", "json")),
        metrics_port=metrics_port,
        metrics_host=env.get("HUB_METRICS_HOST", "127.0.0.1").strip() or "127.0.0.1",
        shutdown_grace_seconds=_int(env, "HUB_SHUTDOWN_GRACE_SECONDS", "30", 1, 3600),
        trusted_proxies=_trusted_proxies(env),
        object_storage=_object_storage(env),
        max_upload_bytes=_int(env, "HUB_MAX_UPLOAD_MB", "100", 1, 10_240) * 1024 * 1024,
        clamd="" if clamd == CLAMD_OFF else clamd,
        clamd_off=clamd == CLAMD_OFF,
        clamd_connect_timeout=_int(env, "HUB_CLAMD_CONNECT_TIMEOUT", "5", 1, 60),
        clamd_timeout=clamd_timeout,
        clamd_timeout_max=clamd_timeout_max,
        decree_days_file=decree_path,
        audit_head_file_setting=head_path,
        smtp_host=env.get("HUB_SMTP_HOST", "").strip(),
        smtp_port=_int(env, "HUB_SMTP_PORT", "587", 1, 65535),
        smtp_tls=smtp_tls,
        smtp_username=env.get("HUB_SMTP_USERNAME", "").strip(),
        smtp_password=env.get("HUB_SMTP_PASSWORD", ""),
        smtp_cafile=env.get("HUB_SMTP_CAFILE", "").strip(),
        mail_from=mail_from,
        run_worker=worker == "on",
        outbox_lease_seconds=_int(env, "HUB_OUTBOX_LEASE_SECONDS", "60", 2, 3600),
        api_rate_limit=_int(env, "HUB_API_RATE_LIMIT", "600", 10, 100_000),
        webhook_allow_private=_choice(env, "HUB_WEBHOOK_ALLOW_PRIVATE", "false", ("true", "false")) == "true",
        digest_hour=_int(env, "HUB_DIGEST_HOUR", "8", 0, 23),
        session_idle_seconds=_int(env, "HUB_SESSION_IDLE_SECONDS", "1800", 10, 43_200),
        session_warning_seconds=_int(env, "HUB_SESSION_WARNING_SECONDS", "120", 5, 3600),
        escalate_after_werkdagen=_int(env, "HUB_ESCALATE_AFTER_WERKDAGEN", "1", 1, 20),
        schuldhulp_warn_months=_months(env, "HUB_SCHULDHULP_WARN_MONTHS", "2,1"),
        retention_case_years=_int(env, "HUB_RETENTION_CASE_YEARS", "7", 1, 100),
        retention_withdrawn_days=_int(env, "HUB_RETENTION_WITHDRAWN_DAYS", "30", 1, 3650),
        retention_outbox_days=_int(env, "HUB_RETENTION_OUTBOX_DAYS", "90", 1, 3650),
        monitoring_term_months=_int(env, "HUB_MONITORING_TERM_MONTHS", "12", 1, 36),
        decharge_months=_int(env, "HUB_DECHARGE_MONTHS", "12", 1, 36),
        security_contacts=security_contacts,
        security_policy_url=policy_url,
        api_contact_email=_api_contact_email(env, security_contacts),
    )
