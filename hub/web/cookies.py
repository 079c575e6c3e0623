"""Cookie names and attributes: `__Host-` prefix and Secure when the hub runs on https.

The policy belongs to the web layer: app.py makes one and hands it to the middleware and, through
:class:`hub.web.site.Site`, to the views.
"""

from __future__ import annotations

from dataclasses import dataclass
from http.cookies import SimpleCookie

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Scope


@dataclass(frozen=True)
class CookiePolicy:
    https: bool

    @property
    def session_name(self) -> str:
        return "__Host-hub_session" if self.https else "hub_session"

    @property
    def login_csrf_name(self) -> str:
        return "__Host-hub_login" if self.https else "hub_login"

    def set_session(self, response: Response, token: str) -> None:
        # No Max-Age: a browser session cookie; the server enforces idle and absolute limits.
        response.set_cookie(self.session_name, token, httponly=True, secure=self.https, samesite="lax", path="/")

    def clear_session(self, response: Response) -> None:
        response.delete_cookie(self.session_name, path="/", secure=self.https, httponly=True, samesite="lax")

    @property
    def kept_form_name(self) -> str:
        return "__Host-hub_kept" if self.https else "hub_kept"

    def set_kept_form(self, response: Response, reference: str, max_age: int) -> None:
        """The reference to a form kept while the user logs in again (hub.web.kept_forms)."""
        response.set_cookie(
            self.kept_form_name, reference, httponly=True, secure=self.https, samesite="lax", path="/", max_age=max_age
        )

    def clear_kept_form(self, response: Response) -> None:
        response.delete_cookie(self.kept_form_name, path="/", secure=self.https, httponly=True, samesite="lax")

    @property
    def user_hint_name(self) -> str:
        return "__Host-hub_who" if self.https else "hub_who"

    def set_user_hint(self, response: Response, value: str) -> None:
        """Who last logged in with this browser (a signed user id, hub.accounts.kept_forms): a form kept after that
        session is gone altogether is bound to them. A working day long; it outlives a logout on purpose."""
        response.set_cookie(
            self.user_hint_name, value, httponly=True, secure=self.https, samesite="lax", path="/", max_age=12 * 3600
        )

    def set_login_csrf(self, response: Response, token: str) -> None:
        response.set_cookie(
            self.login_csrf_name, token, httponly=True, secure=self.https, samesite="strict", path="/", max_age=3600
        )


def read_cookie(scope: Scope, name: str) -> str:
    raw = Headers(scope=scope).get("cookie", "")
    if not raw:
        return ""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed cookie header is treated as no cookie
        return ""
    morsel = jar.get(name)
    return morsel.value if morsel else ""
