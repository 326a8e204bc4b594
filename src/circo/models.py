"""Imports every domain's models so that the metadata (and Alembic) sees all tables.

Each domain owns its tables in ``circo/<domain>/models.py``; add one import line per domain here.
"""

from circo.assistant import models as assistant_models
from circo.core import models as core_models
from circo.crm import models as crm_models
from circo.elections import models as elections_models
from circo.field import models as field_models
from circo.messaging import models as messaging_models
from circo.privacy import models as privacy_models

__all__ = [
    "assistant_models",
    "core_models",
    "crm_models",
    "elections_models",
    "field_models",
    "messaging_models",
    "privacy_models",
]
