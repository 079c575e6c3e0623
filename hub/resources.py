"""Where the hub's non-code files are: the templates, the static files and the Alembic migrations.

In the repository they are the top-level folders ``templates/``, ``static/`` and ``migrations/``; an installed
hub (a wheel) carries them inside the package as ``hub/templates``, ``hub/static`` and ``hub/migrations`` (see
setup.py). Code asks here instead of counting parent directories.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent


def resource_dir(name: str) -> Path:
    """The folder ``name`` (templates, static, migrations): inside the installed package, else in the checkout."""
    for candidate in (PACKAGE_DIR / name, CHECKOUT_DIR / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"hub resource folder {name!r} is neither in {PACKAGE_DIR} nor in {CHECKOUT_DIR}")


TEMPLATE_DIR = resource_dir("templates")
STATIC_DIR = resource_dir("static")
MIGRATIONS_DIR = resource_dir("migrations")
