"""After the run: is everything the users were told was done there exactly once, and was nothing sent twice?

- every reply answered with a 303 is one message (found by its form token's digest, the id the redirect named),
  and a reply cut off in the kill is there at most once;
- every upload answered with a 303 is one document (found by its plaintext SHA-256, decrypted from the row), its
  blob is in the bucket and downloads, through the proxy and the uploader's own session, to the same SHA-256; an
  upload cut off in the kill is there at most once;
- every notification row the workers marked sent reached the SMTP sink exactly once (by its Message-ID), the sink
  holds no mail twice and none without a row; rows still due after the workers had time to drain are reported;
  the rows the killed worker had claimed were sent by another worker once its claims' lease ran out, exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.load.users import Stats, User

DRAIN_SECONDS = 120.0


@dataclass
class Verdict:
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, what: str, expected: int, found: int, note: str = "") -> None:
        ok = expected == found
        self.rows.append({"check": what, "expected": expected, "found": found, "ok": "yes" if ok else "NO",
                          "note": note})  # fmt: skip
        if not ok:
            self.problems.append(f"{what}: expected {expected}, found {found}")


async def _rows(database_url: str, sql: str, **params: Any) -> list[Any]:
    from sqlalchemy import text

    from hub.db import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


async def held_by(database_url: str, worker_pid: int) -> list[str]:
    """The outbox rows a worker process holds claimed (taken right after it was killed)."""
    rows = await _rows(
        database_url,
        "SELECT id FROM outbox_mail WHERE status = 'sending' AND claimed_by LIKE :worker",
        worker=f"%:{worker_pid}:%",
    )
    return [row[0] for row in rows]


async def wait_for_outbox(database_url: str) -> int:
    """Wait until no mail is due or being sent any more (the killed worker's claims wait for their lease to run
    out); returns the seconds."""
    started = time.monotonic()
    while time.monotonic() - started < DRAIN_SECONDS:
        due = await _rows(database_url, "SELECT count(*) FROM outbox_mail WHERE status IN ('pending', 'sending')")
        if due[0][0] == 0:
            break
        await asyncio.sleep(1)
    return round(time.monotonic() - started)


async def check_replies(database_url: str, stats: Stats, verdict: Verdict) -> None:
    rows = await _rows(database_url, "SELECT id, form_token FROM message WHERE form_token IS NOT NULL")
    by_digest: dict[str, list[str]] = {}
    for message_id, digest in rows:
        by_digest.setdefault(digest, []).append(message_id)

    def digest(user_id: str, token: str) -> str:
        return hashlib.sha256(f"{user_id}:{token}".encode()).hexdigest()

    once = sum(1 for u, t, m in stats.replies if by_digest.get(digest(u, t)) == [m])
    verdict.add("replies acknowledged (303): exactly one message each, the one named", len(stats.replies), once)
    lost = [len(by_digest.get(digest(u, t), [])) for u, t in stats.unacked_replies]
    at_most_once = sum(1 for n in lost if n <= 1)
    verdict.add("replies not acknowledged (cut off, form refused): at most one message each", len(lost), at_most_once,
                f"{sum(lost)} of {len(lost)} were committed")  # fmt: skip


async def check_uploads(database_url: str, keyring_env: str, stats: Stats, verdict: Verdict) -> dict[str, str]:
    """Returns SHA-256 -> (document id) of the acknowledged uploads found once; downloads are checked apart."""
    from crypto import Keyring, decrypt_field
    from hub.fields import DOCUMENT_SHA256

    keyring = Keyring.from_env(keyring_env)
    rows = await _rows(database_url, "SELECT id, sha256, size, uploaded_by FROM document")
    found: dict[str, list[tuple[str, int, str]]] = {}
    for document_id, sealed, size, uploaded_by in rows:
        plain = decrypt_field(keyring, bytes(sealed), context=DOCUMENT_SHA256.context(document_id))
        found.setdefault(plain.hex(), []).append((document_id, size, uploaded_by))
    once = {d: found[d][0] for d, n in stats.uploads.items() if len(found.get(d, [])) == 1 and found[d][0][1] == n}
    verdict.add("uploads acknowledged (303): exactly one document each, its size", len(stats.uploads), len(once))
    lost = [len(found.get(d, [])) for d in stats.unacked_uploads]
    at_most_once = sum(1 for n in lost if n <= 1)
    verdict.add("uploads not acknowledged (cut off, failed): at most one document each", len(lost), at_most_once,
                f"{sum(lost)} of {len(lost)} were committed")  # fmt: skip
    return {d: f"{doc_id}:{uploader}" for d, (doc_id, _size, uploader) in once.items()}


async def check_downloads(documents: dict[str, str], users: dict[str, User], verdict: Verdict) -> None:
    """Each acknowledged document, downloaded by its uploader (logged in again) through the proxy."""
    same = 0
    by_uploader: dict[str, list[tuple[str, str]]] = {}
    for digest, ids in documents.items():
        document_id, uploader = ids.split(":")
        by_uploader.setdefault(uploader, []).append((digest, document_id))
    for uploader, wanted in by_uploader.items():
        user = users[uploader]
        user.deadline = 0
        await user.login()
        assert user.client is not None
        try:
            for digest, document_id in wanted:
                sha = hashlib.sha256()
                async with user.client.stream("GET", f"/documenten/{document_id}/downloaden") as response:
                    if response.status_code != 200:
                        continue
                    async for chunk in response.aiter_bytes():
                        sha.update(chunk)
                same += sha.hexdigest() == digest
        finally:
            await user.client.aclose()
    verdict.add("those documents: blob in S3, download has the same SHA-256", len(documents), same)


async def check_mail(database_url: str, sink: list[Any], held: list[str], verdict: Verdict) -> None:
    """``held``: the rows the killed worker had claimed when it was killed."""
    rows = await _rows(database_url, "SELECT status, message_id, id FROM outbox_mail")
    delivered = Counter(str(m.message["Message-ID"]) for m in sink)
    statuses = Counter(status for status, _, _ in rows)
    sent = [message_id for status, message_id, _ in rows if status == "sent"]
    verdict.add("notification mails in the sink more than once", 0, sum(1 for n in delivered.values() if n > 1))
    verdict.add("rows marked sent: in the sink exactly once", len(sent), sum(1 for m in sent if delivered[m] == 1))
    known = {message_id for _, message_id, _ in rows if message_id}
    verdict.add("mails in the sink without an outbox row", 0, sum(1 for m in delivered if m not in known))
    verdict.add("rows still due or being sent after the drain", 0, statuses["pending"] + statuses["sending"])
    wanted = set(held)
    verdict.add(
        "rows the killed worker held: sent by another worker after the lease, exactly once",
        len(wanted),
        sum(1 for s, m, row_id in rows if row_id in wanted and s == "sent" and delivered[m] == 1),
        "status counts: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
    )
