"""`circo drops …` and `circo posters …` as separate processes on a fresh data dir (SQLite and
PostgreSQL): a round cut from the imported REU addresses, a building done twice counted once,
the coverage; the boards of a commune from its imported bureaux, a state with a photo; clear
refusals naming the parameter."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from circo.config import Settings
from tests.server import init_campaign, run_cli

pytestmark = pytest.mark.timeout(600)


def cli_json(settings: Settings, *args: str) -> Any:
    done = run_cli(settings, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _first_building(settings: Settings, round_id: int) -> int:
    """The first building (turf stop) of a drop round, read from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(settings.effective_database_url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT MIN(s.id) FROM field_turf_stops s "
                    "JOIN field_turfs t ON t.id = s.turf_id "
                    "JOIN reach_drop_rounds r ON r.plan_id = t.plan_id WHERE r.id = :round"
                ),
                {"round": round_id},
            ).scalar()
    finally:
        engine.dispose()
    assert found is not None
    return int(found)


def test_drops_and_posters_through_the_command_line(
    settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    init_campaign(settings, "tracts")
    sample = shared_data / "fr-reu-adresses-sample-29" / "addresses_sample.csv"
    imported = run_cli(settings, "import", "reu", str(sample))
    assert imported.returncode == 0, imported.stderr

    created = cli_json(
        settings, "drops", "create", "--in", "tracts", "--leaflet", "Programme", "--bureaux",
        "29039_1",
    )  # fmt: skip
    assert set(created) == {"round", "leaflet", "bureaux", "turfs", "letterboxes"}
    assert created["leaflet"] == "Programme"
    assert created["bureaux"] == ["29039_0001"]
    assert created["turfs"] >= 1
    assert created["letterboxes"] > 0
    round_id = str(created["round"])

    before = cli_json(settings, "drops", "coverage", "--in", "tracts", "--round", round_id)
    assert before["letterboxes"] == {"reached": 0, "total": created["letterboxes"]}
    building = str(_first_building(settings, int(round_id)))  # ids depend on the database
    first = cli_json(settings, "drops", "done", "--round", round_id, "--building", building)
    again = cli_json(settings, "drops", "done", "--round", round_id, "--building", building)
    assert (first["status"], again["status"]) == ("created", "duplicate")
    after = cli_json(settings, "drops", "coverage", "--round", round_id)
    assert after["buildings"]["done"] == 1
    assert 0 < after["letterboxes"]["reached"] < after["letterboxes"]["total"]
    assert after["bureaux"][0]["bureau"] == "29039_0001"

    refused = run_cli(settings, "drops", "create", "--leaflet", "X", "--bureaux", "3")
    assert refused.returncode != 0
    assert "bureaux" in refused.stderr
    assert "ciblage" in refused.stderr

    boards = cli_json(
        settings, "posters", "create", "--in", "tracts", "--commune", "29039", "--number", "4"
    )
    assert boards["commune"] == "29039"
    assert boards["number"] == 4
    assert boards["created"] == boards["boards"] >= 1
    listed = cli_json(settings, "posters", "list", "--commune", "29039")
    board = listed[0]
    assert board["status"] == "pending"
    assert board["number"] == 4
    photo = tmp_path / "panneau.png"
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 90, 200)).save(buffer, "PNG")
    photo.write_bytes(buffer.getvalue())
    checked = cli_json(
        settings, "posters", "status", "--board", str(board["id"]), "--status", "posted",
        "--photo", str(photo),
    )  # fmt: skip
    assert checked["status"] == "posted"
    assert checked["photo"] is True
    stored = list((settings.data_dir / "posters").rglob("*.jpg"))
    assert len(stored) == 1

    not_image = tmp_path / "faux.jpg"
    not_image.write_text("pas une image", encoding="utf-8")
    bad = run_cli(
        settings, "posters", "status", "--board", str(board["id"]), "--status", "torn",
        "--photo", str(not_image),
    )  # fmt: skip
    assert bad.returncode != 0
    assert "photo" in bad.stderr
    assert "JPEG" in bad.stderr
    wrong = run_cli(settings, "posters", "create", "--commune", "abc", "--number", "2")
    assert wrong.returncode != 0
    assert "commune" in wrong.stderr
