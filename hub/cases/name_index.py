"""The encrypted token index of client names: how a case is found by a part of its client's name.

Names are ciphertext, so the database cannot match them. Decrypting every name of an organisation for each search
takes about a second per 50 000 cases (``make bench``), so each case keeps a set of tokens instead: the trigrams of
its normalised name (case and accents folded, anything but letters and digits a space, padded with one space on both
ends), each as a keyed HMAC under the keyring's index key (:func:`crypto.blind_index`) with the case's convenant in
its purpose, cut to 128 bits. A search computes the tokens of the trigrams of what was typed for each convenant of
the user's organisation, takes the cases holding all of them, then decrypts only those names and keeps the ones that
really contain the typed text (the trigrams may occur elsewhere in the name).

What the index shows to someone holding the database but not the keyring: how many distinct trigrams each name has
(about its length, which the ciphertext shows as well), and which cases of the same convenant share a trigram. It
never holds a plaintext name or trigram; the same trigram under two convenants gives unrelated tokens.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import DecryptionError, Keyring, blind_index, decrypt_text
from hub.cases.models import Case, CaseNameToken
from hub.cases.records import fold
from hub.db import transaction
from hub.fields import CASE_CLIENT_NAME

log = logging.getLogger("hub.cases")

TOKEN_LENGTH = 32  # hex characters of the HMAC kept: 128 bits
MIN_QUERY = 3  # a trigram index finds nothing shorter
MAX_QUERY_TRIGRAMS = 12  # a longer text is matched on this many trigrams spread over it, then checked in full
BACKFILL_BATCH = 500
NOT_LETTERS = re.compile(r"[\W_]+")


def normalise_name(text: str) -> str:
    """Folded (case, accents), every run of characters that are not letters or digits one space, trimmed."""
    return NOT_LETTERS.sub(" ", fold(text)).strip()


def name_trigrams(name: str) -> set[str]:
    """The trigrams a stored name is indexed under: of its normalised form padded with a space on both ends, so
    that even a name of one letter has one."""
    normalised = normalise_name(name)
    if not normalised:
        return set()
    padded = f" {normalised} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def query_trigrams(normalised: str) -> list[str]:
    """The trigrams a search looks up: every one of a short text, else an even spread of them (first and last
    included); the candidates are checked against the whole text afterwards."""
    every = list(dict.fromkeys(normalised[i : i + 3] for i in range(len(normalised) - 2)))
    if len(every) <= MAX_QUERY_TRIGRAMS:
        return every
    step = (len(every) - 1) / (MAX_QUERY_TRIGRAMS - 1)
    return list(dict.fromkeys(every[round(i * step)] for i in range(MAX_QUERY_TRIGRAMS)))


def token(index_key: bytes, convenant_id: str, trigram: str) -> str:
    return blind_index(index_key, trigram, purpose=f"case-name/{convenant_id}")[:TOKEN_LENGTH]


def name_tokens(index_key: bytes, convenant_id: str, name: str) -> set[str]:
    return {token(index_key, convenant_id, t) for t in name_trigrams(name)}


async def index_case_name(db: AsyncSession, keyring: Keyring, case: Case, name: str) -> None:
    """(Re)write the tokens of ``case`` for the plaintext ``name`` (at opening and after a correction)."""
    await db.execute(delete(CaseNameToken).where(col(CaseNameToken.case_id) == case.id))
    tokens = name_tokens(keyring.index_key, case.convenant_id, name)
    if tokens:
        await db.execute(insert(CaseNameToken), [{"token": t, "case_id": case.id} for t in sorted(tokens)])


async def index_missing_names(sessions: async_sessionmaker[AsyncSession], keyring: Keyring) -> int:
    """Index the cases that have no tokens yet (cases opened before the index existed); returns how many were
    indexed. Run at start-up: cheap when nothing is missing. A batch another process indexed at the same moment is
    left to it."""
    indexed = unreadable = 0
    last = ""
    while True:
        async with transaction(sessions) as db:
            rows = (
                await db.execute(
                    select(col(Case.id), col(Case.convenant_id), col(Case.client_name))
                    .where(~exists().where(col(CaseNameToken.case_id) == col(Case.id)), col(Case.id) > last)
                    .order_by(col(Case.id))
                    .limit(BACKFILL_BATCH)
                )
            ).all()
            if not rows:
                break
            last = rows[-1][0]
            values: list[dict[str, str]] = []
            readable = 0
            for case_id, convenant_id, sealed in rows:
                try:
                    name = decrypt_text(keyring, sealed, context=CASE_CLIENT_NAME.context(case_id))
                except DecryptionError:
                    unreadable += 1
                    continue
                readable += 1
                values += [
                    {"token": t, "case_id": case_id} for t in sorted(name_tokens(keyring.index_key, convenant_id, name))
                ]
            try:
                async with db.begin_nested():
                    if values:
                        await db.execute(insert(CaseNameToken), values)
            except IntegrityError:
                continue  # another hub process indexed (some of) these cases just now
            indexed += readable
    if unreadable:
        log.warning("name index: %d client name(s) do not decrypt and were not indexed", unreadable)
    if indexed:
        log.info("name index: indexed the names of %d case(s)", indexed)
    return indexed
