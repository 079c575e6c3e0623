"""The hub-audit-v2 hash format (client address and user agent), pinned by tests/audit/vectors/chain_v2.json.

If one of these fails, the hash format changed: every existing audit log would stop verifying.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hub.audit.services import GENESIS_HASH, chain_hash, record, verify
from tests.support.hubclient import HubUnderTest

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "chain_v2.json").read_text(encoding="utf-8")
)["vectors"]
KEYS = ("seq", "user_id", "organisation_id", "action", "object_type", "object_id", "client_address", "user_agent")


def _fields(vector: dict[str, Any]) -> dict[str, Any]:
    return {k: vector[k] for k in KEYS} | {"at": datetime.fromisoformat(vector["at"])}


@pytest.mark.parametrize("vector", VECTORS, ids=[f"seq{v['seq']}" for v in VECTORS])
def test_chain_hash_matches_the_v2_vector(vector: dict[str, Any]) -> None:
    assert chain_hash(**_fields(vector), prev_hash=vector["prev_hash"]) == vector["hash"]


def test_the_v2_encoding_is_the_documented_one() -> None:
    v = VECTORS[1]
    encoded = json.dumps(
        ["hub-audit-v2", v["seq"], v["canonical_moment"], v["user_id"], v["organisation_id"], v["action"],
         v["object_type"], v["object_id"], v["client_address"], v["user_agent"], v["prev_hash"]],
        separators=(",", ":"),
    )  # fmt: skip
    assert hashlib.sha256(encoded.encode("ascii")).hexdigest() == v["hash"]
    assert [v["prev_hash"] for v in VECTORS] == [GENESIS_HASH] + [v["hash"] for v in VECTORS[:-1]]


def test_the_request_fields_are_covered_by_the_hash() -> None:
    """Blanking or changing the address or agent of a v2 record changes its hash: the chain breaks there."""
    v = VECTORS[1]
    fields = _fields(v) | {"prev_hash": v["prev_hash"]}
    for changed in ({"client_address": None}, {"user_agent": None}, {"client_address": None, "user_agent": None},
                    {"client_address": "192.0.2.11"}, {"user_agent": v["user_agent"] + " "}):  # fmt: skip
        assert chain_hash(**(fields | changed)) != v["hash"], changed


async def test_appending_the_v2_vectors_stores_exactly_their_hashes(hub: HubUnderTest) -> None:
    for vector in VECTORS:
        fields = _fields(vector)
        del fields["seq"]
        async with hub.db() as db:
            event = await record(db, **fields)
        assert (event.seq, event.prev_hash, event.hash) == (vector["seq"], vector["prev_hash"], vector["hash"])
    async with hub.db() as db:
        result = await verify(db)
    assert result.ok and result.count == len(VECTORS)
