"""The OpenAPI document, as the app serves it, passes the API Design Rules' Spectral ruleset as Logius publishes it
(tests/api/adr/linter.yaml, vendored unchanged): no error, and no warning that README "## API" does not explain."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from tests.support.hubclient import running_hub

ROOT = Path(__file__).resolve().parents[2]
SPECTRAL = ROOT / "node_modules" / ".bin" / "spectral"
RULESET = Path(__file__).parent / "adr" / "linter.yaml"
UPSTREAM_START = b"# --- upstream file starts below ---\n"
UPSTREAM_SHA256 = "80478f0282239de4d2216412240de56f52b864f310aa362ce0aea2c512ff0ba2"  # media/linter.yaml at 6edd13c
# Warnings the document may keep, each explained in README "## API" (pas toe of leg uit). None at present.
EXPLAINED_WARNINGS: frozenset[str] = frozenset()
ERROR, WARNING = 0, 1  # Spectral's severities in its JSON output


def test_the_vendored_ruleset_is_the_upstream_file_unchanged() -> None:
    upstream = RULESET.read_bytes().split(UPSTREAM_START, 1)[1]
    assert hashlib.sha256(upstream).hexdigest() == UPSTREAM_SHA256


def spectral(*documents: Path, output: Path) -> dict[str, list[dict[str, Any]]]:
    """Lint the documents in one run (Spectral starts in seconds); each document's findings."""
    assert SPECTRAL.exists(), f"{SPECTRAL} is missing: run `npm ci` (make test does)"
    command = [SPECTRAL, "lint", "--ruleset", RULESET, "--fail-severity", "error", "--format", "json"]
    ran = subprocess.run([*command, "--output", output, *documents], capture_output=True, text=True, timeout=300)
    assert output.exists(), f"spectral did not run: {ran.stderr}"
    found: dict[str, list[dict[str, Any]]] = {str(d): [] for d in documents}
    for finding in json.loads(output.read_text(encoding="utf-8")):
        found[finding["source"]].append(finding)
    has_errors = any(f["severity"] == ERROR for findings in found.values() for f in findings)
    assert (ran.returncode != 0) == has_errors, ran.stderr  # a broken ruleset would also exit non-zero
    return found


def broken(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with two faults the rules must catch: the first answer without its API-Version header, and no
    contact e-mail."""
    bad = copy.deepcopy(doc)
    first = next(iter(next(iter(bad["paths"].values())).values()))
    success = next(code for code in first["responses"] if code.startswith("2"))
    first["responses"][success].pop("headers")
    bad["info"]["contact"].pop("email")
    return bad


async def test_the_document_passes_the_api_design_rules(sqlite_url: str, tmp_path: Path) -> None:
    base_url = "https://hub.gemeente.example.nl"
    async with running_hub(tmp_path / "data", sqlite_url, HUB_BASE_URL=base_url) as hub:
        response = await hub.client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["info"]["contact"]["email"] == "security@hub.gemeente.example.nl"  # HUB_API_CONTACT_EMAIL unset
    served, control = tmp_path / "openapi.json", tmp_path / "broken.json"
    served.write_bytes(response.content)
    control.write_text(json.dumps(broken(doc)), encoding="utf-8")

    found = spectral(served, control, output=tmp_path / "findings.json")

    readable = [f"{f['code']} at {'.'.join(map(str, f['path']))}: {f['message']}" for f in found[str(served)]]
    assert not [f for f in found[str(served)] if f["severity"] == ERROR], "\n".join(readable)
    assert {f["code"] for f in found[str(served)] if f["severity"] == WARNING} <= EXPLAINED_WARNINGS, readable
    # The ruleset is live: the same document with two faults fails on exactly those rules.
    caught = {f["code"] for f in found[str(control)] if f["severity"] == ERROR}
    assert caught == {"nlgov:missing-header", "nlgov:info-contact-fields-exist"}
