"""Every package the hub runs on has a licence the EUPL-1.2 can live with, and THIRD_PARTY_NOTICES.md names them.

pip-licenses reads the installed packages' metadata, so this runs offline, on whatever `make test` installed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.notices import NOTICES, ROOT, licence_allowed, read_packages, runtime_distributions


def test_every_installed_runtime_dependency_has_an_allowed_licence() -> None:
    packages = read_packages(runtime_distributions())
    refused = [f"{p.name} {p.version}: {p.licence!r}" for p in packages if not p.allowed]
    assert not refused, "licences not on the EUPL-1.2 allow-list in tools/notices.py:\n" + "\n".join(refused)


def test_the_runtime_dependencies_follow_extras_and_leave_out_the_development_tools() -> None:
    names = {canonicalize_name(n) for n in runtime_distributions()}
    assert {"starlette", "sqlalchemy", "greenlet", "uvicorn", "uvloop", "httptools", "cryptography", "cffi"} <= names
    assert not names & {"pytest", "ruff", "mypy", "playwright", "pip-licenses", "hypothesis", "aiosmtpd", "hub"}


def test_the_notices_name_every_direct_runtime_dependency() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    listed = {
        canonicalize_name(line.split("|")[1].strip())
        for line in Path(NOTICES).read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and not line.startswith("| package")
    }
    missing = sorted({canonicalize_name(Requirement(d).name) for d in dependencies} - listed)
    assert not missing, f"run `make notices`: THIRD_PARTY_NOTICES.md misses {missing}"


@pytest.mark.parametrize(
    ("licence", "allowed"),
    [
        ("MIT", True),
        ("MIT License", True),
        ("Apache Software License; BSD License", True),  # classifiers: each must be allowed
        ("Apache-2.0 OR BSD-3-Clause", True),
        ("MIT AND PSF-2.0", True),
        ("(MIT OR GPL-3.0-only) AND BSD-3-Clause", True),
        ("Apache-2.0 WITH LLVM-exception", True),
        ("Mozilla Public License 2.0 (MPL 2.0)", True),
        ("GNU Lesser General Public License v3 (LGPLv3)", True),
        ("GPL-3.0-only", False),
        ("GNU General Public License v3 (GPLv3)", False),
        ("AGPL-3.0-or-later", False),
        ("MIT AND GPL-2.0-only", False),
        ("MIT License; GNU General Public License v2 (GPLv2)", False),
        ("SSPL-1.0", False),
        ("Proprietary", False),
        ("UNKNOWN", False),
        ("", False),
        ("MIT OR", False),
        ("(MIT", False),
    ],
)
def test_the_allow_list_reads_licences_as_meant(licence: str, allowed: bool) -> None:
    assert licence_allowed(licence) is allowed
