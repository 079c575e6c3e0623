"""The project as public code: one version everywhere, a changelog that names every release and migration, the EUPL-1.2
as the licence, and a disclosure policy whose terms are the ones the hub shows."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

from hub.disclosure import policy
from hub.version import VERSION

ROOT = Path(__file__).resolve().parents[1]
RELEASE = re.compile(r"^## \[(\d+)\.(\d+)\.(\d+)\] - (\d{4}-\d{2}-\d{2})$", re.M)
# The EUPL-1.2's official English plain text as the European Commission distributes it (joinup.ec.europa.eu),
# word for word the text of the SPDX and choosealicense.com copies. A changed LICENSE is no longer that text.
EUPL_SHA256 = "6fc9e709ccbfe0d77fbffa2427a983282be2eb88e47b1cdb49f21a83b4d1e665"


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def pyproject() -> dict[str, object]:
    project = tomllib.loads(read("pyproject.toml"))["project"]
    assert isinstance(project, dict)
    return project


def releases() -> list[tuple[tuple[int, int, int], date]]:
    return [((int(a), int(b), int(c)), date.fromisoformat(d)) for a, b, c, d in RELEASE.findall(read("CHANGELOG.md"))]


def test_hub_version_is_the_pyproject_version_and_the_newest_changelog_release() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "hub", "--version"], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"hub {pyproject()['version']}"
    newest, _ = releases()[0]
    assert VERSION == pyproject()["version"] == ".".join(map(str, newest))


def test_the_changelog_keeps_a_changelog_with_releases_newest_first() -> None:
    text = read("CHANGELOG.md")
    assert text.startswith("# Changelog\n")
    assert "keepachangelog.com/en/1.1.0" in text and "semver.org/spec/v2.0.0" in text
    assert re.findall(r"^## \[([^\]]+)\]", text, re.M)[0] == "Unreleased"  # what is merged but not released
    found = releases()
    assert len(found) >= 3
    versions = [v for v, _ in found]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    days = [d for _, d in found]
    assert days == sorted(days, reverse=True)
    sections = re.split(r"^## ", text, flags=re.M)[2:]  # each release, after the preamble and Unreleased
    for section in sections:
        assert "### Database migrations" in section and "### Settings" in section, section.splitlines()[0]


def test_every_migration_is_called_out_in_the_changelog() -> None:
    text = read("CHANGELOG.md")
    revisions = [
        re.search(r'^revision: str = "([^"]+)"', path.read_text(encoding="utf-8"), re.M)
        for path in sorted((ROOT / "migrations" / "versions").glob("*.py"))
    ]
    missing = [m.group(1) for m in revisions if m and f"`{m.group(1)}`" not in text]
    assert not missing, f"migrations not named in CHANGELOG.md: {missing}"


def test_the_licence_is_the_eupl_1_2_everywhere() -> None:
    licence = read("LICENSE")
    assert licence.lstrip().startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    assert hashlib.sha256(licence.encode("utf-8")).hexdigest() == EUPL_SHA256
    project = pyproject()
    assert project["license"] == "EUPL-1.2" and project["license-files"] == ["LICENSE"]
    classifiers = project["classifiers"]
    assert isinstance(classifiers, list) and not [c for c in classifiers if c.startswith("License ::")]  # PEP 639
    assert "EUPL-1.2" in read("CONTRIBUTING.md") and "LICENSE" in read("README.md")


def test_security_md_promises_the_terms_the_hub_shows() -> None:
    text = " ".join(read("SECURITY.md").split())
    assert "Leidraad Coordinated Vulnerability Disclosure" in text
    assert f"within {policy.ACKNOWLEDGE_WERKDAGEN} working days | a person confirms" in text
    assert f"within {policy.ASSESS_WERKDAGEN} working days | our assessment" in text
    assert f"within {policy.FIX_WITHIN_DAYS} days | the fix" in text
    for heading in ("## Where to report", "## Scope", "## Out of scope", "## Safe harbour"):
        assert heading in text
    assert "/.well-known/security.txt" in text


def test_the_readme_points_to_every_public_code_file() -> None:
    readme = read("README.md")
    section = readme[readme.index("## Licence and public code") :]
    for name in (
        "LICENSE",
        "publiccode.yml",
        "SECURITY.md",
        "CONTRIBUTING.md",
        "CHANGELOG.md",
        "THIRD_PARTY_NOTICES.md",
    ):
        assert f"`{name}`" in section.split("\n## ")[0], name
        assert (ROOT / name).is_file(), name
