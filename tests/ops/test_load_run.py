"""The load run (bench/load, `make load`) in short: two `hub serve` and two `hub worker` processes on PostgreSQL and
SeaweedFS behind the round-robin proxy, 8 users for 30 s with a SIGKILL of one server and one worker at a third of the
run. Nothing acknowledged may be missing or doubled, no mail sent twice, and no request may fail except those cut
off by the kill (counted apart, and retried where the form token makes that safe)."""

from __future__ import annotations

import pytest

from bench.load import users
from bench.load.run import run_load
from tests.support.postgres import PostgresCluster
from tests.support.seaweed import SeaweedS3

pytestmark = [pytest.mark.postgres, pytest.mark.s3]


def test_a_killed_server_and_worker_lose_nothing_acknowledged_and_send_nothing_twice(
    pg_cluster: PostgresCluster, s3_server: SeaweedS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Uploads weighted up (30, not 5) and 30 s, not 20: with the fixed seeds the first upload came after about 10
    # actions of a bewindvoerder, which a busy machine (another pytest worker beside it) did not reach; now within 2-7.
    # A short lease: the killed worker's claimed mails go out within the drain, not a minute later.
    monkeypatch.setattr(users, "MIX", tuple((a, 30 if a == "upload" else w) for a, w in users.MIX))
    outcome = run_load(8, 30, 1.0, cluster=pg_cluster, seaweed=s3_server, HUB_OUTBOX_LEASE_SECONDS="5")

    assert outcome.killed == ["server0", "worker0"]
    assert outcome.done_after_kill > 0, "the run did not go on after the kill"
    assert outcome.checks.problems == [], outcome.checks.rows
    errors = {row["action"]: row["errors"] for row in outcome.actions if row["errors"]}
    assert errors == {}, outcome.notes
    done = {row["action"]: row["done"] for row in outcome.actions}
    assert done["login"] >= 8 and done["reply"] > 0 and done["upload"] > 0, done
    checked = {row["check"]: row["expected"] for row in outcome.checks.rows}
    assert checked["rows marked sent: in the sink exactly once"] > 0, "no notification mail was sent at all"
