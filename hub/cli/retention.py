"""`hub retention run [--dry-run]`: delete what the retention periods say is due (hub.retention), or list it."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from sqlmodel.ext.asyncio.session import AsyncSession

from hub import migrate
from hub.audit import actions
from hub.audit import services as audit
from hub.cli.accounts import org_by_name_or_id
from hub.cli.common import CliError, in_transaction, on_runtime
from hub.config import Settings
from hub.db import utcnow
from hub.documents.components import blobs_of
from hub.documents.models import DocumentType
from hub.retention.components import policy_of
from hub.retention.document_types import DOCUMENT_TYPE_YEARS
from hub.retention.due import DueItems
from hub.retention.models import DocumentRetentionRule
from hub.retention.run import RunResult, plan, run_retention
from hub.runtime import Runtime
from hub.terms import AMSTERDAM


def describe(due: DueItems) -> list[str]:
    """The dry run's lines: counts and ids (a case also by its dossiernummer), never content."""
    lines = [f"Cases to delete: {len(due.cases)}"]
    lines += [f"  case {c.id} ({c.reference}), ended {c.ended_on.isoformat()}" for c in due.cases]
    lines.append(f"Cases past their period kept by a legal hold: {len(due.held_case_ids)}")
    lines += [f"  case {case_id}" for case_id in due.held_case_ids]
    lines.append(f"Withdrawn documents to delete: {len(due.withdrawn_document_ids)}")
    lines += [f"  document {document_id}" for document_id in due.withdrawn_document_ids]
    lines.append(f"Documents past their type's period to delete: {len(due.expired_document_ids)}")
    lines += [f"  document {document_id}" for document_id in due.expired_document_ids]
    lines.append(f"Mail outbox rows to delete: {due.outbox_rows}")
    return lines


class ProgressLine:
    """``deleting 12/40 [=====     ]`` rewritten in place on a terminal; nothing otherwise (logs stay clean)."""

    WIDTH = 30

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.tty or total == 0:
            return
        filled = self.WIDTH * done // total
        self.out.write(f"\rdeleting {done}/{total} [{'=' * filled}{' ' * (self.WIDTH - filled)}]")
        if done == total:
            self.out.write("\n")
        self.out.flush()


def summary(result: RunResult) -> str:
    return (
        f"Deleted {result.cases} case(s), {result.documents} withdrawn document(s), {result.expired_documents} "
        f"document(s) past their type's period, {result.outbox_rows} mail outbox row(s); {result.held} case(s) past "
        f"their period kept by a legal hold."
    )


def cmd_retention_run(settings: Settings, args: argparse.Namespace) -> None:
    migrate.require_current(settings.database_url)

    async def work(runtime: Runtime) -> list[str]:
        now = utcnow()
        today = now.astimezone(AMSTERDAM).date()
        policy = policy_of(runtime)
        if args.dry_run:
            return describe(await plan(runtime.sessions, policy, now, today))
        result = await run_retention(
            runtime.sessions, blobs_of(runtime), policy, now=now, today=today, actor="cli",
            progress=ProgressLine(sys.stderr),
        )  # fmt: skip
        return [summary(result)]

    for line in on_runtime(settings, work):
        print(line)


YEARS_RANGE = (1, 100)


def cmd_retention_years(settings: Settings, args: argparse.Namespace) -> None:
    """Set (or with --default clear) an organisation's own period for ended cases; audited
    (``organisation.retention_changed``, no user: the command line)."""
    migrate.require_current(settings.database_url)
    years: int | None = None if args.default else args.years
    if years is not None and not YEARS_RANGE[0] <= years <= YEARS_RANGE[1]:
        raise CliError("--years must be 1 to 100.")

    async def work(db: AsyncSession, rt: Runtime) -> str:
        org = await org_by_name_or_id(db, args.organisation)
        org.retention_case_years = years
        db.add(org)
        await audit.record(
            db, user_id=None, organisation_id=org.id, action=actions.ORGANISATION_RETENTION_CHANGED,
            object_type="organisation", object_id=org.id,
        )  # fmt: skip
        return str(org.name)

    name = in_transaction(settings, work)
    shown = f"{years} year(s)" if years is not None else f"the default ({settings.retention_case_years} years)"
    print(f"{name}: ended cases are kept {shown}; a case keeps the longer period of its two parties.")


def cmd_retention_document_years(settings: Settings, args: argparse.Namespace) -> None:
    """Set an organisation's own rule for one document type (years, or following the case), or with --default go
    back to the hub's default; audited (``organisation.retention_changed``, no user: the command line)."""
    migrate.require_current(settings.database_url)
    try:
        doc_type = DocumentType(args.type)
    except ValueError:
        raise CliError(f"--type must be one of: {', '.join(t.value for t in DocumentType)}.") from None
    if args.years is not None and not YEARS_RANGE[0] <= args.years <= YEARS_RANGE[1]:
        raise CliError("--years must be 1 to 100.")

    async def work(db: AsyncSession, rt: Runtime) -> str:
        org = await org_by_name_or_id(db, args.organisation)
        rule = await db.get(DocumentRetentionRule, (org.id, doc_type.value))
        if args.default:
            if rule is not None:
                await db.delete(rule)
        else:
            rule = rule or DocumentRetentionRule(organisation_id=org.id, doc_type=doc_type.value)
            rule.years = args.years  # None with --follow-case
            db.add(rule)
        await audit.record(
            db, user_id=None, organisation_id=org.id, action=actions.ORGANISATION_RETENTION_CHANGED,
            object_type="organisation", object_id=org.id,
        )  # fmt: skip
        return str(org.name)

    name = in_transaction(settings, work)
    years = DOCUMENT_TYPE_YEARS[doc_type] if args.default else args.years
    shown = f"kept {years} year(s) after their date" if years is not None else "kept as long as their case"
    print(
        f"{name}: documents of type {doc_type.value} are {shown}{' (the default)' if args.default else ''}; a "
        "document keeps the longer rule of its two parties."
    )


def add_commands(sub: Any) -> None:
    """`hub retention ...` on the command's subparsers."""
    group = sub.add_parser("retention", help="retention periods").add_subparsers(
        dest="retention_command", required=True
    )
    p = group.add_parser("run", help="delete the cases, documents and mail rows past their period")
    p.add_argument("--dry-run", action="store_true", help="only list what would be deleted (ids and counts)")
    p.set_defaults(fn=cmd_retention_run)
    p = group.add_parser("years", help="an organisation's own retention period for ended cases")
    p.add_argument("--organisation", required=True, help="name or id")
    choice = p.add_mutually_exclusive_group(required=True)
    choice.add_argument("--years", type=int, help="years after a case ended (1-100)")
    choice.add_argument("--default", action="store_true", help="back to HUB_RETENTION_CASE_YEARS")
    p.set_defaults(fn=cmd_retention_years)
    p = group.add_parser("document-years", help="an organisation's own retention period for one document type")
    p.add_argument("--organisation", required=True, help="name or id")
    p.add_argument("--type", required=True, help="the document type, e.g. cak_nota")
    choice = p.add_mutually_exclusive_group(required=True)
    choice.add_argument("--years", type=int, help="years after the document's date (1-100), also while the case runs")
    choice.add_argument("--follow-case", action="store_true", help="keep them as long as their case")
    choice.add_argument("--default", action="store_true", help="back to the hub's default for the type")
    p.set_defaults(fn=cmd_retention_document_years)
