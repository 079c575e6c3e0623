"""Build glue that pyproject.toml cannot say: the repository's top-level ``templates/``, ``static/`` and
``migrations/`` folders ship inside the package as ``hub.templates``, ``hub.static`` and ``hub.migrations``, so an
installed hub finds them next to its code (see hub/resources.py). Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

RESOURCES = {"hub.templates": "templates", "hub.static": "static", "hub.migrations": "migrations"}

setup(
    packages=[*find_packages(include=["hub", "hub.*", "crypto", "crypto.*"]), *RESOURCES],
    package_dir=RESOURCES,
    package_data={
        "hub.terms": ["*.txt"],
        **{package: ["**/*"] for package in RESOURCES},
    },
    exclude_package_data={package: ["**/__pycache__/*", "**/*.pyc"] for package in RESOURCES},
)
