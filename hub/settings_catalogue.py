"""Every HUB_* setting with its default and what it does: the one list that `hub settings`, the README's table and the
check for unknown variables (hub.config) read."""

from __future__ import annotations

from dataclasses import dataclass


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
    Setting(
        "HUB_BLOBS",
        "",
        "Where encrypted documents live: empty for <data dir>/blobs, or s3://bucket/prefix for S3-compatible object "
        "storage (reached through AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).",
    ),
    Setting("HUB_KEYRING", "", "The keyring as JSON (or base64 of it) instead of <data dir>/keyring.json."),
    Setting("HUB_LOG_LEVEL", "info", "Log level: debug, info, warning or error."),
    Setting("HUB_LOG_FORMAT", "text", "text: plain log lines; json: one JSON object a line (for a log collector)."),
    Setting(
        "HUB_METRICS_PORT",
        "",
        "Port of the Prometheus metrics endpoint (GET /metrics), apart from the site's port; empty: no metrics.",
    ),
    Setting(
        "HUB_METRICS_HOST",
        "127.0.0.1",
        "Address the metrics port listens on; another address than 127.0.0.1 only behind a network policy.",
    ),
    Setting(
        "HUB_TRUSTED_PROXIES",
        "127.0.0.1,::1",
        "Addresses or networks (CIDR) of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed.",
    ),
    Setting(
        "HUB_SHUTDOWN_GRACE_SECONDS",
        "30",
        "After SIGTERM, seconds running requests (uploads) may take to finish before they are cut off (1-3600).",
    ),
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
    Setting(
        "HUB_OUTBOX_LEASE_SECONDS",
        "60",
        "Lease of a worker's claim on a mail, renewed while the worker lives: a killed worker's mails wait this long "
        "before another worker sends them (2-3600).",
    ),
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
    Setting("HUB_API_RATE_LIMIT", "600", "API calls per token per minute (10-100000); more are answered with 429."),
    Setting(
        "HUB_WEBHOOK_ALLOW_PRIVATE",
        "false",
        "true: webhooks may go to plain http and to loopback or private addresses. Only for tests and on-premise "
        "receivers; otherwise every webhook URL must be https and resolve to public addresses only.",
    ),
    Setting("HUB_RETENTION_OUTBOX_DAYS", "90", "Days a settled mail outbox row or webhook delivery is kept (1-3650)."),
    Setting(
        "HUB_MONITORING_TERM_MONTHS",
        "12",
        "Months after the start of the bewind within which the monitoring's D2 counts an aanmelding schuldhulp (1-36).",
    ),
    Setting(
        "HUB_SESSION_IDLE_SECONDS",
        "1800",
        "Seconds a logged-in session lasts without a request before it ends (10-43200; the absolute limit is 12 h).",
    ),
    Setting(
        "HUB_SESSION_WARNING_SECONDS",
        "120",
        "Seconds before the idle end at which the page offers to stay logged in (5-3600; needs JavaScript).",
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
    Setting(
        "HUB_API_CONTACT_EMAIL",
        "",
        "The e-mail address the API's OpenAPI document names as its contact; empty means the first mailto: address "
        "of HUB_SECURITY_CONTACT.",
    ),
)
