"""The hub served by uvicorn in a thread, and Debian's Chromium driven by Playwright, with axe-core."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from hub.accounts import totp
from hub.app import create_app
from hub.config import Settings
from tests.support.hubclient import PASSWORD
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']"


@contextmanager
def serve_in_thread(settings: Settings) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", loop="asyncio", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the hub did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Chromium is missing: run `apt-get install -y --no-upgrade chromium` (make test does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    if not AXE.exists():
        raise RuntimeError("axe-core is missing: run `npm ci` (make test does).")
    page.add_script_tag(path=str(AXE))
    result: list[dict[str, Any]] = page.evaluate(
        f"async () => (await axe.run(document, {{runOnly: {WCAG}}})).violations"
    )
    return result


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    report = json.dumps(
        [{"id": v["id"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]]} for v in violations],
        indent=1,
        ensure_ascii=False,
    )
    assert not violations, f"axe found WCAG 2.1 AA violations on {page.url}:\n{report}"


def log_in(page: Any, base: str, email: str, secret: bytes, password: str = PASSWORD) -> None:
    """Through the real login pages: e-mail address and password, then the authenticator code; on the start page."""
    page.goto(f"{base}/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/inloggen/mfa**")
    page.get_by_label("Code uit uw authenticator-app").fill(totp.code_at(secret, time.time()))
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}/")
