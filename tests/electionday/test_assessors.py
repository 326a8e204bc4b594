"""Assesseurs and délégués on both backends: the rules with their articles (R42, R44, R46,
R47), the coverage list with the campaign's targeted bureaux first, the letters to the mairie
read back from the PDF, personal data (access, merge, erase, purge after the vote), the page
and its forms, the day-of checklist, and `circo assessors …` as a separate process."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import Campaign
from circo.core.personal import Identity
from circo.core.tenancy import CampaignContext, system_context
from circo.electionday import personal
from circo.electionday.assessor_rules import RULES
from circo.electionday.assessors import AssessorError, coverage, deadline, signup
from circo.electionday.letters import letters_pdf
from circo.electionday.models import AssessorPost
from circo.elections.importing import import_results
from circo.elections.models import Territory
from circo.targeting.preferences import SETTINGS_KEY, TargetingChoice
from circo.targeting.service import parse_election_round, target_stations
from tests.crm.helpers import make_contact
from tests.elections.sample_files import rhone_file
from tests.factories import login, make_campaign, make_two_campaigns
from tests.server import init_campaign, run_cli
from tests.targeting.conftest import cut_lines

VOTE = date(2027, 4, 11)  # a Sunday


def _people(session: Session, ctx: CampaignContext, count: int) -> list[int]:
    return [
        make_contact(session, ctx, first_name=f"Prénom{n}", last_name=f"Nom{n}",
                     address_line=f"{n} rue de la République", postal_code="69001",
                     city="Lyon").id
        for n in range(count)
    ]  # fmt: skip


def _signup(session: Session, ctx: CampaignContext, contact: int, bureau: str, role: str,
            **kw: str) -> AssessorPost:  # fmt: skip
    return signup(
        session, ctx, contact_id=contact, station=bureau, role=role, round_number=1,
        vote_date=VOTE, slot=kw.get("slot", "08:00-20:00"),
        elector_commune=kw.get("elector", "69123"),
        birth_date=date(1980, 5, 17) if "birth" in kw else None,
        birth_place=kw.get("birth", ""),
    )  # fmt: skip


def test_the_rules_are_data_with_their_article() -> None:
    articles = {rule.name: rule.article for rule in RULES}
    assert articles["elector_of_department"] == "R44"
    assert articles["notification_deadline"] == "R46"
    assert articles["delegate_max_bureaux"] == "R47"
    assert articles["assessor_single_bureau"] == "R42"
    # R46: 18 h local time on the third day before the vote (Thursday for a Sunday)
    limit = deadline(VOTE, "Europe/Paris")
    assert (limit.date(), limit.hour, limit.utcoffset()) == (
        date(2027, 4, 8),
        18,
        timedelta(hours=2),
    )


def test_signup_rules_each_refused_with_its_article(session: Session) -> None:
    ctx = system_context(make_campaign(session, slug="assess"))
    p = _people(session, ctx, 6)
    _signup(session, ctx, p[0], "69123_0101", "assesseur")
    with pytest.raises(AssessorError, match=r"électeur du département.*\(R44\).*38185"):
        _signup(session, ctx, p[1], "69123_0102", "assesseur", elector="38185")
    with pytest.raises(AssessorError, match=r"un seul titulaire.*\(R44\).*0101"):
        _signup(session, ctx, p[1], "69123_0101", "assesseur", slot="14:00-20:00")
    # another slot of the same role is allowed when the slots do not overlap
    _signup(session, ctx, p[4], "69123_0101", "assesseur-suppleant", slot="08:00-13:00")
    _signup(session, ctx, p[1], "69123_0101", "assesseur-suppleant", slot="13:00-20:00")
    with pytest.raises(AssessorError, match=r"\(R42\).*69123_0101"):
        _signup(session, ctx, p[0], "69123_0102", "delegue")
    for bureau in ("69123_0201", "69123_0202", "69123_0203"):
        _signup(session, ctx, p[2], bureau, "delegue")
    with pytest.raises(AssessorError, match=r"R47.*déjà délégué dans 3 bureaux"):
        _signup(session, ctx, p[2], "69123_0204", "delegue")
    _signup(session, ctx, p[3], "69381_0101", "delegue")
    with pytest.raises(AssessorError, match="autre commune"):
        _signup(session, ctx, p[3], "69123_0301", "delegue")
    with pytest.raises(AssessorError, match=r"délégué .*\(R44 à R47\).*38185"):
        _signup(session, ctx, p[5], "69123_0101", "delegue-suppleant", elector="38185")
    with pytest.raises(AssessorError, match="rôle « président » non reconnu"):
        _signup(session, ctx, p[4], "69123_0101", "président")
    with pytest.raises(AssessorError, match="créneau « 20:00-08:00 » illisible"):
        _signup(session, ctx, p[4], "69123_0101", "delegue", slot="20:00-08:00")
    assert session.scalar(select(func.count()).select_from(AssessorPost)) == 7


def test_coverage_lists_the_targeted_bureaux_first(session: Session, tmp_path: Path) -> None:
    path = cut_lines(rhone_file(1), tmp_path / "rhone.csv", rows=30)
    import_results(session, path=path, key="pres-2017", round_number=1)
    campaign = make_campaign(session, slug="assess-cover")
    campaign.settings = {SETTINGS_KEY: {"election": "pres-2017:1", "territory": "dep:69",
                                        "candidate": "MACRON"}}  # fmt: skip
    session.flush()
    ctx = system_context(campaign)
    report = target_stations(
        session,
        election=parse_election_round("pres-2017:1", option="election"),
        territory="dep:69",
        candidate="MACRON",
        weights=TargetingChoice("pres-2017:1", "dep:69", "MACRON").weights,
    )
    ranked = [row["station"] for row in report.rows()]
    assert len(ranked) == 30
    first, second = ranked[0], ranked[1]  # the second stays uncovered: no titulaire, no délégué
    p = _people(session, ctx, 2)
    elector = first.split("_")[0]
    _signup(session, ctx, p[0], first, "assesseur", elector=elector)
    _signup(session, ctx, p[1], first, "delegue", elector=elector)
    _signup(session, ctx, p[1], second, "assesseur-suppleant", elector=second.split("_")[0])
    found = coverage(session, ctx, round_number=1)
    assert found["counts"]["bureaux"] == 30
    assert found["counts"]["covered"] == 1
    assert found["counts"]["uncovered"] == 29
    assert [c.station_key for c in found["uncovered"]] == ranked[1:]
    assert [c.rank for c in found["uncovered"]][:3] == [2, 3, 4]
    assert "MACRON" in found["order"]


def test_letters_one_pdf_per_commune_read_back(session: Session) -> None:
    ctx = system_context(make_campaign(session, slug="assess-pdf"))
    session.add(Territory(key="com:69123", level="com", code="69123", name="Lyon",
                          department_code="69"))  # fmt: skip
    p = _people(session, ctx, 3)
    _signup(session, ctx, p[0], "69123_0101", "assesseur", birth="Villeurbanne")
    _signup(session, ctx, p[1], "69123_0101", "delegue")
    _signup(session, ctx, p[2], "69266_0004", "assesseur", elector="69266")
    letters = letters_pdf(session, ctx, round_number=1)
    assert [commune["code"] for commune, _pdf in letters] == ["69123", "69266"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(letters[0][1])).pages)
    flat = " ".join(text.split())
    assert "Maire de Lyon (69123)" in flat
    assert "Bureau 69123_0101" in flat
    assert "NOM0" in flat
    assert "Prénom0" in flat
    assert "NOM1" in flat
    assert "NOM2" not in flat  # the other commune's letter
    assert "17 mai 1980 à Villeurbanne" in flat
    assert "0 rue de la République, 69001 Lyon" in flat
    assert "assesseur titulaire" in flat
    assert "délégué" in flat
    assert "au plus tard le 8 avril 2027 à 18 h" in flat
    assert "troisième jour précédant le scrutin" in flat
    assert "R46" in flat


def test_personal_data_access_merge_erase_and_purge(session: Session, tmp_path: Path) -> None:
    ctx = system_context(make_campaign(session, slug="assess-rgpd"))
    p = _people(session, ctx, 2)
    post = _signup(session, ctx, p[0], "69123_0101", "assesseur", birth="Lyon").id
    export: dict = {}
    personal.access(session, ctx, Identity(contact_ids=[p[0]]), export)
    assert [row["station_key"] for row in export["ed_assessor_posts"]] == ["69123_0101"]
    personal.merge(session, ctx, p[1], p[0])
    assert session.get(AssessorPost, post).contact_id == p[1]  # type: ignore[union-attr]
    assert personal.erase(session, ctx, Identity(contact_ids=[p[1]]))["ed_assessor_posts"] == 1
    _signup(session, ctx, p[0], "69123_0101", "assesseur")
    kept = {row[0]: row[2] for row in personal.purge(session, ctx, tmp_path, VOTE, True)}
    assert kept["assessor_posts"] == 0
    gone = {
        row[0]: row[2]
        for row in personal.purge(session, ctx, tmp_path, VOTE + timedelta(days=1), True)
    }
    assert gone["assessor_posts"] == 1
    assert session.scalar(select(func.count()).select_from(AssessorPost)) == 0


def test_the_page_signs_up_lists_letters_and_checklist(
    session: Session, client: TestClient
) -> None:
    world = make_two_campaigns(session)
    ctx = system_context(world.a)
    volunteer = make_contact(session, ctx, first_name="Chloé", last_name="Assesseur").id
    session.commit()
    csrf = login(client, "admin-a@example.org")
    form = {"csrf_token": csrf, "contact": str(volunteer), "bureau": "69123_0101",
            "role": "assesseur", "vote_date": VOTE.isoformat(), "round": "1",
            "slot": "08:00-13:00", "elector_commune": "69123"}  # fmt: skip
    done = client.post("/c/camp-a/assessors/signup", data=form)
    assert done.status_code == 200
    assert "Chloé Assesseur" in done.text
    assert "assesseur titulaire" in done.text
    assert "jeudi 8 avril 2027" in done.text or "8 avril 2027" in done.text
    refused = client.post("/c/camp-a/assessors/signup", data={**form, "elector_commune": "75056"})
    assert refused.status_code in (400, 422)
    assert "R44" in refused.text
    pdf = client.get("/c/camp-a/assessors/letters/69123.pdf?round=1")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "ASSESSEUR" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    checklist = client.get("/c/camp-a/assessors/checklist")
    assert "récépissé" in checklist.text
    session.commit()
    volunteer_client = TestClient(client.app)
    login(volunteer_client, "volunteer-a@example.org")
    assert volunteer_client.get("/c/camp-a/assessors").status_code == 403


def test_assessors_cli_contract(settings: Settings, session: Session, tmp_path: Path) -> None:
    init_campaign(settings, "assess-cli")
    campaign = session.scalar(select(Campaign).where(Campaign.slug == "assess-cli"))
    assert campaign is not None
    ctx = system_context(campaign)
    a, b = _people(session, ctx, 2)
    session.commit()
    base = ("assessors", "signup", "--date", VOTE.isoformat(), "--elector-commune", "69123")
    done = run_cli(settings, *base, "--contact", str(a), "--bureau", "69123_0101", "--role",
                   "assesseur", "--birth-date", "1980-05-17", "--birth-place", "Lyon",
                   "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    signed = json.loads(done.stdout)
    assert signed == {"signup": signed["signup"], "bureau": "69123_0101", "role": "assessor"}
    assert isinstance(signed["signup"], int)
    refused = run_cli(settings, *base, "--contact", str(b), "--bureau", "69123_0101", "--role",
                      "assesseur", "--json")  # fmt: skip
    assert refused.returncode == 2
    assert "R44" in refused.stderr
    done = run_cli(settings, *base, "--contact", str(b), "--bureau", "69123_0102", "--role",
                   "delegue", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = run_cli(settings, "assessors", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    result = json.loads(listed.stdout)
    assert set(result) == {"round", "order", "counts", "uncovered", "bureaux"}
    assert result["counts"] == {"bureaux": 2, "covered": 0, "uncovered": 2,
                                "priority_uncovered": 0, "posts": 2}  # fmt: skip
    assert [(u["bureau"], u["missing"]) for u in result["uncovered"]] == [
        ("69123_0101", ["delegate"]),
        ("69123_0102", ["assessor"]),
    ]
    out = tmp_path / "lettres"
    letters = run_cli(settings, "assessors", "letters", "--out", str(out), "--json")
    assert letters.returncode == 0, letters.stderr
    payload = json.loads(letters.stdout)
    assert [(f["commune"], f["people"]) for f in payload["letters"]] == [("69123", 2)]
    assert payload["letters"][0]["deadline"].startswith("2027-04-08T18:00:00")
    text = PdfReader(payload["letters"][0]["path"]).pages[0].extract_text()
    assert "NOM0" in text
    assert "NOM1" in text
