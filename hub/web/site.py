"""What the web layer is given by the app that mounts it, so that hub/web imports no domain package.

create_app() puts one :class:`Site` in ``app.state.site``: the cookie policy, the permission check that
``@login_required(action)`` asks, the navigation builder that every page's menu comes from, and the hub's version
(shown to logged-in users only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from starlette.requests import Request

from hub.web.cookies import CookiePolicy
from hub.web.session import LoadedSession

# (user, action) -> may this user do this at all (object-level decisions are the services').
PermissionCheck = Callable[[Any, Any], bool]
# (request, session or None) -> the menu as (href, label).
NavigationBuilder = Callable[[Request, LoadedSession | None], list[tuple[str, str]]]


@dataclass(frozen=True)
class Site:
    cookies: CookiePolicy
    may: PermissionCheck
    navigation: NavigationBuilder
    version: str = ""
    session_warning_seconds: int = 120  # the idle warning shows this long before the session ends


def site_of(request: Request) -> Site:
    return cast(Site, request.app.state.site)


def cookies_of(request: Request) -> CookiePolicy:
    """The app's cookie policy."""
    return site_of(request).cookies
