"""Who may see which contacts. A volunteer sees only the people on the turfs assigned to them.

The field domain provides the assignments through `register_volunteer_scope`: a function
``(session, ctx) -> Select`` returning the ids of the contacts on the caller's assigned turfs.
Until one is registered, volunteers see no contact at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, false, true
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.core.tenancy import CampaignContext

VolunteerScope = Callable[[Session, CampaignContext], Select[Any]]
_providers: list[VolunteerScope] = []


def register_volunteer_scope(provider: VolunteerScope) -> VolunteerScope:
    """Register (also usable as a decorator) the provider of a volunteer's visible contacts."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister_volunteer_scope(provider: VolunteerScope) -> None:
    if provider in _providers:
        _providers.remove(provider)


def sees_contact_base(ctx: CampaignContext) -> bool:
    """Every role but volunteer reads the campaign's contact base."""
    return ctx.role is not Role.volunteer


def contact_visibility(
    session: Session, ctx: CampaignContext, contact_id_column: Any
) -> ColumnElement[bool]:
    """A WHERE clause restricting ``contact_id_column`` to what ``ctx`` may see."""
    if sees_contact_base(ctx):
        return true()
    if not _providers:
        return false()
    clauses = [contact_id_column.in_(provider(session, ctx)) for provider in _providers]
    from sqlalchemy import or_

    return or_(*clauses)
