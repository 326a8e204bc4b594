"""The studio: `circo write … --json` as a separate process (exact contract, network limits,
every quote verbatim in its source, French refusals), drafts with statuses and the editorial
calendar (L49 and L52-1 refuse with the article), and Chromium: draft → approve → calendar."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from PIL import Image, ImageChops
from pypdf import PdfReader
from sqlalchemy.orm import Session
from tests.assistant.conftest import PROGRAMME_MD, STUDY_TXT
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.data_files import shared_file
from tests.factories import DEFAULT_PASSWORD, make_campaign, make_user
from tests.server import init_campaign, run_cli

from circo.assistant import studio
from circo.assistant import visual as studio_visual
from circo.assistant.brand import load_logo
from circo.assistant.demo import seed_demo
from circo.assistant.errors import AssistantError
from circo.config import Settings
from circo.core.models import Role
from circo.core.tenancy import system_context
from circo.errors import CircoError
from circo.privacy.errors import CalendarBlocked
from circo.runtime import Runtime
from circo.web.app import create_app

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime.settings, runtime=runtime)


def test_write_cli_contract(settings: Settings, tmp_path: Path) -> None:
    init_campaign(settings, "studio")
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "programme.md").write_text(PROGRAMME_MD)
    (folder / "etude.txt").write_text(STUDY_TXT)
    added = run_cli(settings, "kb", "add", str(folder), "--json")
    assert added.returncode == 0, added.stderr
    sources = {row["source"]: row for row in json.loads(added.stdout)["documents"]}
    texts = {"programme.md": PROGRAMME_MD, "etude.txt": STUDY_TXT}

    def written(*args: str) -> dict[str, Any]:
        done = run_cli(settings, "write", *args, "--json")
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    for network, limit in (("instagram", 2200), ("x", 280)):
        post = written("post", "--network", network, "--topic", "retraites")
        assert set(post) == {"text", "citations", "ai_generated"}
        assert isinstance(post["text"], str)
        assert post["ai_generated"] is False
        assert 0 < len(post["text"]) <= limit
        assert post["citations"]
        for citation in post["citations"]:
            assert set(citation) == {"source", "quote"}
            assert citation["source"] in sources
            name = Path(citation["source"]).name
            assert " ".join(citation["quote"].split()) in " ".join(texts[name].split())
        # offline, every sentence of the text is one of the cited quotes
        quotes = [" ".join(c["quote"].split()) for c in post["citations"]]
        for paragraph in post["text"].split("\n\n"):
            assert any(" ".join(paragraph.split()) in quote for quote in quotes), paragraph
    # slogans offline: several options, each a verbatim clause of a cited passage, its angle
    slogans = written("slogan", "--topic", "retraites")
    assert set(slogans) == {"text", "citations", "ai_generated"}
    assert slogans["ai_generated"] is False
    options = [line for line in slogans["text"].splitlines() if line[:2] in {"1.", "2.", "3."}]
    assert len(options) >= 2, slogans["text"]
    assert slogans["text"].count("Angle : ") == len(slogans["citations"])
    for option, citation in zip(options, slogans["citations"], strict=False):
        name = Path(citation["source"]).name
        assert " ".join(citation["quote"].split()) in " ".join(texts[name].split())
        slogan = option.split(". ", 1)[1]
        assert slogan[1:].lower() in " ".join(citation["quote"].split()).lower(), option
    video = written("video", "--topic", "école")
    assert "Plan 1" in video["text"]
    assert "Voix off" in video["text"]
    refused = run_cli(settings, "write", "post", "--network", "myspace", "--topic", "retraites")
    assert refused.returncode == 2
    assert "réseau inconnu « myspace »" in refused.stderr
    nothing = run_cli(settings, "write", "post", "--network", "x", "--topic", "astronomie")
    assert nothing.returncode == 2
    assert "rien dans la base de connaissances sur « astronomie »" in nothing.stderr

    # visuals: results imported by the CLI, a PNG marked as AI-generated, an A4 PDF, a refusal
    results = _results_file(tmp_path)
    imported = run_cli(
        settings, "import", "results", str(results), "--election", "pres-2017", "--round", "1"
    )
    assert imported.returncode == 0, imported.stderr
    png = tmp_path / "visuel.png"
    done = run_cli(
        settings, "visual", "--template", "post-square", "--headline", "Votez dimanche",
        "--figure", "turnout", "--territory", "dep:01", "--out", str(png), "--ai-generated",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Image.open(png) as image:
        assert image.size == (1080, 1080)
        assert image.info["ai_generated"] == "true"
        assert image.info["DigitalSourceType"].endswith("trainedAlgorithmicMedia")
        assert "ministère de l'Intérieur" in image.info["Source"]
    pdf = tmp_path / "tract.pdf"
    done = run_cli(
        settings, "visual", "--template", "leaflet-a4", "--headline", "Votez dimanche",
        "--figure", "first", "--territory", "dep:01", "--out", str(pdf),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    metadata = PdfReader(pdf).metadata
    assert metadata is not None
    assert metadata.get("/Keywords") == "ai_generated=false"
    assert "résultats par bureau de vote" in str(metadata.get("/Subject"))
    candidate = _first_candidate(results)
    refused = run_cli(
        settings, "visual", "--template", "story", "--headline", f"{candidate} a menti",
        "--figure", "turnout", "--territory", "dep:01", "--out", str(tmp_path / "non.png"),
    )  # fmt: skip
    assert refused.returncode == 2
    assert "nomme une personne réelle" in refused.stderr
    assert not (tmp_path / "non.png").exists()


NATIONAL = "fr-presidentielle-2017-bv/2017-presidentielle-1_par_bureau_large.csv.gz"


def _results_file(folder: Path) -> Path:
    """The header and the first 300 bureaux (département 01) of the 2017 national file."""
    lines = gzip.decompress(shared_file(NATIONAL).read_bytes()).decode("utf-8").splitlines(True)
    cut = folder / "pr17_t1_300.csv"
    cut.write_text("".join(lines[:301]), encoding="utf-8")
    return cut


def _first_candidate(results: Path) -> str:
    """A candidate of the results file (a real person): the first column after the totals."""
    columns = results.read_text("utf-8").splitlines()[0].split(",")
    return columns[columns.index("exprimes") + 1].title()


def test_drafts_statuses_and_calendar_rules(session: Session, settings: Settings) -> None:
    campaign = make_campaign(session, slug="camp-a")
    vote = date.today() + timedelta(days=60)
    campaign.election_date = vote
    ctx = system_context(campaign)
    seed_demo(session, ctx, settings)
    draft = studio.create_draft(
        session, ctx, kind="post", topic="logement", settings=settings, network="x"
    )
    assert draft.status == "draft"
    assert len(draft.text) <= 280
    with pytest.raises(AssistantError, match="validation par la communication"):
        studio.publish_draft(session, ctx, draft.id)
    with pytest.raises(AssistantError, match="x en accepte 280 au plus"):
        studio.edit_draft(session, ctx, draft.id, text="a" * 281)
    studio.approve_draft(session, ctx, draft.id)
    assert draft.status == "approved"
    studio.edit_draft(session, ctx, draft.id, text=draft.text + " #Paris")
    assert draft.status == "draft"  # a changed text is approved again
    studio.approve_draft(session, ctx, draft.id)
    eve = datetime.combine(vote - timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=12)
    with pytest.raises(CalendarBlocked, match="L49"):
        studio.schedule_draft(session, ctx, draft.id, when=eve)
    soon = datetime.now(UTC) + timedelta(days=3)
    with pytest.raises(CalendarBlocked, match="L52-1"):
        studio.schedule_draft(session, ctx, draft.id, when=soon, paid=True)
    studio.schedule_draft(session, ctx, draft.id, when=soon)
    assert [item.id for item in studio.calendar(session, ctx)] == [draft.id]
    studio.publish_draft(session, ctx, draft.id)
    assert draft.status == "published"


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_studio_in_chromium_draft_approve_calendar(
    app: FastAPI, session: Session, settings: Settings, tmp_path: Path
) -> None:
    from circo.elections.importing import import_results

    campaign = make_campaign(session, slug="camp-a")
    campaign.election_date = date(2031, 3, 9)  # a Sunday: L49 silence from the 8th at 0 h
    seed_demo(session, system_context(campaign), settings)
    make_user(session, campaign=campaign, email="comms@example.org", role=Role.comms)
    import_results(session, path=_results_file(tmp_path), key="pres-2017", round_number=1)
    session.commit()
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.goto(f"{base_url}/login")
        page.get_by_label("Adresse e-mail").fill("comms@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/c/camp-a/")
        page.goto(f"{base_url}/c/camp-a/assistant/studio")
        page.locator("#kind").select_option("post")
        page.locator("#network").select_option("instagram")
        page.locator("#topic").fill("retraites")
        page.get_by_role("button", name="Écrire le brouillon").click()
        page.wait_for_url(f"{base_url}/c/camp-a/assistant/studio/*")
        assert page.get_by_test_id("status").inner_text() == "brouillon"
        assert "62 ans" in page.locator("#text").input_value()
        assert "demo/programme.md" in page.get_by_test_id("citations").inner_text()
        page.locator("#text").fill(page.locator("#text").input_value() + "\n\n#Retraites")
        page.get_by_role("button", name="Enregistrer").click()
        page.get_by_role("button", name="Valider").click()
        assert page.get_by_test_id("status").inner_text() == "validé"
        draft_url = page.url.split("?")[0]
        # the L49 silence and, for a sponsored post, the L52-1 period refuse with the article
        page.locator("#when").fill("2031-03-08T10:00")
        page.get_by_role("button", name="Placer dans le calendrier").click()
        assert "L49" in page.locator("main").inner_text()
        page.goto(draft_url)
        page.locator("#when").fill("2031-03-02T18:30")
        page.get_by_label("Publication sponsorisée (payante)").check()
        page.get_by_role("button", name="Placer dans le calendrier").click()
        assert "L52-1" in page.locator("main").inner_text()
        page.goto(draft_url)
        assert "programmé le" not in page.locator("main").inner_text()  # nothing was placed
        page.locator("#when").fill("2031-03-02T18:30")
        page.get_by_role("button", name="Placer dans le calendrier").click()
        page.wait_for_url(f"{base_url}/c/camp-a/assistant/studio/calendar")
        row = page.get_by_test_id("calendar").inner_text()
        assert "retraites" in row
        assert "validé" in row
        assert "2 mars 2031" in row
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "studio-calendar.png"), full_page=True)

        # slogans: several options, each with its angle, from the cited passages
        page.goto(f"{base_url}/c/camp-a/assistant/studio")
        page.locator("#kind").select_option("slogan")
        page.locator("#topic").fill("retraites")
        page.get_by_role("button", name="Écrire le brouillon").click()
        page.wait_for_url(f"{base_url}/c/camp-a/assistant/studio/*")
        slogans = page.locator("#text").input_value()
        assert slogans.startswith("Slogans — retraites")
        assert slogans.count("Angle : ") >= 2, slogans

        # the campaign's logo: a text file refused with the reason, then a PNG kept
        page.goto(f"{base_url}/c/camp-a/assistant/studio/visual")
        fake = tmp_path / "logo.png"
        fake.write_text("pas une image")
        page.locator("#logo").set_input_files(str(fake))
        page.get_by_role("button", name="Enregistrer le logo").click()
        assert "logo illisible" in page.get_by_test_id("error").inner_text()
        logo = tmp_path / "vrai-logo.png"
        Image.new("RGB", (300, 120), (0, 200, 0)).save(logo)
        page.locator("#logo").set_input_files(str(logo))
        page.get_by_role("button", name="Enregistrer le logo").click()
        page.get_by_text("Logo enregistré").wait_for()

        # a visual, downloaded: the AI mark in its pixels and its metadata
        page.goto(f"{base_url}/c/camp-a/assistant/studio/visual")
        page.locator("#template").select_option("post-portrait")
        page.locator("#territory").fill("dep:01")
        page.locator("#headline").fill("Le 01 a voté")
        page.get_by_label("Titre écrit par un modèle de langage").check()
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Télécharger le visuel").click()
        target = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(target)
    with Image.open(target) as image:
        assert image.size == (1080, 1350)
        assert image.info["ai_generated"] == "true"
        assert image.info["AI-Disclosure"] == "contenu généré par IA"
        marked = image.convert("RGB")
    ctx = system_context(campaign)
    kept_logo = load_logo(app.state.runtime.settings, ctx)
    assert kept_logo is not None
    plain = studio_visual.render(
        session, ctx, template="post-portrait", headline="Le 01 a voté", figure="turnout",
        territory="dep:01", logo=kept_logo,
    )  # fmt: skip
    session.rollback()
    with Image.open(io.BytesIO(plain.data)) as image:
        assert image.info["ai_generated"] == "false"
        unmarked = image.convert("RGB")
    corner = marked.crop((700, 60, 1020, 170)).getcolors(1_000_000) or []
    assert any(abs(g - 200) < 40 and r < 60 and b < 60 for _n, (r, g, b) in corner)  # the logo
    band = (0, studio_visual.mark_top(1350), 1080, 1350)
    above = (0, 0, 1080, band[1])
    # the same visual above the band; the band is black with white letters only when marked
    assert ImageChops.difference(marked.crop(above), unmarked.crop(above)).getbbox() is None
    mark_colours = {colour for _count, colour in marked.crop(band).getcolors(1_000_000) or []}
    assert (0, 0, 0) in mark_colours
    assert (255, 255, 255) in mark_colours
    assert {colour for _count, colour in unmarked.crop(band).getcolors(1_000_000) or []} == {
        (255, 255, 255)
    }


def test_training_and_strategy_note(session: Session, settings: Settings, tmp_path: Path) -> None:
    from circo.elections.importing import import_results

    campaign = make_campaign(session, slug="camp-a")
    ctx = system_context(campaign)
    seed_demo(session, ctx, settings)
    rule = studio.compose(session, ctx, kind="training", topic="L49", settings=settings)
    assert rule.topic == "silence électoral"
    assert {c["source"] for c in rule.citations} == {
        "Code électoral, article L49",
        "Code électoral, article L52-1",
    }
    assert rule.extra["quiz"][0]["answer"] == "la veille du scrutin à 0 h"
    course = studio.compose(session, ctx, kind="formation", topic="logement", settings=settings)
    assert course.extra["quiz"]
    for question in course.extra["quiz"]:
        assert question["answer"] in question["quote"]  # the answer is in the cited sentence
        assert question["answer"] in question["choices"]
        assert "…e arrondissement" not in question["question"]  # ordinals are not figures

    import_results(session, path=_results_file(tmp_path), key="pres-2017", round_number=1)
    note = studio.compose(session, ctx, kind="strategy", topic="dep:01", settings=settings)
    assert "Présidentielle 2017 — 1er tour : participation de" in note.text
    sources = [citation["source"] for citation in note.citations]
    assert "circo:résultats/pres-2017/tour 1/dep:01" in sources
    for citation in note.citations:  # every figure line of the note is cited as written
        if citation["source"].startswith("circo:"):
            assert f"– {citation['quote']}" in note.text
    assert note.text.rstrip().endswith("non sourcé)\n– …")
    with pytest.raises(CircoError, match="territoire « 75056 » non reconnu"):
        studio.compose(session, ctx, kind="strategy", topic="75056", settings=settings)


def test_write_api_contract(session: Session, runtime: Runtime) -> None:
    from fastapi.testclient import TestClient
    from tests.factories import login

    campaign = make_campaign(session, slug="camp-a")
    seed_demo(session, system_context(campaign), runtime.settings)
    make_user(session, campaign=campaign, email="comms@example.org", role=Role.comms)
    make_user(session, campaign=campaign, email="vol@example.org", role=Role.volunteer)
    session.commit()
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client:
        csrf = login(client, "comms@example.org")
        written = client.post(
            "/api/campaigns/camp-a/assistant/write",
            json={"kind": "post", "topic": "retraites", "network": "linkedin"},
            headers={"X-CSRF-Token": csrf},
        )
        assert written.status_code == 200, written.text
        body = written.json()
        assert set(body) == {"text", "citations", "ai_generated"}
        assert body["ai_generated"] is False
        assert all(set(c) == {"source", "quote"} for c in body["citations"])
        assert len(body["text"]) <= 3000
        client.cookies.clear()
        csrf = login(client, "vol@example.org")
        refused = client.post(
            "/api/campaigns/camp-a/assistant/write",
            json={"kind": "post", "topic": "retraites", "network": "x"},
            headers={"X-CSRF-Token": csrf},
        )
        assert refused.status_code == 403


def test_email_from_the_message_matrix(session: Session, settings: Settings) -> None:
    from circo.messaging.service.matrix import add_point, set_cell

    campaign = make_campaign(session, slug="camp-a")
    ctx = system_context(campaign)
    seed_demo(session, ctx, settings)
    point = add_point(session, ctx, title="Retraites", summary="la retraite à 62 ans")
    other = add_point(session, ctx, title="Logement")
    set_cell(session, ctx, segment="all", point_id=point.id, on=True)
    mail = studio.compose(
        session, ctx, kind="email", topic="", settings=settings, point=point.id, segment="tous"
    )
    assert mail.text.startswith("Objet : Retraites")
    assert mail.extra == {"point": point.id, "segment": "all"}
    assert mail.citations
    assert "62 ans" in mail.text
    with pytest.raises(AssistantError, match="n'est pas attribué au segment « all »"):
        studio.compose(
            session, ctx, kind="email", topic="", settings=settings, point=other.id, segment="all"
        )
    with pytest.raises(AssistantError, match="ne valent que pour un e-mail"):
        studio.compose(session, ctx, kind="post", topic="x", settings=settings, point=point.id)
    draft = studio.store_draft(session, ctx, mail)
    assert draft.kind == "email"
    assert draft.topic == "Retraites"
