"""The API in `make bench` (issue 17): an upload through the API against one through the page, and a list of 100
cases through the whole app on SQLite and PostgreSQL.

1. **Upload.** One `hub serve`, set up as bench.upload_bench does (``hub init``, the real login pages, a case opened
   with the form), and a bewindvoerder's API token made by the token service. A 200 MB file goes to the case
   through ``POST /api/v1/cases/{caseId}/documents`` (the body is the file, streamed; its name in
   ``Content-Disposition``) and through the page's form ``POST /dossiers/{id}/documenten`` (streaming multipart),
   one after the other, the first of the two alternating; curl is the client for both. The ratio is the median of
   the per-run ratios (API speed / page speed), with the server's CPU time per file beside it. The last API upload
   is downloaded through the API and compared with the file.
2. **List.** ``GET /api/v1/cases?limit=100`` with a bewindvoerder's real token, in-process through the whole app
   (token check, rate window, ``api.call`` audit record, query, 100 client names decrypted, JSON), over the kantoor
   of 20 000 cases that bench.start_page_bench generates, on SQLite and on PostgreSQL: median and p90 of 20 calls
   after 3 warm-up calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import load, load_note, on_both_backends
from bench.name_search_bench import _row, _times
from bench.upload_bench import MB, Bench, ServerWatch, Transfer, _curl, _write_pdf_like

SIZE_MB = 200
RUNS = 6  # even: the API goes first in half of the runs
RATIO_GOAL = 0.85
LIST_LIMIT = 100
LIST_GOAL_MS = 50.0
COLUMNS = ("backend", "measure", "unit", "median", "p90", "page", "api/page", "runs", "found", "goal", "met")

notes: list[str] = []


async def _user_token(data_dir: Path, user_id: str, scopes: list[str]) -> str:
    """A token of the hub's bewindvoerder, made by the token service in the hub's own database."""
    from hub.accounts.api_tokens import ApiTokenService
    from hub.accounts.models import User
    from hub.config import Settings
    from hub.db import create_engine, session_factory, transaction

    engine = create_engine(Settings.for_data_dir(data_dir).database_url)
    try:
        async with transaction(session_factory(engine)) as db:
            user = await db.get(User, user_id)
            assert user is not None
            token, _ = await ApiTokenService(db).create_for_user(user, name="bench", scopes=scopes, days=30)
    finally:
        await engine.dispose()
    return token


class ApiUpload:
    """The API's upload and download on the bench's running hub, with curl."""

    def __init__(self, bench: Bench, token: str) -> None:
        assert bench.hub is not None
        self.bench, self.hub, self.auth = bench, bench.hub, f"Authorization: Bearer {token}"

    def upload(self, source: Path) -> tuple[Transfer, ServerWatch, str]:
        answer = self.bench.work / "created.json"
        url = f"{self.hub.url}/api/v1/cases/{self.hub.case_id}/documents?documentType=overig&documentDate=2026-01-05"
        with ServerWatch(self.bench.hub_pid) as server:
            t = _curl(["-X", "POST", "-T", str(source), "-H", self.auth,
                       "-H", "Content-Type: application/octet-stream",
                       "-H", "Content-Disposition: attachment; filename*=UTF-8''bench.pdf", url],
                      direction="upload", output=answer)  # fmt: skip
        if t.code != "201":
            raise RuntimeError(f"API upload answered {t.code}: {answer.read_text()[:500]}")
        return t, server, str(json.loads(answer.read_text())["id"])

    def check_download(self, document_id: str, source: Path) -> str:
        copy = self.bench.work / "api-copy.pdf"
        url = f"{self.hub.url}/api/v1/documents/{document_id}/content"
        t = _curl(["-H", self.auth, url], direction="download", output=copy)
        if t.code != "200" or _sha256(copy) != _sha256(source):
            raise RuntimeError(f"API download answered {t.code}, or not with the uploaded file")
        copy.unlink()
        return "Checked: the last API upload, downloaded through the API, equals the file (SHA-256)."


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _upload_rows() -> list[dict[str, Any]]:
    work = Path(tempfile.mkdtemp(prefix="hub-api-bench."))
    bench = Bench(work)
    try:
        bench.start()
        assert bench.hub is not None
        api = ApiUpload(
            bench,
            asyncio.run(_user_token(bench.hub.data_dir, bench.hub.user_id, ["documents:write", "documents:read"])),
        )
        warm, source = work / "warm.pdf", work / "source.pdf"
        _write_pdf_like(warm, MB)
        api.upload(warm)  # first-request work (imports, connections) is not part of the figures
        bench.upload_hub(warm)
        _write_pdf_like(source, SIZE_MB * MB)
        size = source.stat().st_size
        runs: list[tuple[Transfer, ServerWatch, Transfer, ServerWatch]] = []
        document_id = ""
        for i in range(RUNS):
            if i % 2 == 0:
                a, a_cpu, document_id = api.upload(source)
                p, p_cpu, _ = bench.upload_hub(source)
            else:
                p, p_cpu, _ = bench.upload_hub(source)
                a, a_cpu, document_id = api.upload(source)
            runs.append((a, a_cpu, p, p_cpu))
        notes.append(api.check_download(document_id, source))
    finally:
        bench.stop()
        shutil.rmtree(work, ignore_errors=True)
    ratio = statistics.median(p.seconds / a.seconds for a, _, p, _ in runs)
    cpu_ratio = statistics.median(a_cpu.cpu / p_cpu.cpu for _, a_cpu, _, p_cpu in runs if p_cpu.cpu)
    label = f"upload {SIZE_MB} MB, API body vs page form (hub serve)"
    return [
        {"backend": "sqlite", "measure": label, "unit": "MB/s",
         "median": size / MB / statistics.median(a.seconds for a, _, _, _ in runs),
         "page": size / MB / statistics.median(p.seconds for _, _, p, _ in runs), "api/page": ratio, "runs": RUNS,
         "goal": f"api/page >= {RATIO_GOAL}", "met": "yes" if ratio >= RATIO_GOAL else "NO"},
        {"backend": "sqlite", "measure": f"upload {SIZE_MB} MB: server CPU time per file", "unit": "CPU s",
         "median": statistics.median(c.cpu for _, c, _, _ in runs),
         "page": statistics.median(c.cpu for _, _, _, c in runs), "api/page": cpu_ratio, "runs": RUNS,
         "goal": "(diagnostic)", "met": "-"},
    ]  # fmt: skip


async def _list_bench(urls: dict[str, str], work: Path) -> list[dict[str, Any]]:
    from bench.messaging_bench import _Loader
    from bench.start_page_bench import _generate
    from crypto import Keyring
    from hub import migrate
    from tests.support.hubclient import running_hub

    keyring = Keyring.generate()
    for url in urls.values():
        await migrate.upgrade_async(url)
    loaders = [_Loader(backend, url) for backend, url in urls.items()]
    async with contextlib.AsyncExitStack() as stack:
        for loader in loaders:
            await stack.enter_async_context(loader)
        ids = await _generate(loaders, keyring)
    rows: list[dict[str, Any]] = []
    for backend, url in urls.items():
        settings = {"HUB_WORKER": "off", "HUB_KEYRING": keyring.to_json()}
        async with running_hub(work / backend, url, **settings) as hub:
            rows += await _list_rows(hub, ids["bewindvoerder"], backend)
    return rows


async def _list_rows(hub: Any, user_id: str, backend: str) -> list[dict[str, Any]]:
    from hub.accounts.api_tokens import ApiTokenService
    from hub.accounts.models import User

    async with hub.db() as db:
        user = await db.get(User, user_id)
        token, _ = await ApiTokenService(db).create_for_user(user, name="bench", scopes=["cases:read"], days=30)
    client = hub.client()
    client.headers["Authorization"] = f"Bearer {token}"

    async def page() -> Any:
        response = await client.get("/api/v1/cases", params={"limit": LIST_LIMIT})
        assert response.status_code == 200, response.text
        return response.json()

    cpu: list[float] = []

    async def timed_page() -> Any:
        began = time.process_time()
        body = await page()
        cpu.append(time.process_time() - began)
        return body

    times, body = await _times(timed_page)
    found = f"{len(body['items'])} items" + (", next page" if body["next"] else "")
    label = f"GET /api/v1/cases?limit={LIST_LIMIT}, whole app, real token (20,000 cases)"
    measured = cpu[-len(times) :]  # the warm-up calls left out
    diagnostic = {
        "backend": backend,
        "measure": f"GET /api/v1/cases?limit={LIST_LIMIT}: this process's CPU time per call",
        "unit": "CPU ms",
        "median": statistics.median(measured) * 1000,
        "p90": statistics.quantiles(measured, n=10)[-1] * 1000,
        "runs": len(measured),
        "goal": "(diagnostic)",
        "met": "-",
    }
    return [_row(backend, label, times, LIST_GOAL_MS, found), diagnostic]


def run() -> list[dict[str, Any]]:
    notes.clear()
    loads = [load()]
    started = time.perf_counter()
    rows = [{column: row.get(column, "") for column in COLUMNS} for row in _upload_rows()]
    loads.append(load())
    notes.append(
        f"Upload: {RUNS} runs of one API and one page upload each, the first of the two alternating; api/page is "
        "the median of the per-run speed ratios; for CPU time, above 1 means the API needs more "
        f"({time.perf_counter() - started:.0f} s). {load_note(loads)}"
    )
    listed = on_both_backends("api", _list_bench, COLUMNS)
    rows += listed.rows
    notes.append(
        "List: in-process through the whole app (ASGI, as the start page bench), median and p90 of 20 calls after "
        "3 warm-up calls; the CPU row counts this process only (not PostgreSQL's), the steadier figure on a busy "
        f"machine. PostgreSQL {listed.postgres_bin} with fsync off (the test cluster). {listed.load_note}"
    )
    return rows


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table("bench.api_bench", run(), notes)
