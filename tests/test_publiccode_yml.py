"""publiccode.yml passes the standard's offline rules (tests/support/publiccode.py), says what the project is, and the
checker notices each kind of mistake it claims to check."""

from __future__ import annotations

import copy
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.version import VERSION
from tests.support.publiccode import problems

ROOT = Path(__file__).resolve().parents[1]


def load() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "publiccode.yml").read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def test_publiccode_yml_passes_the_offline_check() -> None:
    assert problems(load()) == []


def test_it_names_the_licence_version_and_release_of_the_project() -> None:
    doc = load()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert doc["legal"]["license"] == pyproject["license"] == "EUPL-1.2"
    assert doc["softwareVersion"] == VERSION
    released = re.search(rf"^## \[{re.escape(VERSION)}\] - (\S+)$", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert released and doc["releaseDate"] == released.group(1)


def test_it_describes_the_hub_in_dutch_and_english_with_its_dependencies_and_standards() -> None:
    doc = load()
    assert set(doc["description"]) == {"nl", "en"}
    for text in doc["description"].values():
        assert text["features"]
        assert "NL API Design Rules" in text["longDescription"]  # planned, and said so
    names = {dep["name"] for dep in doc["dependsOn"]["open"]}
    assert {"PostgreSQL", "ClamAV (clamd)", "SMTP relay", "S3-compatible object storage"} <= names
    supported = {item["id"] for item in doc["supports"]}
    assert supported == {"https://wetten.overheid.nl/BWBR0002448", "https://www.w3.org/TR/WCAG21/"}
    assert doc["localisation"]["availableLanguages"] == ["nl"]


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = doc
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("name", DELETE, "name: is required"),
        ("publiccodeYmlVersion", 0.7, "publiccodeYmlVersion: must be a string"),
        ("publiccodeYmlVersion", "0.3", "publiccodeYmlVersion: must be one of"),
        ("developmentStatus", "production", "developmentStatus: must be one of"),
        ("softwareType", "standalone", "softwareType: must be one of"),
        ("platforms", [], "platforms: must not be empty"),
        ("url", "hub.git", "url: must be a URL with a scheme and a host"),
        ("releaseDate", "07-12-2026", "releaseDate: must be a date YYYY-MM-DD"),
        ("releaseDate", "2026-02-30", "releaseDate: 2026-02-30 is not a day of the calendar"),
        ("categories", ["case-management"], "categories[0]: must be one of"),
        ("intendedAudience.countries", ["nl"], "intendedAudience.countries[0]: 'nl' is not an upper-case"),
        ("intendedAudience.scope", ["social"], "intendedAudience.scope[0]: must be one of"),
        ("supports", [{"id": "alias:wcag"}], "supports[0].id: must be one of"),
        ("supports", [{"id": "WCAG 2.1"}], "supports[0].id: must be a URL"),
        ("description.nl.shortDescription", "x" * 151, "description.nl.shortDescription: must be at most 150"),
        ("description.en.longDescription", "x" * 149, "description.en.longDescription: must be at least 150"),
        ("description.en.documentation", "ftp://example.org/docs", "description.en.documentation: must be an http(s)"),
        ("description.en.features", [], "description.en.features: must not be empty"),
        ("description.en.genericName", "Hub", "description.en.genericName: is deprecated"),
        ("description.en.summary", "Hub", "description.en.summary: is not a key of the standard"),
        ("logoUrl", "logo.svg", "logoUrl: is not a key of the standard"),
        ("legal.license", "EUPL 1.2", "legal.license: is not an SPDX expression"),
        ("legal.license", "EUPL-1.2 OR", "legal.license: is not an SPDX expression (incomplete)"),
        ("legal.repoOwner", "Gemeente", "legal.repoOwner: is deprecated"),
        ("maintenance.type", "contract", "maintenance.contractors: is required when maintenance.type is contract"),
        ("maintenance.contacts", DELETE, "maintenance.contacts: is required when maintenance.type is internal"),
        ("maintenance.contacts.0.email", "nobody", "maintenance.contacts[0].email: must be an e-mail address"),
        ("localisation.localisationReady", "no", "localisation.localisationReady: must be true or false"),
        ("localisation.availableLanguages", ["dutch"], "localisation.availableLanguages[0]: 'dutch' is not a BCP 47"),
        ("dependsOn.open.1.versionMin", 15, "dependsOn.open[1].versionMin: must be a string"),
        ("dependsOn.open.1.optional", "yes", "dependsOn.open[1].optional: must be true or false"),
        ("dependsOn.open.1.name", DELETE, "dependsOn.open[1].name: is required"),
    ],
)
def test_the_checker_notices_each_kind_of_mistake(path: str, value: Any, expected: str) -> None:
    doc = copy.deepcopy(load())
    _set(doc, path, value)
    found = problems(doc)
    assert any(p.startswith(expected) for p in found), found


def test_a_language_key_must_be_a_language_tag_and_features_are_needed_somewhere() -> None:
    doc = copy.deepcopy(load())
    doc["description"] = {"Nederlands": doc["description"]["nl"]}
    del doc["description"]["Nederlands"]["features"]
    found = problems(doc)
    assert "description.Nederlands: 'Nederlands' is not a BCP 47 language tag" in found
    assert "description: features are required for at least one language" in found


def test_an_unquoted_date_is_a_date_to_pyyaml_and_a_string_to_yaml_1_2_and_passes_either_way() -> None:
    doc = load()
    doc["releaseDate"] = date(2026, 12, 7)
    assert problems(doc) == []
