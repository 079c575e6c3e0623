"""Made tests/audit/vectors/chain_v1.json once, from the code as it was (hub-audit-v1). Kept to show how.

Do not run this to make a failing vector test pass: a failing vector means the hash format changed, and every
existing audit log would stop verifying. Add a new format version instead.

    PYTHONPATH=. python tests/audit/vectors/generate.py > tests/audit/vectors/chain_v1.json
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hub.audit.services import GENESIS_HASH, canonical_moment, chain_hash

RECORDS = [
    # (moment, user_id, organisation_id, action, object_type, object_id)
    (datetime(2026, 3, 2, 9, 15, 0, 0, tzinfo=UTC), "u" * 32, "o" * 32, "case.view", "case", "c" * 32),
    # Microseconds count; the day and month differ (a swapped date would not match).
    (
        datetime(2026, 3, 12, 9, 15, 0, 123456, tzinfo=UTC),
        "u" * 32,
        "o" * 32,
        "document.download",
        "document",
        "d" * 32,
    ),
    # A moment in Dutch summer time is hashed as UTC.
    (
        datetime(2026, 7, 1, 14, 0, 0, 1, tzinfo=timezone(timedelta(hours=2))),
        None,
        None,
        "keys.rotate",
        "keyring",
        "k1",
    ),
    # Nothing but ASCII in the encoding: other characters are escaped.
    (datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "u" * 32, None, "case.search", "case", 'é"ë,[]'),
]


def main() -> None:
    vectors = []
    prev = GENESIS_HASH
    for seq, (at, user_id, org_id, action, object_type, object_id) in enumerate(RECORDS, start=1):
        fields = {
            "seq": seq,
            "at": at.isoformat(),
            "user_id": user_id,
            "organisation_id": org_id,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "prev_hash": prev,
        }
        digest = chain_hash(**{**fields, "at": at})  # type: ignore[arg-type]
        vectors.append({**fields, "canonical_moment": canonical_moment(at), "hash": digest})
        prev = digest
    doc = {"description": "hub.audit chain hashes, format hub-audit-v1, a chain of four records", "vectors": vectors}
    print(json.dumps(doc, indent=2, ensure_ascii=True))


if __name__ == "__main__":
    main()
