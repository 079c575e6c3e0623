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
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(Exception):
    """A setting is missing, unknown or invalid. The message names the variable and the fix."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


# Every setting the hub knows. The README documents each one; a test keeps the two in step.
SETTINGS: tuple[Setting, ...] = (
    Setting("HUB_DATA_DIR", "./var", "Directory for the SQLite database, key files, blobs and demo mail."),
    Setting("HUB_DATABASE_URL", "", "SQLAlchemy URL; empty means sqlite+aiosqlite:///<data dir>/hub.sqlite3."),
    Setting("HUB_BASE_URL", "", "Public URL of the hub, used in links and to decide on Secure cookies/HSTS."),
    Setting("HUB_HOST", "127.0.0.1", "Address `hub serve` listens on."),
    Setting("HUB_PORT", "8000", "Port `hub serve` listens on."),
    Setting("HUB_KEYRING", "", "The keyring as JSON (or base64 of it) instead of <data dir>/keyring.json."),
    Setting("HUB_LOG_LEVEL", "info", "Log level: debug, info, warning or error."),
    Setting("HUB_MAX_UPLOAD_MB", "100", "Largest accepted upload in MiB, enforced while streaming."),
    Setting(
        "HUB_CLAMD",
        "",
        "clamd address (unix socket path or host:port); `off` runs without virus scanning. `hub serve` refuses to "
        "start while it is empty.",
    ),
    Setting("HUB_CLAMD_CONNECT_TIMEOUT", "5", "Seconds to wait for clamd to accept a scan."),
    Setting(
        "HUB_CLAMD_TIMEOUT",
        "10",
        "Seconds clamd may take to read a piece of an upload, and to give its verdict on a small file (plus 0.5 s "
        "per MiB).",
    ),
    Setting("HUB_CLAMD_TIMEOUT_MAX", "60", "Longest wait in seconds for clamd's verdict, however large the file."),
    Setting(
        "HUB_AUDIT_HEAD_FILE",
        "",
        "Append-only file that receives the hash of every audit record; empty means <data dir>/audit-head.log.",
    ),
    Setting("HUB_DECREE_DAYS_FILE", "", "Extra file of days declared equal to feestdagen (one ISO date a line)."),
    Setting("HUB_SMTP_HOST", "", "SMTP server; empty writes mails as .eml files under <data dir>/mail."),
    Setting("HUB_SMTP_PORT", "587", "SMTP port."),
    Setting("HUB_SMTP_TLS", "starttls", "starttls, tls (implicit) or none."),
    Setting("HUB_SMTP_USERNAME", "", "SMTP AUTH user name; empty disables AUTH."),
    Setting("HUB_SMTP_PASSWORD", "", "SMTP AUTH password."),
    Setting("HUB_SMTP_CAFILE", "", "Extra CA bundle to verify the SMTP server's certificate."),
    Setting("HUB_MAIL_FROM", "hub@localhost", "Sender address of notification mails."),
    Setting("HUB_WORKER", "on", "on: run the background worker inside `hub serve`; off: run `hub worker` apart."),
    Setting("HUB_DIGEST_HOUR", "8", "Hour (0-23, Dutch time) on werkdagen at which daily digest mails go out."),
    Setting("HUB_ESCALATE_AFTER_WERKDAGEN", "1", "Werkdagen a term may be overdue before the fixed address is told."),
    Setting(
        "HUB_SCHULDHULP_WARN_MONTHS",
        "2,1",
        "Months before the 12-month aanmelding schuldhulpverlening term (§2.3) at which its warnings go out "
        "(comma-separated, each 1-11; empty: no warnings).",
    ),
    Setting(
        "HUB_RETENTION_CASE_YEARS",
        "7",
        "Years after a case ended (its last step: einde bewind or the nazorg after it) before retention deletes it "
        "(1-100).",
    ),
    Setting("HUB_RETENTION_WITHDRAWN_DAYS", "30", "Days after its withdrawal before a document is deleted (1-3650)."),
    Setting("HUB_RETENTION_OUTBOX_DAYS", "90", "Days a mail outbox row is kept (1-3650)."),
    Setting(
        "HUB_MONITORING_TERM_MONTHS",
        "12",
        "Months after the start of the bewind within which the monitoring's D2 counts an aanmelding schuldhulp (1-36).",
    ),
    Setting(
        "HUB_DECHARGE_MONTHS",
        "12",
        "Months after a kantoor's last decharge (convenant §3b names no period) before the next is due (1-36).",
    ),
    Setting(
        "HUB_SECURITY_CONTACT",
        "",
        "Where to report a vulnerability in this hub (security.txt Contact): mailto: or https: URIs, comma-separated; "
        "empty means mailto:security@<host of HUB_BASE_URL>.",
    ),
    Setting(
        "HUB_SECURITY_POLICY_URL",
        "",
        "The operator's disclosure policy (security.txt Policy), an https URL; empty means the hub's own page.",
    ),
)
_KNOWN = {s.name for s in SETTINGS}
_LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    base_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    keyring_env: str = ""
    log_level: str = "info"
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
    digest_hour: int = 8
    escalate_after_werkdagen: int = 1
    schuldhulp_warn_months: tuple[int, ...] = (2, 1)  # warnings ahead of the 12-month term of §2.3, in months
    retention_case_years: int = 7  # hub.retention: see README "Retention"
    retention_withdrawn_days: int = 30
    retention_outbox_days: int = 90
    monitoring_term_months: int = 12  # the term of the monitoring's D2 (handreiking ch. 5: "bijv. twaalf maanden")
    decharge_months: int = 12  # when a kantoor's next decharge is due (§3b names no period): hub.terms.decharge_due
    # Where a finder reports a vulnerability in this hub (RFC 9116 Contact), in order of preference.
    security_contacts: tuple[str, ...] = ()
    security_policy_url: str = ""  # empty: the hub's own disclosure page

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

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
        env.update({k: str(v) for k, v in overrides.items() if k.startswith("HUB_")})
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
        if not part.isdigit() or not 1 <= int(part) <= 11:
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


def _mail_domain(host: str) -> str:
    """The host as the domain of an e-mail address: a name as it is, an address as a literal (RFC 5321)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    return f"[IPv6:{address}]" if address.version == 6 else f"[{address}]"


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
    policy_url = env.get("HUB_SECURITY_POLICY_URL", "").strip()
    if policy_url and not _https_url(policy_url):
        raise ConfigError(f"HUB_SECURITY_POLICY_URL={policy_url!r} must be an https:// URL (RFC 9116).")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        base_url=base_url,
        host=host,
        port=port,
        keyring_env=env.get("HUB_KEYRING", "").strip(),
        log_level=_choice(env, "HUB_LOG_LEVEL", "info", _LOG_LEVELS),
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
        digest_hour=_int(env, "HUB_DIGEST_HOUR", "8", 0, 23),
        escalate_after_werkdagen=_int(env, "HUB_ESCALATE_AFTER_WERKDAGEN", "1", 1, 20),
        schuldhulp_warn_months=_months(env, "HUB_SCHULDHULP_WARN_MONTHS", "2,1"),
        retention_case_years=_int(env, "HUB_RETENTION_CASE_YEARS", "7", 1, 100),
        retention_withdrawn_days=_int(env, "HUB_RETENTION_WITHDRAWN_DAYS", "30", 1, 3650),
        retention_outbox_days=_int(env, "HUB_RETENTION_OUTBOX_DAYS", "90", 1, 3650),
        monitoring_term_months=_int(env, "HUB_MONITORING_TERM_MONTHS", "12", 1, 36),
        decharge_months=_int(env, "HUB_DECHARGE_MONTHS", "12", 1, 36),
        security_contacts=_security_contacts(env, base_url),
        security_policy_url=policy_url,
    )
