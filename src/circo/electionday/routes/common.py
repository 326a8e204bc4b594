"""Shared parts of the election-day pages and API: the routers, the role dependencies and the
query types."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Query
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from circo.bounds import no_nul
from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.electionday import live, service
from circo.web.deps import require_role
from circo.web.templating import add_template_dir

add_template_dir(str(resources.files("circo") / "electionday" / "templates"))

STATIC = Path(str(resources.files("circo") / "electionday" / "static"))

StaffDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.organiser, Role.comms))]
ElectionQuery = Annotated[str, AfterValidator(no_nul), Query(max_length=40)]
ReferenceQuery = Annotated[str, AfterValidator(no_nul), Query(max_length=50)]
LevelQuery = Annotated[str, Query(pattern="^(dep|circ|com)$")]


def night_choice(
    session: Session, ctx: CampaignContext, election: str, round_number: int | None
) -> tuple[str, int] | None:
    if election and round_number:
        return service.election_key(election, round_number), round_number
    known = live.nights(session, ctx)
    return known[0] if known else None


ProxyDep = Annotated[CampaignContext, Depends(require_role(Role.organiser, Role.data))]
RoundQuery = Annotated[int, Query(alias="round", ge=1, le=2)]
