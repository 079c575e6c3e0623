"""Settings: validated, every one documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.config import SETTINGS, ConfigError, load_settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults(tmp_path: Path) -> None:
    s = load_settings({"HUB_DATA_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"
    assert (s.host, s.port, s.base_url, s.https) == ("127.0.0.1", 8000, "http://127.0.0.1:8000", False)
    assert s.max_upload_bytes == 100 * 1024 * 1024


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
    ],
)
def test_invalid_values_stop_the_start(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(env)


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
