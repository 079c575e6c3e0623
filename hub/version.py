"""The hub's version: set once, in pyproject.toml, and released under that number in CHANGELOG.md.

An installed hub (a wheel) reads it from its package metadata, which the build wrote from pyproject.toml. A checkout
reads pyproject.toml itself: an editable install's metadata keeps the number it was installed with, so after a
version bump it would tell an old one.
"""

from __future__ import annotations

import tomllib
from importlib import metadata

from hub.resources import CHECKOUT_DIR

DISTRIBUTION = "hub"


def _read_version() -> str:
    pyproject = CHECKOUT_DIR / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == DISTRIBUTION:
            return str(project["version"])
    return metadata.version(DISTRIBUTION)


VERSION = _read_version()
