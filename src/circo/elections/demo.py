"""Demo content of the elections domain, all about the demo's territory, **Paris** (75056): the
real 2017 présidentielle results of its 896 bureaux (both rounds), the Ville de Paris bureau
contours (886 bureaux), IRIS contours, and INSEE census (diplômes 2015, socio-professional
categories 2011) and income (FILOSOFI 2015) per IRIS — files shipped in ``demo_data/`` (see its
PROVENANCE.md). Paris is the territory of the shared open data where the most modules have real
data (results, contours, census for the vote by social group, bureau ↔ IRIS correspondence); what
it lacks — voter-roll (REU) addresses — is made up by the field demo and labelled synthetic.

The other shipped files (Rhône 2017, Lyon 2022, IRIS of Lyon) stay in ``demo_data/`` for the tests
and for anyone who imports them; the demo no longer loads them, so its story holds on one territory.
Election data is shared reference data: re-running the demo replaces it (idempotent imports).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.elections.geography import import_geo, import_insee
from circo.elections.importing import import_results

TERRITORY_CODE = "75056"
TERRITORY_NAME = "Paris"
RESULTS = [
    ("pres2017_t1_paris_large.csv.gz", "pres-2017", 1),
    ("pres2017_t2_paris_large.csv.gz", "pres-2017", 2),
]
CONTOURS = [
    ("paris_bureaux_de_vote_2017_wgs84.geojson.gz", "bureaux"),
    ("paris_iris_contours_lambert93.geojson.gz", "iris"),
]
INSEE = ["paris_diplomes_2015.csv.gz", "paris_cs8_2011.csv.gz", "revenus_2015_paris_lyon.csv.gz"]


def demo_file(name: str) -> Path:
    return Path(str(resources.files("circo") / "elections" / "demo_data" / name))


def seed_demo(session: Session, ctx: CampaignContext, settings: Settings) -> None:
    for name, key, round_number in RESULTS:
        import_results(session, path=demo_file(name), key=key, round_number=round_number)
    for name in INSEE:
        import_insee(session, path=demo_file(name))
    for name, kind in CONTOURS:
        import_geo(session, path=demo_file(name), kind=kind)
