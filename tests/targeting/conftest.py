"""Fixtures of the targeting tests: real results (shipped demo files) cut small, imported
through the services.

* ``rhone``: présidentielle 2017, both rounds, the first 60 bureaux of the Rhône (no contours);
* ``paris``: présidentielle 2017 round 1 in Paris 1er–4e, the bureaux and IRIS contours of those
  arrondissements and INSEE RP 2011 CS8 of their IRIS (bureau ↔ IRIS by area overlap).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.elections.geography import import_geo, import_insee
from circo.elections.importing import import_results
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.data_files import demo_file
from tests.elections.sample_files import national_paris, rhone_file
from tests.factories import TwoCampaigns, make_two_campaigns, make_user

ARRONDISSEMENTS = ("01", "02", "03", "04")


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime.settings, runtime=runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def world(session: Session) -> TwoCampaigns:
    """Campaigns A and B (admins, a volunteer of A) plus an organiser of A."""
    campaigns = make_two_campaigns(session)
    make_user(session, campaign=campaigns.a, email="organiser-a@example.org", role=Role.organiser)
    session.commit()
    return campaigns


def cut_lines(source: Path, target: Path, *, rows: int) -> Path:
    """The header and the first ``rows`` bureaux of a Ministry file (same bytes; gunzipped)."""
    content = source.read_bytes()
    lines = (gzip.decompress(content) if source.suffix == ".gz" else content).splitlines(True)
    target.write_bytes(b"".join(lines[: rows + 1]))
    return target


@pytest.fixture
def rhone(session: Session, tmp_path: Path) -> None:
    for round_number in (1, 2):
        path = cut_lines(rhone_file(round_number), tmp_path / f"rhone_t{round_number}.csv", rows=60)
        import_results(session, path=path, key="pres-2017", round_number=round_number)
    session.commit()


def _paris_results(folder: Path) -> Path:
    source = national_paris(round_number=1)
    target = folder / "paris_t1.csv"
    prefixes = tuple(f"75,056,{number}" for number in ARRONDISSEMENTS)
    with gzip.open(source, "rt", encoding="utf-8") as handle, target.open("w") as out:
        for number, line in enumerate(handle):
            if number == 0 or line.startswith(prefixes):
                out.write(line)
    return target


def _features(source: Path, target: Path, keep: object) -> Path:
    collection = json.loads(gzip.decompress(source.read_bytes()))
    collection["features"] = [f for f in collection["features"] if keep(f["properties"])]  # type: ignore[operator]
    target.write_text(json.dumps(collection))
    return target


@pytest.fixture
def paris(session: Session, shared_data: Path, tmp_path: Path) -> None:
    iris_prefixes = tuple(f"751{number}" for number in ARRONDISSEMENTS)
    import_results(session, path=_paris_results(tmp_path), key="pres-2017", round_number=1)
    import_geo(
        session,
        path=_features(
            demo_file("paris_bureaux_de_vote_2017_wgs84.geojson.gz"),
            tmp_path / "bureaux.geojson",
            lambda props: str(props["id_bv"])[:2] in ARRONDISSEMENTS,
        ),
        kind="bureaux",
    )
    import_geo(
        session,
        path=_features(
            demo_file("paris_iris_contours_lambert93.geojson.gz"),
            tmp_path / "iris.geojson",
            lambda props: str(props["CODE_IRIS"]).startswith(iris_prefixes),
        ),
        kind="iris",
    )
    census = (shared_data / "fr-paris-iris-insee" / "RP_2011_CS8_Paris.csv").read_text()
    lines = census.splitlines(keepends=True)
    kept = [lines[0]] + [line for line in lines[1:] if line.startswith(iris_prefixes)]
    (tmp_path / "cs8.csv").write_text("".join(kept))
    import_insee(session, path=tmp_path / "cs8.csv")
    session.commit()
