"""Imports every table module so that SQLModel.metadata is complete (for Alembic and tests)."""

from hub.accounts import models as accounts_models

__all__ = ["accounts_models"]
