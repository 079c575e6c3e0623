"""Who calls the API: the :class:`Authenticator` seam, and the bearer-token authenticator behind it.

The rest of the API knows only :class:`Principal` (the acting user, its organisation and roles, the scopes, and
the credential's id for the audit). Mutual TLS or OAuth 2.0 client credentials (the NL GOV OAuth profile) replace
:class:`BearerTokens` by another Authenticator that maps a certificate or an access token's claims to a Principal
(README, "API": the plan). A session cookie never authenticates an API call: the session middleware skips the
API's paths, and nothing here reads a cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from starlette.requests import Request

from hub.accounts.api_tokens import ApiTokenService, RateLimited, Refused
from hub.accounts.models import User
from hub.api.problems import ApiProblem
from hub.runtime import Runtime


@dataclass(frozen=True)
class Principal:
    user: User  # the acting user: a person, or an organisation credential's stored integration actor
    scopes: frozenset[str]
    credential_id: str  # the token's id: named in the audit record of every call

    @property
    def organisation_id(self) -> str:
        return self.user.organisation_id


class Authenticator(Protocol):
    async def authenticate(self, request: Request, runtime: Runtime) -> Principal:
        """The caller, or ApiProblem 401 (no or an invalid credential) or 429 (rate limit)."""
        ...


NO_TOKEN = "Stuur een geldige API-sleutel mee: Authorization: Bearer <sleutel>."  # noqa: S105  (a message)
BAD_TOKEN = "De API-sleutel is onbekend, verlopen of ingetrokken."  # noqa: S105  (a message)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hub"'}


class BearerTokens:
    """API tokens (hub.accounts.api_tokens) in the Authorization header. Each accepted call is counted against the
    token's rate window and recorded (``api.call``) in one short transaction of its own, before the operation."""

    async def authenticate(self, request: Request, runtime: Runtime) -> Principal:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiProblem(401, NO_TOKEN, headers=CHALLENGE)
        try:
            async with runtime.transaction() as db:
                caller = await ApiTokenService(db).accept(token.strip(), rate_limit=runtime.settings.api_rate_limit)
        except Refused:
            raise ApiProblem(401, BAD_TOKEN, headers=CHALLENGE) from None
        except RateLimited as limited:
            raise ApiProblem(
                429,
                "Te veel verzoeken met deze API-sleutel. Probeer het over enkele seconden opnieuw.",
                headers={"Retry-After": str(limited.retry_after)},
            ) from None
        return Principal(
            user=caller.user,
            scopes=caller.scopes,
            credential_id=caller.token.id,
        )
