"""The chain's head outside the database: an append-only file beside the data, and the log.

Every audit record that is committed is also written as one line ``<seq> <hash>`` to the head file
(``HUB_AUDIT_HEAD_FILE``, ``<data dir>/audit-head.log`` by default) and logged (logger ``hub.audit``). Someone who
can change the database but not the server's disk, or not the log, can then no longer remove the newest records or
rewrite the chain from some record onwards unseen: ``hub audit verify`` compares the file with the database
(:mod:`hub.audit.services`).

The order: the line is written *after* the transaction commits (SQLAlchemy's ``after_commit``), never before. A
crash in between leaves the database ahead of the file, which verify accepts when those newer records' chain is
intact; the file is never ahead of a committed database, so verify never fails falsely. (Exception: SQLite with
``synchronous=NORMAL`` may lose its last commits in a power cut while the file kept them; verify then reports those
records as removed. PostgreSQL commits durably before the file is written.)

The write itself is one ``write(2)`` with ``O_APPEND`` (microseconds, on the event loop); the ``fsync`` that makes
it survive a power cut runs in a background thread, which coalesces the lines of many commits into one ``fsync``, so a
page view never waits for the disk. Several processes may append to one file (each line is one small write); their
lines may then interleave out of order, so verify reads the file as a set of (seq, hash) pairs, not a sequence.

A record appended inside a savepoint that is rolled back is not written (its sequence number is used again).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.audit.models import AuditEvent, AuditHead
from hub.db import AUDIT_HEAD_FILE_INFO

log = logging.getLogger("hub.audit")

_PENDING = "hub.audit_pending"  # session.info: [(transaction, seq, hash)] appended in the open transaction


class HeadFileError(Exception):
    """The head file cannot be read: a line that is not ``<seq> <hash>``."""


@dataclass(frozen=True)
class HeadEntry:
    line: int
    seq: int
    hash: str


class HeadFile:
    """One head file: appending (any thread), a background ``fsync`` (:class:`_Syncer`), and reading it back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, entries: list[tuple[int, str]]) -> None:
        """Append one line per (seq, hash) in one write; the fsync follows shortly in the background."""
        data = "".join(f"{seq} {digest}\n" for seq, digest in entries).encode("ascii")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        _syncer.mark(self)

    def exists(self) -> bool:
        return self.path.exists()

    def sync(self) -> None:
        """fsync what was written so far (the syncer does it on its own; this is for exit and for tests)."""
        if not self.path.exists():
            return
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> Iterator[HeadEntry]:
        """The file's lines as they stand, streamed. HeadFileError for a line that is not ``<seq> <hash>``."""
        with self.path.open("r", encoding="ascii", errors="replace") as lines:
            for number, text in enumerate(lines, start=1):
                parts = text.split()
                if len(parts) != 2 or not (parts[0].isascii() and parts[0].isdigit()) or len(parts[1]) != 64:
                    raise HeadFileError(f"line {number} of {self.path} is not '<seq> <hash>'")
                yield HeadEntry(number, int(parts[0]), parts[1])


class _Syncer:
    """One background thread per process that fsyncs the head files written since its last round: the lines of
    many commits in one fsync, and no request waiting for the disk."""

    def __init__(self) -> None:
        self._dirty: set[HeadFile] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def mark(self, file: HeadFile) -> None:
        with self._lock:
            self._dirty.add(file)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="audit-head-fsync", daemon=True)
                self._thread.start()
        self._wake.set()

    def flush(self) -> None:
        with self._lock:
            files, self._dirty = self._dirty, set()
        for file in files:
            try:
                file.sync()
            except OSError:
                log.exception("audit head file %s could not be synced", file.path)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            self.flush()


_syncer = _Syncer()
atexit.register(_syncer.flush)  # what the thread had not reached yet
_files: dict[Path, HeadFile] = {}
_files_lock = threading.Lock()


def head_file(path: Path) -> HeadFile:
    """The one HeadFile of this process for ``path`` (one lock per file for the appends of all sessions)."""
    with _files_lock:
        if path not in _files:
            _files[path] = HeadFile(path)
        return _files[path]


# -- from the session to the file --------------------------------------------------------------------------------


def note_appended(db: AsyncSession, seq: int, digest: str) -> None:
    """Remember a record appended in the session's open transaction, for the head file once it commits."""
    session = db.sync_session
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, seq, digest))


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: list[tuple[Any, int, str]] = session.info.pop(_PENDING, [])
    if not pending:
        return
    committed = sorted({seq: digest for _, seq, digest in pending}.items())  # a seq used again: the last one
    for seq, digest in committed:
        log.info("audit head seq=%d hash=%s", seq, digest)
    path = session.info.get(AUDIT_HEAD_FILE_INFO)
    if path is None:
        return
    try:
        head_file(Path(path)).append(committed)
    except OSError:
        # The records are committed; verify will report the file as behind. The request itself stands.
        log.exception("audit head file %s could not be written (records up to %d)", path, committed[-1][0])


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[tuple[Any, int, str]] = session.info.get(_PENDING, [])
    if not pending:
        return
    if previous_transaction.nested:
        session.info[_PENDING] = [p for p in pending if not _within(p[0], previous_transaction)]
    else:
        session.info.pop(_PENDING, None)


async def anchor(db: AsyncSession, path: Path) -> None:
    """Start a missing head file at the database's current head, so that verify has it from now on.

    A hub upgraded to this version has records but no file yet. A file that went missing later is started anew
    too, with a warning: the lines that were in it are gone, so the check covers only what follows.
    """
    if head_file(path).exists():
        return
    head = (await db.execute(select(AuditHead).where(col(AuditHead.id) == 1))).scalar_one_or_none()
    if head is None or head.seq == 0:
        head_file(path).append([])
        return
    log.warning("audit head file %s was missing: started at record %d", path, head.seq)
    head_file(path).append([(head.seq, head.hash)])


# -- the file against the database -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadComparison:
    """``broken_seq``: the lowest record where the file and the database disagree (None: they agree).
    ``newest``: the highest sequence number in the file (0 when empty); ``lines``: how many lines it has."""

    broken_seq: int | None
    reason: str
    lines: int
    newest: int


async def compare(db: AsyncSession, path: Path, chain_end: int, *, batch_size: int = 1000) -> HeadComparison:
    """Every line of the head file against the record of its sequence number; ``chain_end`` is the newest record
    whose chain verified. Streams the file in batches (one query per batch), in whatever order its lines are."""
    if not head_file(path).exists():
        if chain_end == 0:
            return HeadComparison(None, "", 0, 0)
        # The first record in doubt is the one after the chain's end: newer ones may have been removed unseen.
        missing = f"head file {path} is missing: cannot tell whether newer ones were removed"
        return HeadComparison(chain_end + 1, missing, 0, 0)
    problems: list[tuple[int, str]] = []
    lines = newest = 0
    batch: list[HeadEntry] = []

    async def check(entries: list[HeadEntry]) -> None:
        stored = dict(
            (
                await db.execute(
                    select(col(AuditEvent.seq), col(AuditEvent.hash)).where(
                        col(AuditEvent.seq).in_({e.seq for e in entries})
                    )
                )
            ).all()
        )
        for entry in entries:
            found = stored.get(entry.seq)
            if found is None:
                problems.append((entry.seq, "record missing; the head file holds it"))
            elif found != entry.hash:
                problems.append((entry.seq, "record differs from the hash the head file holds for it"))

    try:
        for entry in head_file(path).entries():
            lines += 1
            newest = max(newest, entry.seq)
            batch.append(entry)
            if len(batch) >= batch_size:
                await check(batch)
                batch = []
        if batch:
            await check(batch)
    except HeadFileError as exc:
        return HeadComparison(chain_end + 1, str(exc), lines, newest)
    if newest > chain_end:
        # The newest records were removed: name the first one missing and how many.
        first = chain_end + 1
        missing = (
            f"record {first} missing at the end; the head file holds it"
            if newest == first
            else f"records {first} to {newest} missing at the end; the head file holds them"
        )
        return HeadComparison(first, missing, lines, newest)
    if problems:
        seq, reason = min(problems)
        return HeadComparison(seq, reason, lines, newest)
    return HeadComparison(None, "", lines, newest)
