"""Finding the organisation's cases by a part of the client's name, through the token index (hub.cases.name_index).

Case- and accent-insensitive: "jansen" finds "Jänsen", "de vr" finds "Johanna de Vries". The text searched for is
never stored, logged or audited (the audit record ``case.search`` of kind ``name`` says only that a search was done).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlmodel import col

from hub.accounts.authz import Action, may
from hub.accounts.models import Convenant, User
from hub.audit import actions
from hub.cases.checks import NAME_MAX
from hub.cases.models import Case, CaseNameToken
from hub.cases.name_index import MIN_QUERY, normalise_name, query_trigrams, token
from hub.cases.queries import CaseQueries
from hub.cases.records import CaseRow, name_sort_key
from hub.errors import Forbidden, ValidationError

NAME_FIELD = "naam"
SHOWN = 100  # rows shown, by name
CANDIDATES = 1000  # newest cases holding every trigram whose names are decrypted and checked


@dataclass(frozen=True)
class NameSearchResult:
    rows: list[CaseRow]
    more: bool  # more cases may match than are shown: type more of the name


class CaseNameSearch(CaseQueries):
    async def find_by_name(self, user: User, text: str) -> NameSearchResult:
        """The user's organisation's cases whose client name contains ``text`` (folded), by name; audited as
        ``case.search`` of kind ``name``, without the text. ValidationError for a text of fewer than 3 letters or
        digits."""
        if not may(user, Action.VIEW_CASES):
            raise Forbidden(Action.VIEW_CASES.value)
        wanted = normalise_name(text[: NAME_MAX + 1])
        if not wanted:
            raise ValidationError({NAME_FIELD: "Vul (een deel van) de naam in waarop u wilt zoeken."})
        if len(wanted) < MIN_QUERY:
            raise ValidationError({NAME_FIELD: f"Vul minstens {MIN_QUERY} letters van de naam in."})
        await self._audit(user, actions.CASE_SEARCH, actions.SEARCH_NAME, object_type=actions.SEARCH_OBJECT)
        org = user.organisation_id
        convenants = list(
            (
                await self.db.execute(
                    select(col(Convenant.id)).where(
                        or_(col(Convenant.gemeente_id) == org, col(Convenant.kantoor_id) == org)
                    )
                )
            ).scalars()
        )
        trigrams = query_trigrams(wanted)
        tokens = {token(self.keyring.index_key, c, t) for c in convenants for t in trigrams}
        if not tokens:
            return NameSearchResult([], False)
        # A token belongs to one convenant, so a case holds one token per trigram at most: all of them, or not a match.
        holding_all = (
            select(col(CaseNameToken.case_id).label("case_id"))
            .where(col(CaseNameToken.token).in_(tokens))
            .group_by(col(CaseNameToken.case_id))
            .having(func.count() == len(trigrams))
            .subquery()
        )
        # Only the id and the name of the candidates: the rows are loaded for the matches that are shown.
        candidates = (
            await self.db.execute(
                select(col(Case.id), col(Case.client_name))
                .join(holding_all, holding_all.c.case_id == col(Case.id))
                .where(self._scoped(user))
                .order_by(col(Case.created_at).desc(), col(Case.id))
                .limit(CANDIDATES + 1)
            )
        ).all()
        more = len(candidates) > CANDIDATES
        matches: list[tuple[str, str]] = []
        for case_id, sealed in candidates[:CANDIDATES]:
            name = self.name_of(case_id, sealed)
            if name is not None and wanted in normalise_name(name):
                matches.append((name, case_id))
        matches.sort(key=lambda m: (name_sort_key(m[0]), m[1]))
        more = more or len(matches) > SHOWN
        shown = [case_id for _, case_id in matches[:SHOWN]]
        cases = {c.id: c for c in (await self.db.execute(select(Case).where(col(Case.id).in_(shown)))).scalars()}
        return NameSearchResult(await self.case_rows(user, [cases[i] for i in shown if i in cases]), more)
