"""Imports every domain's models so that the metadata (and Alembic) sees all tables.

Each domain owns its tables in ``circo/<domain>/models.py``; add one import line per domain here.
"""

from circo.core import models as core_models

__all__ = ["core_models"]
