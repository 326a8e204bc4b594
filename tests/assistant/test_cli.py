"""The CLI contract: exact JSON shapes of ask / rebut / kb list, leaflets, batch failures."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session
from tests.assistant.conftest import PROGRAMME_MD, STUDY_TXT
from tests.factories import make_campaign
from typer.testing import CliRunner

from circo.cli import app

RUNNER = CliRunner()
REBUTTAL_MD = """# Nos ripostes

## « Le chômage explose à Lyon »

C'est faux : le chômage a baissé de 7,9 % à 7,1 % entre 2022 et 2024 dans la métropole.
"""


def run(*args: str) -> tuple[int, str]:
    result = RUNNER.invoke(app, list(args))
    return result.exit_code, result.stdout


def _kb(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "programme.md").write_text(PROGRAMME_MD)
    (folder / "etude.txt").write_text(STUDY_TXT)
    (folder / "ripostes.md").write_text(REBUTTAL_MD)
    return folder


def test_cli_contracts(session: Session, cli_env: dict[str, str], tmp_path: Path) -> None:
    make_campaign(session, slug="camp-a")
    session.commit()
    code, out = run("rebut", "La lune est en fromage", "--json")
    assert code == 0
    assert json.loads(out) == {
        "claim": "La lune est en fromage",
        "verdict": "unverified",
        "evidence": [],
        "short": json.loads(out)["short"],
        "long": json.loads(out)["long"],
    }
    folder = _kb(tmp_path)
    code, out = run("kb", "add", str(folder), "--territory", "69383", "--json")
    assert code == 0, out
    assert [row["status"] for row in json.loads(out)["documents"]] == ["added"] * 3
    code, out = run("kb", "add", str(folder / "programme.md"), "--type", "programme", "--json")
    assert json.loads(out)["documents"][0]["status"] == "unchanged"
    code, out = run("kb", "list", "--json")
    listed = json.loads(out)
    assert {row["type"] for row in listed} == {"programme", "study", "rebuttal"}
    assert all(row["territories"] == ["69383"] for row in listed)

    code, out = run("ask", "retraites", "--limit", "3", "--json")
    answer = json.loads(out)
    assert set(answer) == {"query", "mode", "points"}
    assert answer["query"] == "retraites"
    assert answer["mode"] == "offline"
    assert 1 <= len(answer["points"]) <= 3
    for point in answer["points"]:
        assert set(point) == {"text", "citations"}
        for citation in point["citations"]:
            assert set(citation) == {"document", "source", "quote"}
            assert citation["quote"] in PROGRAMME_MD + STUDY_TXT + REBUTTAL_MD
    assert "62 ans" in answer["points"][0]["text"]

    code, out = run("rebut", "Le chômage explose à Lyon", "--json")
    rebuttal = json.loads(out)
    assert set(rebuttal) == {"claim", "verdict", "evidence", "short", "long"}
    assert rebuttal["verdict"] == "contradicted"
    assert rebuttal["evidence"][0]["stance"] == "against"
    assert set(rebuttal["evidence"][0]) == {"stance", "quote", "source"}
    assert len(rebuttal["short"]) <= 280
    assert "7,1 %" in rebuttal["long"]

    code, out = run("argue", "chômage", "--json")
    sheet = json.loads(out)
    assert sheet["facts"]
    assert sheet["objections"]

    code, out = run("write", "slogan", "retraites")
    assert code == 0  # offline too: slogans assembled from cited passages, each with its angle
    assert out.startswith("Slogans — retraites")
    assert "Angle : " in out
    assert "Sources :" in out
    code, out = run("write", "email", "--topic", "retraites", "--save")
    assert code == 0
    assert out.startswith("Objet : retraites")
    assert "Brouillon n° " in out  # kept as a studio draft, to approve

    html = tmp_path / "tract.html"
    code, _ = run("leaflet", "--territory", "69383", "--topic", "école", "--out", str(html))
    assert code == 0
    assert "24 élèves" in html.read_text()
    pdf = tmp_path / "tract.pdf"
    code, _ = run("leaflet", "--territory", "69383", "--topic", "retraites", "--out", str(pdf))
    assert code == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_batch_failure_reported_and_rest_committed(
    session: Session, cli_env: dict[str, str], tmp_path: Path
) -> None:
    make_campaign(session, slug="camp-a")
    session.commit()
    folder = _kb(tmp_path)
    (folder / "casse.docx").write_bytes(b"not a zip")
    result = RUNNER.invoke(app, ["kb", "add", str(folder), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["failed"] == 1
    failed = [row for row in report["documents"] if row["status"] == "failed"]
    assert "casse.docx" in failed[0]["error"]
    _code, out = run("kb", "list", "--json")
    assert len(json.loads(out)) == 3
    result = RUNNER.invoke(app, ["kb", "add", str(folder / "casse.docx")])
    assert result.exit_code == 2
    assert "casse.docx" in result.output
