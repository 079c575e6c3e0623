"""`hub user add` / `reset-password`: a one-time password is printed for a functioneel beheerder only (the
operator's own bootstrap); any other account gets an enrolment link mailed to its own address, and the operator
cannot give it a password of their choosing."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.audit.models import AuditEvent
from hub.cli import main
from hub.db import create_engine, session_factory, transaction
from hub.notifications.models import OutboxMail


async def _rows(url: str) -> tuple[list[str], list[str]]:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            kinds = list((await db.execute(select(OutboxMail.kind).order_by(OutboxMail.created_at))).scalars())  # type: ignore[arg-type]
            actions = list((await db.execute(select(AuditEvent.action).order_by(AuditEvent.seq))).scalars())  # type: ignore[arg-type]
        return kinds, actions
    finally:
        await engine.dispose()


def test_the_cli_prints_no_password_for_a_case_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUB_DATABASE_URL", url)
    assert main(["init"]) == 0  # a keyring and the schema
    assert main(["org", "add", "--kind", "beheer", "--name", "Beheer"]) == 0
    assert main(["org", "add", "--kind", "bewindvoerderskantoor", "--name", "Kantoor A"]) == 0
    capsys.readouterr()

    add_fb = ["user", "add", "--organisation", "Beheer", "--name", "F", "--email", "f@b.example.nl"]
    assert main([*add_fb, "--role", "functioneel_beheerder"]) == 0
    assert "One-time password" in capsys.readouterr().out

    add_bv = ["user", "add", "--organisation", "Kantoor A", "--name", "B", "--email", "b@a.example.nl"]
    assert main([*add_bv, "--role", "bewindvoerder"]) == 0
    out = capsys.readouterr().out
    assert "One-time password" not in out and "enrolment link" in out
    assert main(["user", "reset-password", "b@a.example.nl"]) == 0
    out = capsys.readouterr().out
    assert "One-time password" not in out and "enrolment link" in out

    # Not even a password of the operator's choosing.
    monkeypatch.setattr("sys.stdin", io.StringIO("een wachtwoord van de beheerder\n"))
    add_kb = ["user", "add", "--organisation", "Kantoor A", "--name", "K", "--email", "k@a.example.nl"]
    assert main([*add_kb, "--role", "kantoorbeheerder", "--password-stdin"]) != 0

    kinds, actions = asyncio.run(_rows(url))
    assert kinds == ["account_aangemaakt", "account_activeren", "account_herstellen"]
    assert "user.created_enrolment_link" in actions and "user.password_reset_enrolment_link" in actions
