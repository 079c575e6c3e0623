"""One simulated user: logs in through the pages (password, then a TOTP code it computes), then until the end of the
run reads the inbox, opens threads and cases, posts replies, uploads (bewindvoerders) and downloads documents, and
now and then logs in again, with think times in between.

A request that breaks off in transport (the connection cut) shortly after the kill counts as *lost in the kill*
and is retried when retrying is safe: a read, and a reply, whose form token makes a second post find the first
message (hub.messaging.form_tokens). An upload carries no such token: it is not retried, and the check afterwards
accepts zero or one document for it. Any other failure, or a transport failure outside the kill window, is an error.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import re
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from bench.load.seed import PASSWORD, Account

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
KIND_RE = re.compile(r'name="kind" value="([a-z_]+)"')
THREAD_RE = re.compile(r'href="/berichten/([0-9a-f]{32})"')
CASE_RE = re.compile(r'href="/dossiers/([0-9a-f]{32})"')
DOWNLOAD_RE = re.compile(r'href="/documenten/([0-9a-f]{32})/downloaden"')
MESSAGE_RE = re.compile(r"#bericht-([0-9a-f]{32})$")
FORM_ERROR_RE = re.compile(r'class="error-message"[^>]*>(?:<span[^>]*>Fout:</span>)?\s*([^<]+)')
KILL_WINDOW = 10.0  # seconds after the kill in which a cut connection counts as lost in the kill
RELOGIN_AFTER = 150.0  # a user logs in again after this long (a new TOTP step each time)
MB = 1_000_000
# The mix: (action, weight). Uploads are fewer than downloads, and kantoor users only upload.
MIX = (("inbox", 30), ("open thread", 25), ("reply", 18), ("open case", 12), ("download", 10), ("upload", 5))


class Unexpected(Exception):
    """An answer that is not what the page flow expects (an error of the run)."""


class StaleForm(Unexpected):
    """The reply form, sent back with the server's message: the thread changed since the page was opened (another
    colleague answered, so the kind chosen no longer applies). What a real user then sees; not an error."""


class SessionLost(Unexpected):
    """Sent to the login page: the session is gone (the user logs in again; an error all the same)."""


@dataclass
class Stats:
    """What every user records: per action its timings, errors and losses; and what was acknowledged, for the
    exactly-once check."""

    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lost: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # StaleForm: the form shown again
    refusal_samples: set[str] = field(default_factory=set)
    error_samples: list[str] = field(default_factory=list)
    killed_at: float | None = None  # time.monotonic() of the kill
    done_after_kill: int = 0  # actions completed after it
    replies: list[tuple[str, str, str]] = field(default_factory=list)  # (user id, form token, message id) acked
    unacked_replies: list[tuple[str, str]] = field(default_factory=list)  # (user id, form token) never acked
    uploads: dict[str, int] = field(default_factory=dict)  # SHA-256 hex -> size, acknowledged with a 303
    unacked_uploads: set[str] = field(default_factory=set)  # sent but not acknowledged (lost in the kill)

    def in_kill_window(self, started: float) -> bool:
        now = time.monotonic()
        return self.killed_at is not None and started <= self.killed_at + KILL_WINDOW and now >= self.killed_at

    def error(self, action: str, what: str) -> None:
        self.errors[action] += 1
        if len(self.error_samples) < 20:
            since = f"{time.monotonic() - self.killed_at:+.0f} s from the kill" if self.killed_at else "before the kill"
            self.error_samples.append(f"{action} ({since}): {what}")


def _one(pattern: re.Pattern[str], html: str, what: str) -> str:
    match = pattern.search(html)
    if match is None:
        raise Unexpected(f"no {what} in the page")
    return match.group(1)


def _expect(response: httpx.Response, status: int, what: str) -> httpx.Response:
    if response.status_code == 303 and response.headers.get("location", "").startswith("/inloggen") and status != 303:
        raise SessionLost(f"{what}: sent to the login page")
    if response.status_code != status:
        said = FORM_ERROR_RE.search(response.text) if response.status_code == 400 else None
        if said is not None:
            raise StaleForm(f"{what}: {said[1].strip()}")
        raise Unexpected(f"{what}: HTTP {response.status_code}, expected {status}")
    return response


def file_size(rng: random.Random) -> int:
    """1..20 MB, most near the small end (a cubed uniform: about one file in five above 10 MB)."""
    return int((1 + 19 * rng.random() ** 3) * MB)


def pdf_like(size: int) -> bytes:
    """Random bytes behind a PDF header: incompressible, accepted by the content check, unique (named by SHA-256)."""
    return b"%PDF-1.7\n" + os.urandom(size - 9)


class User:
    def __init__(self, account: Account, url: str, stats: Stats, deadline: float, think: float, seed: int) -> None:
        self.account = account
        self.url = url
        self.stats = stats
        self.deadline = deadline
        self.think = think  # mean think time in seconds
        self.rng = random.Random(seed)
        self.client: httpx.AsyncClient | None = None
        self.csrf = ""
        self.logged_in_at = 0.0
        self.last_step = -1
        self.threads: list[str] = []
        self.cases: list[str] = []
        self.documents: list[str] = []
        self.thread_page: tuple[str, str] | None = None  # (thread id, html) of the thread last opened

    # -- timing and retrying -------------------------------------------------------------------------------------

    async def _timed(self, action: str, step: Callable[[], Awaitable[None]], *, retry: bool) -> None:
        started = time.monotonic()
        for _attempt in range(3):
            try:
                await step()
            except httpx.TransportError as exc:
                if self.stats.in_kill_window(started):
                    self.stats.lost[action] += 1
                    if retry:
                        continue
                    return
                self.stats.error(action, f"{type(exc).__name__}: {exc}")
                return
            except StaleForm as exc:
                self.stats.refused[action] += 1
                self.stats.refusal_samples.add(str(exc))
                return
            except Unexpected as exc:
                self.stats.error(action, str(exc))
                if isinstance(exc, SessionLost):
                    self.logged_in_at = 0.0  # log in again before the next action
                return
            self.stats.timings[action].append(time.monotonic() - started)
            self.stats.done_after_kill += self.stats.killed_at is not None and started > self.stats.killed_at
            return
        self.stats.error(action, "still cut off after retries")

    # -- the actions -----------------------------------------------------------------------------------------------

    def _code(self) -> str:
        from hub.accounts import totp

        step = max(int(time.time()) // totp.STEP, self.last_step + 1)  # never the step used last (replay guard)
        self.last_step = step
        return totp.code_at(self.account.totp_secret, step * totp.STEP)

    async def login(self) -> None:
        if self.client is not None:
            await self.client.aclose()
        # Idle connections are dropped well before the server's keep-alive timeout (uvicorn: 5 s), so a request never
        # races the server closing the connection it was sent on.
        limits = httpx.Limits(keepalive_expiry=2.0)
        self.client = httpx.AsyncClient(base_url=self.url, timeout=120, follow_redirects=False, limits=limits)
        client = self.client
        succeeded: list[bool] = []

        async def step() -> None:
            client.cookies.clear()
            page = _expect(await client.get("/inloggen"), 200, "login page")
            form = {"email": self.account.email, "password": PASSWORD, "csrf_token": _one(CSRF_RE, page.text, "csrf")}
            _expect(await client.post("/inloggen", data=form), 303, "password")
            page = _expect(await client.get("/inloggen/mfa"), 200, "code page")
            form = {"code": self._code(), "csrf_token": _one(CSRF_RE, page.text, "csrf")}
            _expect(await client.post("/inloggen/mfa", data=form), 303, "TOTP code")
            start = _expect(await client.get("/"), 200, "start page")
            self.csrf = _one(CSRF_RE, start.text, "csrf")
            succeeded.append(True)

        await self._timed("login", step, retry=True)
        self.logged_in_at = time.monotonic() if succeeded else 0.0  # failed: the next turn tries again

    async def inbox(self) -> None:
        assert self.client is not None
        client = self.client

        async def step() -> None:
            page = _expect(await client.get("/berichten", params={"tab": "alle"}), 200, "inbox")
            self.threads = THREAD_RE.findall(page.text) or self.threads

        await self._timed("inbox", step, retry=True)

    async def open_thread(self) -> None:
        assert self.client is not None
        if not self.threads:
            return await self.inbox()
        client, thread_id = self.client, self.rng.choice(self.threads)

        async def step() -> None:
            page = _expect(await client.get(f"/berichten/{thread_id}"), 200, "thread")
            self.thread_page = (thread_id, page.text)
            self.documents = DOWNLOAD_RE.findall(page.text) or self.documents

        await self._timed("open thread", step, retry=True)

    async def reply(self) -> None:
        assert self.client is not None
        if self.thread_page is None:
            return await self.open_thread()
        client, (thread_id, html) = self.client, self.thread_page
        self.thread_page = None  # a form token is used once: the next reply opens the thread again
        kinds = KIND_RE.findall(html)
        if not kinds:
            return  # this user may not reply here (a closed thread): nothing to post
        kind = "bericht" if "bericht" in kinds else next((k for k in kinds if k != "procesafspraak"), kinds[0])
        token = _one(FORM_TOKEN_RE, html, "form token")
        form = {"csrf_token": self.csrf, "body": f"Reactie {token[:8]} van de load run.", "kind": kind,
                "form_token": token}  # fmt: skip
        acked: list[str] = []

        async def step() -> None:
            answer = _expect(await client.post(f"/berichten/{thread_id}/reageren", data=form), 303, "reply")
            acked.append(_one(MESSAGE_RE, answer.headers.get("location", ""), "message id"))

        await self._timed("reply", step, retry=True)
        if acked:
            self.stats.replies.append((self.account.user_id, token, acked[0]))
        else:
            self.stats.unacked_replies.append((self.account.user_id, token))

    async def open_case(self) -> None:
        assert self.client is not None
        client = self.client

        async def step() -> None:
            if not self.cases:
                page = _expect(await client.get("/dossiers"), 200, "case list")
                self.cases = CASE_RE.findall(page.text)
                if not self.cases:
                    raise Unexpected("no cases listed")
            page = _expect(await client.get(f"/dossiers/{self.rng.choice(self.cases)}"), 200, "case")
            self.documents = DOWNLOAD_RE.findall(page.text) or self.documents

        await self._timed("open case", step, retry=True)

    async def upload(self) -> None:
        assert self.client is not None
        if not self.account.kantoor or not self.cases:
            return await self.open_case()
        client, case_id = self.client, self.rng.choice(self.cases)
        size = file_size(self.rng)
        content = pdf_like(size)
        digest = hashlib.sha256(content).hexdigest()
        # The form as a browser sends it: csrf_token first, the file last (httpx puts data before files).
        data = {"csrf_token": self.csrf, "doc_type": "overig", "document_date": "2026-01-05"}
        files = {"file": ("load.pdf", content, "application/pdf")}
        acked: list[bool] = []

        async def step() -> None:
            answer = await client.post(f"/dossiers/{case_id}/documenten", data=data, files=files)
            _expect(answer, 303, "upload")
            if not answer.headers.get("location", "").startswith(f"/dossiers/{case_id}?gelukt="):
                raise Unexpected(f"upload: sent to {answer.headers.get('location', '')[:30]!r}, not the case")
            acked.append(True)

        await self._timed("upload", step, retry=False)
        if acked:
            self.stats.uploads[digest] = size
        else:
            self.stats.unacked_uploads.add(digest)

    async def download(self) -> None:
        assert self.client is not None
        if not self.documents:
            return await self.open_case()
        client, document_id = self.client, self.rng.choice(self.documents)

        async def step() -> None:
            async with client.stream("GET", f"/documenten/{document_id}/downloaden") as response:
                _expect(response, 200, "download")
                received = 0
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                if received != int(response.headers["content-length"]):
                    raise Unexpected(f"download: {received} of {response.headers['content-length']} bytes")

        await self._timed("download", step, retry=True)

    # -- the loop ----------------------------------------------------------------------------------------------------

    async def run(self) -> None:
        await asyncio.sleep(self.rng.random() * self.think * 2)  # not all at the same moment
        await self.login()
        assert self.client is not None
        actions = {"inbox": self.inbox, "open thread": self.open_thread, "reply": self.reply,
                   "open case": self.open_case, "download": self.download, "upload": self.upload}  # fmt: skip
        names, weights = zip(*MIX, strict=True)
        try:
            while time.monotonic() < self.deadline:
                await asyncio.sleep(self.rng.expovariate(1 / self.think))
                if time.monotonic() >= self.deadline:
                    break
                if not self.logged_in_at or time.monotonic() - self.logged_in_at > RELOGIN_AFTER:
                    await self.login()
                    continue
                await actions[self.rng.choices(names, weights)[0]]()
        finally:
            if self.client is not None:
                await self.client.aclose()
