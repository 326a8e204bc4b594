"""Demo content of the elections domain: real 2017 présidentielle results (both rounds) of the
Rhône and of Paris, real 2022 présidentielle results (1st round) of Lyon, IRIS contours, Paris
bureau contours and INSEE data — files shipped in ``demo_data/`` (see its PROVENANCE.md). Election
data is shared reference data: re-running the demo replaces it (idempotent imports).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.elections.geography import import_geo, import_insee
from circo.elections.importing import import_results

RESULTS = [
    ("pres2017_t1_rhone69_mi.csv.gz", "pres-2017", 1),
    ("pres2017_t2_rhone69_mi.csv.gz", "pres-2017", 2),
    # A second election on the demo's own territory (Lyon, 69123): same Ministry layout. Only the
    # 1st round: the source repository has the 2nd round per commune only (see PROVENANCE.md).
    ("pres2022_t1_lyon69123_mi.csv.gz", "pres-2022", 1),
]
# Paris comes from another file of the same election: imported under its own key so both areas
# coexist (an import replaces a whole election round).
PARIS_RESULTS = [
    ("pres2017_t1_paris_large.csv.gz", "pres-2017-paris", 1),
    ("pres2017_t2_paris_large.csv.gz", "pres-2017-paris", 2),
]
CONTOURS = [
    ("paris_bureaux_de_vote_2017_wgs84.geojson.gz", "bureaux"),
    ("paris_iris_contours_lambert93.geojson.gz", "iris"),
    ("lyon_villeurbanne_iris_lambert93.geojson.gz", "iris"),
]
INSEE = ["paris_diplomes_2015.csv.gz", "revenus_2015_paris_lyon.csv.gz"]


def demo_file(name: str) -> Path:
    return Path(str(resources.files("circo") / "elections" / "demo_data" / name))


def seed_demo(session: Session, ctx: CampaignContext, settings: Settings) -> None:
    for name, key, round_number in RESULTS + PARIS_RESULTS:
        import_results(session, path=demo_file(name), key=key, round_number=round_number)
    for name in INSEE:
        import_insee(session, path=demo_file(name))
    for name, kind in CONTOURS:
        import_geo(session, path=demo_file(name), kind=kind)
