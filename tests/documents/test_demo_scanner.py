"""`hub demo` runs a clamd of its own when Debian's clamav-daemon is installed, and says when it runs without one."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.cli import main, server
from hub.config import Settings
from hub.documents import demo_scanner
from hub.documents.scanner import ClamdScanner
from tests.support.clamd import eicar


@pytest.fixture
def demo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Settings]]:
    """A demo in tmp_path whose `hub serve` only records the settings it was given (and checks the scanner)."""
    for name in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "demo"))
    monkeypatch.setenv("HUB_WORKER", "off")
    served: list[Settings] = []

    def serve(settings: Settings, args: object) -> None:
        server.require_scanner_choice(settings)  # what the real `hub serve` checks first
        if settings.scanning:  # the demo's clamd answers while the hub serves
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(settings.clamd)
                s.sendall(b"zPING\0")
                assert s.recv(16) == b"PONG\0"
        served.append(settings)

    monkeypatch.setattr(server, "cmd_serve", serve)
    before = os.umask(0o022)
    os.umask(before)
    yield served
    os.umask(before)


def test_without_clamd_the_demo_says_it_runs_without_a_scanner(
    demo_env: list[Settings], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo_scanner, "find_tool", lambda name: None)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Deze demo draait ZONDER virusscanner (HUB_CLAMD=off): clamd is niet geïnstalleerd" in out
    [settings] = demo_env
    assert settings.clamd_off and not settings.scanning


@pytest.mark.clamd
def test_with_clamd_installed_the_demo_scans_with_its_own_clamd(
    demo_env: list[Settings], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo_scanner, "SYSTEM_DATABASE", Path("/nonexistent"))  # the quick test database
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Virusscanner: clamd van de demo op " in out
    assert "alleen een EICAR-testhandtekening" in out
    [settings] = demo_env
    assert settings.scanning and not settings.clamd_off
    # Stopped when the demo ends: nobody answers on its socket any more.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s, pytest.raises(OSError):
        s.connect(settings.clamd)


@pytest.mark.clamd
async def test_the_demo_clamd_finds_the_test_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_scanner, "SYSTEM_DATABASE", tmp_path / "none")
    clamd = demo_scanner.start_demo_clamd(tmp_path / "clamd", 100 * 1024 * 1024)
    assert isinstance(clamd, demo_scanner.DemoClamd), clamd
    try:
        scanner = ClamdScanner(clamd.address)
        session = await scanner.session()
        await session.feed(b"%PDF-1.7\n" + os.urandom(1000) + eicar())
        verdict = await session.verdict()
        assert not verdict.clean and verdict.signature.startswith("Demo.EICAR.NDB")
        session = await scanner.session()
        await session.feed(b"%PDF-1.7\nnothing to see\n")
        assert (await session.verdict()).clean
    finally:
        clamd.stop()
    assert clamd.process.poll() is not None
