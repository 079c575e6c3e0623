"""The audit hash format, pinned by test vectors (tests/audit/vectors/chain_v1.json, made once by generate.py).

If one of these fails, the hash format changed: every existing audit log would stop verifying. Add a new format
version instead of changing hub-audit-v1.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hub.audit.services import GENESIS_HASH, canonical_moment, chain_hash, record, verify
from tests.support.hubclient import HubUnderTest

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "chain_v1.json").read_text(encoding="utf-8")
)["vectors"]


def _fields(vector: dict[str, Any]) -> dict[str, Any]:
    keys = ("seq", "user_id", "organisation_id", "action", "object_type", "object_id", "prev_hash")
    return {k: vector[k] for k in keys} | {"at": datetime.fromisoformat(vector["at"])}


@pytest.mark.parametrize("vector", VECTORS, ids=[f"seq{v['seq']}" for v in VECTORS])
def test_chain_hash_matches_the_vector(vector: dict[str, Any]) -> None:
    assert canonical_moment(datetime.fromisoformat(vector["at"])) == vector["canonical_moment"]
    assert chain_hash(**_fields(vector)) == vector["hash"]


def test_the_vectors_form_one_chain() -> None:
    assert [v["prev_hash"] for v in VECTORS] == [GENESIS_HASH] + [v["hash"] for v in VECTORS[:-1]]
    assert [v["seq"] for v in VECTORS] == list(range(1, len(VECTORS) + 1))


async def test_appending_the_vectors_stores_exactly_their_hashes(hub: HubUnderTest) -> None:
    """The real append path (database round trip of the moment included) gives the pinned hashes."""
    for vector in VECTORS:
        fields = _fields(vector)
        async with hub.db() as db:
            event = await record(
                db,
                user_id=fields["user_id"],
                organisation_id=fields["organisation_id"],
                action=fields["action"],
                object_type=fields["object_type"],
                object_id=fields["object_id"],
                at=fields["at"],
            )
        assert (event.seq, event.prev_hash, event.hash) == (vector["seq"], vector["prev_hash"], vector["hash"])
    async with hub.db() as db:
        result = await verify(db)
    assert result.ok and result.count == len(VECTORS)
