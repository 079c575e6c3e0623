"""Made tests/audit/vectors/chain_v2.json once, from the code as it was (hub-audit-v2 next to hub-audit-v1).

Do not run this to make a failing vector test pass: a failing vector means the hash format changed, and every
existing audit log would stop verifying. Add a new format version instead.

    PYTHONPATH=. python tests/audit/vectors/generate_v2.py > tests/audit/vectors/chain_v2.json
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hub.audit.services import GENESIS_HASH, canonical_moment, chain_hash

RECORDS = [
    # (moment, user_id, organisation_id, action, object_type, object_id, client_address, user_agent)
    # A record without request fields stays hub-audit-v1 ...
    (datetime(2026, 12, 7, 9, 0, 0, 0, tzinfo=UTC), None, None, "keys.rotate", "keyring", "k2", None, None),
    # ... one with them is hub-audit-v2.
    (
        datetime(2026, 12, 7, 9, 1, 0, 250000, tzinfo=UTC),
        "u" * 32,
        "o" * 32,
        "auth.login",
        "user",
        "u" * 32,
        "192.0.2.10",
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    ),
    # An unknown address: no user, only where it came from.
    (
        datetime(2026, 12, 7, 9, 2, 0, 1, tzinfo=UTC),
        None,
        None,
        "auth.password_failed",
        "account",
        "",
        "2001:db8::1",
        None,
    ),
    # Only a user agent, with characters JSON escapes.
    (datetime(2026, 12, 7, 9, 3, 0, 0, tzinfo=UTC), "u" * 32, None, "auth.logout", "user", "u" * 32, None, 'a"b\\c'),
]


def main() -> None:
    vectors = []
    prev = GENESIS_HASH
    for seq, (at, user_id, org_id, action, object_type, object_id, address, agent) in enumerate(RECORDS, start=1):
        fields = {
            "seq": seq,
            "at": at.isoformat(),
            "user_id": user_id,
            "organisation_id": org_id,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "client_address": address,
            "user_agent": agent,
            "prev_hash": prev,
        }
        digest = chain_hash(**{**fields, "at": at})  # type: ignore[arg-type]
        vectors.append({**fields, "canonical_moment": canonical_moment(at), "hash": digest})
        prev = digest
    doc = {
        "description": "hub.audit chain hashes, formats hub-audit-v1 and hub-audit-v2 mixed, a chain of four records",
        "vectors": vectors,
    }
    print(json.dumps(doc, indent=2, ensure_ascii=True))


if __name__ == "__main__":
    main()
