"""`hub audit verify | export`: check the audit log against its head file; write it as JSON lines for a SIEM."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from hub import migrate
from hub.audit import actions
from hub.audit import services as audit
from hub.audit.export import BadMoment, as_json, batches, in_period, parse_moment
from hub.cli.common import CliError, in_transaction, on_runtime
from hub.config import Settings
from hub.runtime import Runtime


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> None:
    """Walk the audit chain and compare the head file; exit status 2 when broken. Needs no keyring: records hold no
    content."""
    migrate.require_current(settings.database_url)
    head_file = settings.audit_head_file

    async def work(db: AsyncSession, rt: Runtime) -> Any:
        return await audit.verify(db, head_file=head_file)

    result = in_transaction(settings, work)
    if not result.ok:
        raise CliError(
            f"audit log BROKEN at record {result.first_broken_seq} ({result.reason}); "
            f"{result.count} record(s) before it are intact."
        )
    print(f"Audit log intact: {result.count} record(s), every link verified.")
    newest = result.head_file_newest or 0
    ahead = result.count - newest
    print(
        f"Head file {head_file}: agrees, up to record {newest}"
        + (f"; {ahead} newer record(s) not in it yet, their chain intact." if ahead > 0 else ".")
    )


def _moment(text: str | None, option: str, *, end: bool = False) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_moment(text, end=end)
    except BadMoment:
        raise CliError(
            f"{option} {text!r} is not a date (2026-03-01) or a date and time (2026-03-01T09:30, Dutch time unless "
            "it carries an offset)."
        ) from None


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    if path is None or path == "-":
        yield sys.stdout
        return
    with Path(path).open("x", encoding="ascii") as out:  # never overwrite an earlier export
        yield out


def cmd_audit_export(settings: Settings, args: argparse.Namespace) -> None:
    """The records from ``--since`` (to ``--until``) as JSON lines, streamed in batches; the export is itself
    recorded (``audit.export``, object ``cli``) before the first line is written."""
    migrate.require_current(settings.database_url)
    since = _moment(args.since, "--since")
    until = _moment(args.until, "--until", end=True)
    if since is not None and until is not None and until <= since:
        raise CliError("--until lies before --since: nothing to export.")

    async def work(rt: Runtime) -> int:
        async with rt.transaction() as db:
            await audit.record(
                db,
                user_id=None,
                organisation_id=None,
                action=actions.AUDIT_EXPORT,
                object_type=actions.AUDIT_LOG_OBJECT,
                object_id="cli",
            )
        written = 0
        with _output(args.output) as out:
            async for batch in batches(rt.sessions, in_period(since, until)):
                out.write("".join(as_json(event) + "\n" for event in batch))
                written += len(batch)
        return written

    try:
        written = on_runtime(settings, work)
    except FileExistsError:
        raise CliError(f"{args.output} exists already; choose another file.") from None
    if args.output not in (None, "-"):
        print(f"{written} record(s) written to {args.output}.", file=sys.stderr)


def add_commands(sub: Any) -> None:
    """`hub audit ...` on the command's subparsers."""
    group = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_command", required=True)
    p = group.add_parser("verify", help="check the hash chain against the head file (exit status 2 when broken)")
    p.set_defaults(fn=cmd_audit_verify)
    p = group.add_parser("export", help="write the records of a period as JSON lines, for a SIEM")
    p.add_argument("--since", required=True, help="a date (2026-03-01) or date and time (2026-03-01T09:30)")
    p.add_argument("--until", help="the end: a date includes that whole day; a time is exclusive (default: now)")
    p.add_argument("--output", help="a new file to write (default: standard output)")
    p.set_defaults(fn=cmd_audit_export)
