"""The messaging world (two gemeenten, two kantoren, a convenant each) with the users the organisation documents
need, and helpers that post their upload forms as a browser does (csrf_token first, the file last)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlmodel import col

from hub.accounts.models import User
from hub.accounts.roles import Role
from hub.audit.models import AuditEvent
from tests.documents.conftest import BOUNDARY, multipart_parts, pdf_bytes
from tests.messaging.world import World, build_world
from tests.support.hubclient import HubClient, HubUnderTest

__all__ = ["OrgWorld", "audit_actions", "build_org_world", "pdf_bytes", "post_multipart"]


@dataclass
class OrgWorld:
    base: World
    kantoorbeheerder: User  # of the world's kantoor (Bewindvoering De Brug)
    other_contractmanager: User  # of the other gemeente (Wijchen), which has no convenant with De Brug
    other_kantoorbeheerder: User  # of the other kantoor (Ander Kantoor), no convenant with Nijmegen

    @property
    def hub(self) -> HubUnderTest:
        return self.base.hub


async def build_org_world(hub: HubUnderTest) -> OrgWorld:
    base = await build_world(hub)
    return OrgWorld(
        base=base,
        kantoorbeheerder=await hub.user(base.kantoor, Role.KANTOORBEHEERDER, name="Kees Kantoor",
                                        email="kees@brug.example.nl"),
        other_contractmanager=await hub.user(base.other_gemeente, Role.CONTRACTMANAGER, name="Wendy Wijchen",
                                             email="wendy@wijchen.example.nl"),
        other_kantoorbeheerder=await hub.user(base.other_kantoor, Role.KANTOORBEHEERDER, name="Anna Ander",
                                              email="anna@ander.example.nl"),
    )  # fmt: skip


async def post_multipart(
    client: HubClient,
    url: str,
    fields: list[tuple[str, str]],
    filename: str,
    content: bytes,
    *,
    csrf: str | None = "",
) -> httpx.Response:
    """POST a streamed upload form; ``csrf`` "" sends the session's token, None none at all."""
    token = client.csrf_token if csrf == "" else csrf
    head, body, tail = multipart_parts(
        ([] if token is None else [("csrf_token", token)]) + fields, ("file", filename, content)
    )

    async def stream() -> AsyncIterator[bytes]:
        yield head
        yield body
        yield tail

    return await client.post(
        url, content=stream(), headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    )


async def audit_actions(hub: HubUnderTest, object_id: str) -> list[str]:
    async with hub.db() as db:
        rows = await db.execute(
            select(col(AuditEvent.action)).where(col(AuditEvent.object_id) == object_id).order_by(col(AuditEvent.seq))
        )
        return list(rows.scalars())
