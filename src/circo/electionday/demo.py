"""Demo content of results night: the 2nd round of the 2017 présidentielle in Paris replayed as
a night in progress — the smallest quarter of the bureaux entered (they report first), real
figures from the shipped results file; the 1st round (imported by the elections demo) is the
reference of the projection."""

from __future__ import annotations

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.electionday.models import PvSource
from circo.electionday.service import enter_pvs, read_pv_file
from circo.elections.demo import demo_file

NIGHT = ("pres-2017", 2)
SHARE_COUNTED = 0.25


def seed_demo(session: Session, ctx: CampaignContext, settings: Settings) -> None:
    pvs = read_pv_file(demo_file("pres2017_t2_paris_large.csv.gz"), round_number=NIGHT[1])
    counted = sorted(pvs, key=lambda pv: (pv.registered, pv.station_key))
    counted = counted[: int(len(counted) * SHARE_COUNTED)]
    enter_pvs(
        session, ctx, election=NIGHT[0], round_number=NIGHT[1], pvs=counted, source=PvSource.file
    )
