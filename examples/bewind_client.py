"""What a bewind package does through the hub's API, from start to finish (issue 17's example client).

1. open a case for a client (``POST /api/v1/cases``);
2. upload the beschikking (``POST /api/v1/cases/{caseId}/documents``: the file is the body, its name in
   ``Content-Disposition``, never in the URL);
3. ask the gemeente a question (``POST /api/v1/cases/{caseId}/threads``);
4. wait for the webhook ``message.created`` that tells of the answer (a tiny HTTP receiver in this script, which
   checks the Standard Webhooks signature and the timestamp before it believes anything);
5. read the answer (``GET /api/v1/threads/{threadId}``): the webhook carries ids only, the content is fetched with
   the token.

Before running it, the kantoor's administrator makes (in the hub, *Organisatie*):
- an API token with the scopes ``cases:read cases:write documents:write messages:read messages:write``
  (a bewindvoerder's own token, under *Mijn account → API-sleutels*, works too);
- a webhook for ``message.created`` to the address this script listens on (``--listen``, seen from the hub), and
  keeps its secret (``whsec_...``) for ``--webhook-secret``.

Run (the client's details here are a made-up example)::

    python examples/bewind_client.py --base-url https://hub.example.nl --token hub_... \\
        --webhook-secret whsec_... --listen 0.0.0.0:8765 --beschikking beschikking.pdf

In production the receiver sits behind the package's own https address (the hub sends webhooks to https URLs
on public addresses only); a receiver on 127.0.0.1 works only with ``HUB_WEBHOOK_ALLOW_PRIVATE=true`` (tests).
Only httpx is needed besides the standard library.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

TOLERANCE = 300  # seconds a webhook's timestamp may differ from our clock (Standard Webhooks' replay window)
MAX_BODY = 64 * 1024


# -- the webhook receiver ------------------------------------------------------------------------------------------


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None) -> dict[str, Any]:
    """The event of a webhook whose signature and timestamp are good; ValueError otherwise.

    Standard Webhooks: ``webhook-signature`` holds one or more ``v1,<base64>`` of HMAC-SHA256, under the
    base64-decoded part of ``whsec_...``, over ``webhook-id.webhook-timestamp.body``."""
    try:
        message_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
        offered = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    except (KeyError, IndexError) as exc:
        raise ValueError("not a signed webhook") from exc
    if not timestamp.isascii() or not timestamp.isdigit():
        raise ValueError("bad timestamp")
    if abs((now if now is not None else time.time()) - int(timestamp)) > TOLERANCE:
        raise ValueError("timestamp too old or too new (a replay?)")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    if not any(hmac.compare_digest(expected.decode(), o) for o in offered):
        raise ValueError("signature does not match")
    event: dict[str, Any] = json.loads(body)
    return event


class Receiver:
    """A minimal HTTP/1.1 server for webhook POSTs: each verified event goes into :attr:`events`; a bad one is
    answered 400 (the hub retries it; an attacker learns nothing)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        self.server = await asyncio.start_server(self._handle, host, port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        status = 400
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            length = int(headers.get("content-length", "0"))
            if lines[0].startswith("POST ") and 0 <= length <= MAX_BODY:
                body = await asyncio.wait_for(reader.readexactly(length), 10)
                try:
                    await self.events.put(verify(self.secret, headers, body))
                    status = 204
                except ValueError as exc:
                    print(f"webhook refused: {exc}", file=sys.stderr)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            pass
        finally:
            reason = "No Content" if status == 204 else "Bad Request"
            writer.write(f"HTTP/1.1 {status} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
            await writer.drain()
            writer.close()


# -- the API calls -------------------------------------------------------------------------------------------------


def check(response: httpx.Response) -> dict[str, Any]:
    """The JSON of a successful answer; else the problem+json's title and detail, as an error."""
    if response.is_success:
        result: dict[str, Any] = response.json()
        return result
    try:
        problem = response.json()
        detail = f"{problem.get('title')}: {problem.get('detail', '')} {problem.get('invalidParams', '')}"
    except ValueError:
        detail = response.text[:200]
    raise SystemExit(f"{response.request.method} {response.request.url.path} -> {response.status_code} {detail}")


async def open_case(api: httpx.AsyncClient, args: argparse.Namespace) -> dict[str, Any]:
    convenant_id = args.convenant_id
    if not convenant_id:
        convenants = [c for c in check(await api.get("/api/v1/convenants"))["items"] if c.get("active", True)]
        if not convenants:
            raise SystemExit("no active convenant for this token's organisation")
        convenant_id = convenants[0]["id"]
    body = {
        "convenantId": convenant_id,
        "clientName": args.client_name,
        "bsn": args.bsn,
        "birthDate": args.birth_date,
        "bewindKind": args.bewind_kind,
        "beschikkingDate": args.beschikking_date,
        "bewindStartDate": args.beschikking_date,
        "rechtbank": args.rechtbank,
    }
    return check(await api.post("/api/v1/cases", json=body))


async def upload(api: httpx.AsyncClient, case_id: str, path: Path, document_date: str) -> dict[str, Any]:
    async def chunks() -> Any:  # streamed: a large file is never read into memory at once
        with path.open("rb") as f:
            while piece := f.read(256 * 1024):
                yield piece

    return check(
        await api.post(
            f"/api/v1/cases/{case_id}/documents",
            params={"documentType": "benoemingsbeschikking", "documentDate": document_date},
            headers={
                "content-type": "application/octet-stream",
                "content-disposition": f"attachment; filename*=UTF-8''{quote(path.name)}",
            },
            content=chunks(),
        )
    )


async def wait_for_answer(receiver: Receiver, thread_id: str, own: set[str]) -> str:
    """The id of the first new message in the thread that we did not write ourselves."""
    while True:
        event = await receiver.events.get()
        data = event.get("data", {})
        print(f"webhook: {event.get('type')} {json.dumps(data)}")
        if event.get("type") == "message.created" and data.get("threadId") == thread_id:
            if data.get("messageId") not in own:
                return str(data["messageId"])


async def run(args: argparse.Namespace) -> str:
    host, _, port = args.listen.rpartition(":")
    receiver = Receiver(args.webhook_secret)
    await receiver.start(host or "127.0.0.1", int(port))
    headers = {"authorization": f"Bearer {args.token}", "accept": "application/json"}
    try:
        async with httpx.AsyncClient(base_url=args.base_url, headers=headers, timeout=60) as api:
            case = await open_case(api, args)
            print(f"case opened: {case['id']}")
            document = await upload(api, case["id"], Path(args.beschikking), args.beschikking_date)
            print(f"beschikking uploaded: {document['id']}")
            question = {"subject": args.subject, "body": args.question}
            thread = check(await api.post(f"/api/v1/cases/{case['id']}/threads", json=question))
            print(f"question asked: thread {thread['id']}; waiting for the answer ...")
            own = {m["id"] for m in thread.get("messages", [])}
            try:
                async with asyncio.timeout(args.timeout):
                    message_id = await wait_for_answer(receiver, thread["id"], own)
            except TimeoutError:
                raise SystemExit(f"no answer within {args.timeout:.0f} s") from None
            detail = check(await api.get(f"/api/v1/threads/{thread['id']}"))
            answer = next(m for m in detail["messages"] if m["id"] == message_id)
            print(f"answer from {answer['authorOrganisation']}: {answer['body']}")
            return str(answer["body"])
    finally:
        await receiver.stop()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--base-url", required=True, help="the hub, e.g. https://hub.example.nl")
    p.add_argument("--token", required=True, help="an API token (hub_...)")
    p.add_argument("--webhook-secret", required=True, help="the webhook's signing secret (whsec_...)")
    p.add_argument("--listen", default="127.0.0.1:8765", help="host:port of the webhook receiver")
    p.add_argument("--beschikking", required=True, help="the beschikking to upload (a PDF)")
    p.add_argument("--convenant-id", default="", help="default: the first active convenant")
    p.add_argument("--client-name", default="J. de Voorbeeld")
    p.add_argument("--bsn", default="123456782", help="a test number that passes the elfproef")
    p.add_argument("--birth-date", default="1970-01-01")
    p.add_argument("--bewind-kind", default="schuldenbewind")
    p.add_argument("--beschikking-date", default=date.today().isoformat())
    p.add_argument("--rechtbank", default="Rechtbank Gelderland")
    p.add_argument("--subject", default="Vraag over de beschikking")
    p.add_argument("--question", default="Is de aanvraag bijzondere bijstand voor de bewindvoeringskosten ontvangen?")
    p.add_argument("--timeout", type=float, default=600, help="seconds to wait for the answer")
    return p


if __name__ == "__main__":
    asyncio.run(run(parser().parse_args()))
