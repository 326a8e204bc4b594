"""Who may see which contacts. A volunteer sees only the people on the turfs assigned to them.

The field domain declares the scope in the manifest (`circo.domains`, ``volunteer_scope``): a
function ``(session, ctx) -> Select`` returning the ids of the contacts on the caller's assigned
turfs (`circo.field.scope.volunteer_contacts`). With no scope declared, volunteers see nobody.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.core.tenancy import CampaignContext


def sees_contact_base(ctx: CampaignContext) -> bool:
    """Every role but volunteer reads the campaign's contact base."""
    return ctx.role is not Role.volunteer


def contact_visibility(
    session: Session, ctx: CampaignContext, contact_id_column: Any
) -> ColumnElement[bool]:
    """A WHERE clause restricting ``contact_id_column`` to what ``ctx`` may see."""
    if sees_contact_base(ctx):
        return true()
    from circo.domains import registry

    scopes = registry().volunteer_scopes
    if not scopes:
        return false()
    return or_(*(contact_id_column.in_(scope(session, ctx)) for scope in scopes))
