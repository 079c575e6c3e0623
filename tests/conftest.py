"""Shared fixtures: a migrated SQLite file and a throwaway PostgreSQL cluster, and a hub running on either."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hub import migrate
from hub.accounts import passwords
from tests.support.cutting_proxy import CuttingProxy
from tests.support.hubclient import HubUnderTest, running_hub
from tests.support.passwords import CHEAP_HASHER
from tests.support.postgres import PostgresCluster, start_cluster
from tests.support.seaweed import SeaweedS3, start_seaweed

BACKENDS = ("sqlite", "postgresql")
_counter = itertools.count()

# The fixtures that start a real part, and the mark a test gets when it uses one (directly or through another
# fixture). With these marks `pytest -m "not postgres and not browser and not clamd and not smtp and not s3"` runs the
# fast part
# alone and starts nothing.
PART_FIXTURES = {
    "pg_cluster": "postgres",
    "pg_template": "postgres",
    "clamd": "clamd",
    "smtp": "smtp",
    "smtps": "smtp",
    "s3_server": "s3",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test by the real parts it needs: fixtures that start one, and PostgreSQL runs of tests
    parametrised by backend in any way (the `database_url` fixture, a fixture of their own, indirect parameters)."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        wanted = {mark for fixture, mark in PART_FIXTURES.items() if fixture in names}
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in callspec.params.values():
            wanted.add("postgres")
        if callspec is not None and "s3" in callspec.params.values():
            wanted.add("s3")
        present = {mark.name for mark in item.iter_markers()}
        for mark in sorted(wanted - present):
            item.add_marker(getattr(pytest.mark, mark))


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hasher() -> Iterator[passwords.PasswordHasher]:
    """Tests not about passwords hash with a cheap argon2id, installed through the production seam."""
    previous = passwords.install_hasher(CHEAP_HASHER)
    try:
        yield CHEAP_HASHER
    finally:
        passwords.install_hasher(previous)


@pytest.fixture
def production_hasher() -> Iterator[passwords.PasswordHasher]:
    """For tests about passwords: the hasher production uses, for this test only."""
    previous = passwords.install_hasher(passwords.PRODUCTION_HASHER)
    try:
        yield passwords.PRODUCTION_HASHER
    finally:
        passwords.install_hasher(previous)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[SeaweedS3]:
    """One SeaweedFS for the run (about 10 s to start); each hub on it gets a prefix of its own."""
    server = start_seaweed()
    try:
        yield server
    finally:
        server.stop()


BLOB_STORES = ("folder", "s3")


@pytest.fixture(params=[pytest.param(b, marks=[pytest.mark.s3] if b == "s3" else []) for b in BLOB_STORES])
def blob_settings(request: pytest.FixtureRequest) -> dict[str, str]:
    """The hub's blob-store settings: the folder in the data dir, and S3 object storage (SeaweedFS) in turn."""
    if request.param == "folder":
        return {}
    server: SeaweedS3 = request.getfixturevalue("s3_server")
    return server.settings()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PostgresCluster) -> str:
    """A database migrated once to head; every test copies it (CREATE DATABASE ... TEMPLATE)."""
    migrate.upgrade(pg_cluster.create_database("hub_template"))
    return "hub_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "hub.sqlite3"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        target = tmp_path / "hub.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = f"hub_test_{next(_counter)}"
    url = cluster.create_database(name, template=request.getfixturevalue("pg_template"))
    try:
        yield url
    finally:
        cluster.drop_database(name)


@pytest.fixture(params=[pytest.param(b, marks=[pytest.mark.postgres] if b == "postgresql" else []) for b in BACKENDS])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database on each backend in turn."""
    yield from _database_url(request.param, request, tmp_path)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _database_url("sqlite", request, tmp_path)


@pytest.fixture
async def hub(database_url: str, tmp_path: Path) -> AsyncIterator[HubUnderTest]:
    """A running hub on SQLite and on PostgreSQL in turn."""
    async with running_hub(tmp_path / "data", database_url) as running:
        yield running


@pytest.fixture
async def proxied_hub(
    pg_cluster: PostgresCluster, pg_template: str, tmp_path: Path
) -> AsyncIterator[tuple[HubUnderTest, CuttingProxy]]:
    """A hub on PostgreSQL through a TCP proxy that can lose the answer to a COMMIT (tests/support/cutting_proxy.py)."""
    name = f"hub_proxied_{next(_counter)}"
    url = pg_cluster.create_database(name, template=pg_template)
    proxy = CuttingProxy(target_port=pg_cluster.port)
    await proxy.start()
    try:
        async with running_hub(tmp_path / "data", proxy.url(url)) as running:
            yield running, proxy
    finally:
        await proxy.stop()
        pg_cluster.drop_database(name)


@pytest.fixture
async def hub_sqlite(sqlite_url: str, tmp_path: Path) -> AsyncIterator[HubUnderTest]:
    async with running_hub(tmp_path / "data", sqlite_url) as running:
        yield running
