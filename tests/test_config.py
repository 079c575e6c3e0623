"""Settings: validated, every one documented in the README."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.config import SETTINGS, ConfigError, load_settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults(tmp_path: Path) -> None:
    s = load_settings({"HUB_DATA_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"
    assert (s.host, s.port, s.base_url, s.https) == ("127.0.0.1", 8000, "http://127.0.0.1:8000", False)
    assert s.max_upload_bytes == 100 * 1024 * 1024
    # A stopped clamd holds an upload seconds, not clamd's own MaxScanTime of 120 s.
    assert (s.clamd_connect_timeout, s.clamd_timeout, s.clamd_timeout_max) == (5, 10, 60)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HUB_PROT": "80"}, "Unknown setting HUB_PROT"),
        ({"HUB_PORT": "eighty"}, "not a whole number"),
        ({"HUB_PORT": "70000"}, "out of range"),
        ({"HUB_DATABASE_URL": "mysql://x"}, "must start with"),
        ({"HUB_BASE_URL": "ftp://hub"}, "http(s) URL"),
        ({"HUB_SMTP_TLS": "maybe"}, "must be one of"),
        ({"HUB_MAIL_FROM": "nobody"}, "not an e-mail address"),
        ({"HUB_DECREE_DAYS_FILE": "/does/not/exist"}, "does not exist"),
        ({"HUB_CLAMD_TIMEOUT": "0"}, "out of range"),
        ({"HUB_CLAMD_TIMEOUT": "30", "HUB_CLAMD_TIMEOUT_MAX": "20"}, "is below HUB_CLAMD_TIMEOUT=30"),
        ({"HUB_LOG_FORMAT": "xml"}, "must be one of"),
        ({"HUB_METRICS_PORT": "8000"}, "the metrics need a port of their own"),
        ({"HUB_METRICS_PORT": "0"}, "out of range"),
        ({"HUB_SHUTDOWN_GRACE_SECONDS": "0"}, "out of range"),
        ({"HUB_TRUSTED_PROXIES": "*"}, "not an IP address or network"),
        ({"HUB_TRUSTED_PROXIES": "10.0.0.1,ingress"}, "'ingress' is not an IP address"),
    ],
)
def test_invalid_values_stop_the_start(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(env)


def test_operations_settings(tmp_path: Path) -> None:
    """Metrics off and logs as text unless asked; the metrics port on loopback unless told; trusted proxies listed."""
    s = load_settings({"HUB_DATA_DIR": str(tmp_path)})
    assert (s.metrics_port, s.metrics_host, s.log_format, s.shutdown_grace_seconds) == (None, "127.0.0.1", "text", 30)
    assert s.trusted_proxies == ("127.0.0.1", "::1")
    s = load_settings(
        {"HUB_METRICS_PORT": "9100", "HUB_LOG_FORMAT": "JSON", "HUB_TRUSTED_PROXIES": "10.42.0.0/16, fd00::/8"}
    )
    assert (s.metrics_port, s.log_format, s.trusted_proxies) == (9100, "json", ("10.42.0.0/16", "fd00::/8"))


def test_https_base_url_switches_on_secure_cookies() -> None:
    s = load_settings({"HUB_BASE_URL": "https://hub.example.nl/"})
    assert s.https and s.base_url == "https://hub.example.nl"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in text]
    assert not missing, f"settings missing from README.md: {missing}"
    documented = set(re.findall(r"`(HUB_[A-Z_]+)`", text))
    unknown = documented - {s.name for s in SETTINGS}
    assert not unknown, f"README.md documents settings that do not exist: {unknown}"


# -- HUB_CLAMD: a scanner, or `off` on purpose -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "clamd", "off"),
    [
        ("", "", False),
        ("off", "", True),
        (" OFF ", "", True),
        ("127.0.0.1:3310", "127.0.0.1:3310", False),
        ("[::1]:3310", "[::1]:3310", False),
        ("clamav.internal:3310", "clamav.internal:3310", False),
        ("/run/clamav/clamd.ctl", "/run/clamav/clamd.ctl", False),
        ("unix:/run/clamav/clamd.ctl", "unix:/run/clamav/clamd.ctl", False),
    ],
)
def test_clamd_is_an_address_or_off(value: str, clamd: str, off: bool) -> None:
    s = load_settings({"HUB_CLAMD": value})
    assert (s.clamd, s.clamd_off, s.scanning) == (clamd, off, bool(clamd))


@pytest.mark.parametrize("value", ["none", "false", "disabled", "127.0.0.1", "127.0.0.1:99999", "host:port"])
def test_a_clamd_value_that_is_no_address_stops_the_start(value: str) -> None:
    """A typo must not silently mean "no scanning": only the word `off` does."""
    with pytest.raises(ConfigError, match=re.escape("or `off` to run without virus scanning")):
        load_settings({"HUB_CLAMD": value})


@pytest.fixture
def keep_umask() -> Iterator[None]:
    """hub.cli.main sets the process's umask: put it back for the tests that follow."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


@pytest.mark.usefixtures("keep_umask")
def test_hub_serve_refuses_to_start_without_a_scanner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    from hub.cli import main

    started: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append(app))
    for name in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
    assert main(["init"]) == 0
    capsys.readouterr()
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "HUB_CLAMD is not set: uploads would not be scanned for viruses" in err
    assert "HUB_CLAMD=off" in err
    assert started == []


@pytest.mark.usefixtures("keep_umask")
def test_hub_serve_without_a_scanner_on_purpose_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import uvicorn

    from hub.cli import main

    started: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append(app))
    for name in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HUB_WORKER", "off")
    assert main(["init"]) == 0
    monkeypatch.setenv("HUB_CLAMD", "off")
    with caplog.at_level("WARNING", logger="hub.cli"):
        assert main(["serve"]) == 0
    assert len(started) == 1
    assert "HUB_CLAMD=off: uploads are NOT scanned for viruses" in caplog.text


# -- HUB_SECURITY_CONTACT and HUB_SECURITY_POLICY_URL: where to report a vulnerability (security.txt) ------------


@pytest.mark.parametrize(
    ("base_url", "contact"),
    [
        ("https://hub.gemeente.example.nl", "mailto:security@hub.gemeente.example.nl"),
        ("http://localhost:8000", "mailto:security@localhost"),
        ("http://127.0.0.1:8000", "mailto:security@[127.0.0.1]"),
        ("http://[::1]:8000", "mailto:security@[IPv6:::1]"),
    ],
)
def test_without_a_security_contact_the_hubs_own_host_has_the_security_mailbox(base_url: str, contact: str) -> None:
    s = load_settings({"HUB_BASE_URL": base_url})
    assert (s.security_contacts, s.security_policy_url) == ((contact,), "")


def test_security_contacts_keep_their_order() -> None:
    s = load_settings(
        {
            "HUB_SECURITY_CONTACT": " https://gemeente.example.nl/melden ,mailto:cert@gemeente.example.nl",
            "HUB_SECURITY_POLICY_URL": "https://gemeente.example.nl/cvd",
        }
    )
    assert s.security_contacts == ("https://gemeente.example.nl/melden", "mailto:cert@gemeente.example.nl")
    assert s.security_policy_url == "https://gemeente.example.nl/cvd"


@pytest.mark.parametrize(
    "value",
    ["cert@gemeente.example.nl", "http://gemeente.example.nl/melden", "mailto:nobody", "https://", "tel:+31201234567"],
)
def test_a_security_contact_must_be_a_mailto_or_https_uri(value: str) -> None:
    with pytest.raises(ConfigError, match=re.escape("must be a mailto: or https: URI")):
        load_settings({"HUB_SECURITY_CONTACT": value})


@pytest.mark.parametrize("value", ["http://gemeente.example.nl/cvd", "gemeente.example.nl/cvd", "https://"])
def test_a_security_policy_must_be_an_https_url(value: str) -> None:
    with pytest.raises(ConfigError, match=re.escape("must be an https:// URL")):
        load_settings({"HUB_SECURITY_POLICY_URL": value})


@pytest.mark.parametrize(("value", "months"), [("", ()), ("2,1", (2, 1)), ("1, 3,3", (3, 1)), ("11", (11,))])
def test_schuldhulp_warnings_are_whole_months_largest_first(value: str, months: tuple[int, ...]) -> None:
    assert load_settings({"HUB_SCHULDHULP_WARN_MONTHS": value}).schuldhulp_warn_months == months
    assert load_settings({}).schuldhulp_warn_months == (2, 1)


@pytest.mark.parametrize("value", ["0", "12", "2;1", "twee", "-1"])
def test_schuldhulp_warnings_outside_the_year_stop_the_start(value: str) -> None:
    with pytest.raises(ConfigError, match="HUB_SCHULDHULP_WARN_MONTHS"):
        load_settings({"HUB_SCHULDHULP_WARN_MONTHS": value})


def test_the_audit_head_file_is_beside_the_data_unless_set(tmp_path: Path) -> None:
    assert load_settings({"HUB_DATA_DIR": str(tmp_path)}).audit_head_file == tmp_path / "audit-head.log"
    elsewhere = tmp_path / "elsewhere.log"
    settings = load_settings({"HUB_DATA_DIR": str(tmp_path), "HUB_AUDIT_HEAD_FILE": str(elsewhere)})
    assert settings.audit_head_file == elsewhere
    for wrong in (tmp_path, tmp_path / "no-such-dir" / "head.log"):
        with pytest.raises(ConfigError, match="HUB_AUDIT_HEAD_FILE"):
            load_settings({"HUB_DATA_DIR": str(tmp_path), "HUB_AUDIT_HEAD_FILE": str(wrong)})


@pytest.mark.usefixtures("keep_umask")
def test_hub_serve_hands_uvicorn_the_operations_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shutdown grace, the trusted proxies, and no logging set-up of uvicorn's own (its lines use the hub's)."""
    import uvicorn

    from hub.cli import main

    options: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: options.append(kw))
    for name in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
    assert main(["init"]) == 0
    for name, value in {
        "HUB_CLAMD": "off",
        "HUB_WORKER": "off",
        "HUB_SHUTDOWN_GRACE_SECONDS": "12",
        "HUB_TRUSTED_PROXIES": "10.42.0.0/16",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["serve"]) == 0
    (kw,) = options
    assert kw["timeout_graceful_shutdown"] == 12
    assert kw["forwarded_allow_ips"] == ["10.42.0.0/16"] and kw["proxy_headers"] is True
    assert kw["log_config"] is None and kw["access_log"] is False


# -- HUB_API_CONTACT_EMAIL: the OpenAPI document's contact (API Design Rules) ------------------------------------


def test_the_api_contact_is_set_or_the_first_security_mailbox() -> None:
    assert load_settings({"HUB_API_CONTACT_EMAIL": " api@gemeente.example.nl "}).api_contact_email == (
        "api@gemeente.example.nl"
    )
    contacts = "https://gemeente.example.nl/melden,mailto:cert@gemeente.example.nl"
    assert load_settings({"HUB_SECURITY_CONTACT": contacts}).api_contact_email == "cert@gemeente.example.nl"
    assert load_settings({"HUB_SECURITY_CONTACT": "https://gemeente.example.nl/melden"}).api_contact_email == ""


@pytest.mark.parametrize("value", ["api", "mailto:api@gemeente.example.nl", "api@x, b@y", "<api@gemeente.nl>"])
def test_an_api_contact_must_be_an_e_mail_address(value: str) -> None:
    with pytest.raises(ConfigError, match=re.escape("HUB_API_CONTACT_EMAIL=")):
        load_settings({"HUB_API_CONTACT_EMAIL": value})
