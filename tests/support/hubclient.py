"""A hub under test: a migrated database, a keyring, the app with its lifespan, and clients.

A logged-in request is one line: `client = await hub.client_for(user)`; `await client.get("/")`.
The real login pages are driven by `await hub.login_via_pages(...)`.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts import totp
from hub.accounts.auth import STAGE_FULL, AuthService
from hub.accounts.models import Organisation, User
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.app import create_app
from hub.config import Settings
from hub.db import transaction
from hub.keys import create_keyring
from hub.runtime import Runtime

PASSWORD = "correct horse battery staple 42"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in page"
    return match.group(1)


class HubClient(httpx.AsyncClient):
    """An httpx client on the app that adds the session's CSRF token to posted forms."""

    csrf_token: str = ""
    user: User | None = None

    async def post_form(
        self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        payload = dict(data or {})
        if csrf:
            payload.setdefault("csrf_token", self.csrf_token)
        return await self.post(url, data=payload, **kwargs)


@dataclass
class HubUnderTest:
    settings: Settings
    app: Any
    stack: AsyncExitStack
    clients: list[HubClient] = field(default_factory=list)
    totp_secrets: dict[str, bytes] = field(default_factory=dict)

    @property
    def runtime(self) -> Runtime:
        return self.app.state.hub  # type: ignore[no-any-return]

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        async with transaction(self.runtime.sessions) as session:
            yield session

    def client(self, *, address: str = "127.0.0.1", **kwargs: Any) -> HubClient:
        """A client on the app, as if from `address` (the throttle counts per client address)."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        c = HubClient(transport=transport, base_url=self.settings.base_url, follow_redirects=False, **kwargs)
        self.clients.append(c)
        return c

    # -- data --------------------------------------------------------------------------------------------

    async def org(self, kind: OrgKind, name: str, **kw: Any) -> Organisation:
        async with self.db() as db:
            kw.setdefault("contact_email", "vast@" + re.sub(r"\W+", "-", name.lower()) + ".example.nl")
            kw.setdefault("contact_person", "Contactpersoon")
            return await OrganisationService(db).create(kind, name, **kw)

    async def convenant(self, gemeente: Organisation, kantoor: Organisation) -> Any:
        from datetime import date

        async with self.db() as db:
            return await ConvenantService(db).create(gemeente.id, kantoor.id, date(2025, 1, 1))

    async def user(
        self,
        org: Organisation,
        role: Role,
        *,
        email: str | None = None,
        enrolled: bool = True,
        password: str = PASSWORD,
        name: str = "Test Gebruiker",
    ) -> User:
        email = email or f"{role.value}.{len(self.totp_secrets)}@{org.id[:8]}.example.nl"
        async with self.db() as db:
            user, _ = await UserService(db).create(
                org, name=name, email=email, roles={role}, password=password, must_change_password=False
            )
            if enrolled:
                secret = totp.new_secret()
                await AuthService(db, self.runtime.keyring).set_totp_secret(user, secret)
                self.totp_secrets[user.id] = secret
        return user

    async def reload(self, user: User) -> User:
        async with self.db() as db:
            fresh = await db.get(User, user.id)
            assert fresh is not None
            return fresh

    # -- logging in --------------------------------------------------------------------------------------

    async def client_for(self, user: User) -> HubClient:
        """A client with a full session made directly (the pages are tested on their own)."""
        async with self.db() as db:
            token, sess = await AuthService(db, self.runtime.keyring).start_session(user, STAGE_FULL)
        client = self.client()
        client.cookies.set(self.app.state.site.cookies.session_name, token)
        client.csrf_token = sess.csrf_token
        client.user = user
        return client

    def next_code(self, user: User, last_step: int | None) -> str:
        """A valid TOTP code newer than the last accepted one (within the accepted window)."""
        now = time.time()
        step = int(now) // totp.STEP
        candidate = step if last_step is None or last_step < step else last_step + 1
        return totp.code_at(self.totp_secrets[user.id], candidate * totp.STEP)

    async def login_via_pages(
        self, email: str, password: str = PASSWORD, *, user: User | None = None, client: HubClient | None = None
    ) -> HubClient:
        client = client or self.client()
        page = await client.get("/inloggen")
        response = await client.post(
            "/inloggen", data={"email": email, "password": password, "csrf_token": csrf_from(page.text)}
        )
        assert response.status_code == 303, response.text
        if user is not None:
            fresh = await self.reload(user)
            page = await client.get("/inloggen/mfa")
            response = await client.post(
                "/inloggen/mfa",
                data={"code": self.next_code(fresh, fresh.totp_last_step), "csrf_token": csrf_from(page.text)},
            )
            assert response.status_code == 303, response.text
            start = await client.get("/")
            client.csrf_token = csrf_from(start.text)
            client.user = user
        return client

    async def reset_totp_replay_guard(self, user: User) -> None:
        """Lets a test log the same user in again within one 30-second step."""
        async with self.db() as db:
            await db.execute(update(User).where(User.id == user.id).values(totp_last_step=None))  # type: ignore[arg-type]


@asynccontextmanager
async def running_hub(data_dir: Path, database_url: str, **settings: str) -> AsyncIterator[HubUnderTest]:
    """A hub with its lifespan. The mail worker is off unless a test asks for it with HUB_WORKER="on"."""
    settings.setdefault("HUB_WORKER", "off")
    settings.setdefault(
        "HUB_CLAMD", "off"
    )  # no scanner unless a test gives clamd's address: say so, as `hub serve` must
    cfg = Settings.for_data_dir(data_dir, HUB_DATABASE_URL=database_url, **settings)
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    create_keyring(cfg.keyring_path)
    app = create_app(cfg)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        hub = HubUnderTest(settings=cfg, app=app, stack=stack)
        try:
            yield hub
        finally:
            for c in hub.clients:
                await c.aclose()
