"""Ingestion of every format, directories with failures, dedup and replace, search filters."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfWriter
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.assistant.conftest import PROGRAMME_MD, STUDY_TXT, LocalServer, make_docx, make_pdf

from circo.assistant import repository
from circo.assistant.errors import DocumentError, FetchError
from circo.assistant.models import Document, Passage, Posting
from circo.assistant.retrieval import Filters, search
from circo.assistant.service import DocumentMeta, add_source
from circo.config import Settings
from circo.core.tenancy import CampaignContext

HTML_PAGE = """<html><head><title>Fermeture de l'usine Dupuis</title></head><body>
<nav>Menu Accueil Contact</nav><article><h1>Fermeture de l'usine Dupuis à Vénissieux</h1>
<p>L'usine Dupuis fermera ses portes en mars : 240 salariés perdront leur emploi selon la
direction du site de Vénissieux.</p><p>Les syndicats demandent un plan de reprise et la
mobilisation des élus de la métropole pour sauver les emplois industriels.</p></article>
</body></html>"""
POLL_CSV = (
    "question;réponse;pourcentage\nPriorité n°1;Pouvoir d'achat;41 %\nPriorité n°1;Santé;22 %\n"
)


def _all_quotes_verbatim(session: Session) -> None:
    for passage in session.scalars(select(Passage)):
        document = session.get(Document, passage.document_id)
        assert document is not None
        assert document.text[passage.start_offset : passage.end_offset] == passage.text


def test_ingest_each_format_from_a_directory(
    session: Session, ctx: CampaignContext, tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "programme.md").write_text(PROGRAMME_MD)
    (folder / "etude-emploi.txt").write_text(STUDY_TXT)
    (folder / "sondage.csv").write_text(POLL_CSV)
    (folder / "usine.html").write_text(HTML_PAGE)
    (folder / "logement.pdf").write_bytes(
        make_pdf(["Le logement social manque : 12 000 demandes sont en attente à Lyon."])
    )
    (folder / "sante.docx").write_bytes(
        make_docx("Santé", ["Nous ouvrirons trois centres de santé municipaux."])
    )
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    (folder / "image.png").write_bytes(b"\x89PNG")
    outcomes = add_source(session, ctx, source=str(folder), meta=DocumentMeta())
    session.commit()
    status = {Path(o.source).name: o for o in outcomes}
    assert {name for name, o in status.items() if o.status == "added"} == {
        "programme.md",
        "etude-emploi.txt",
        "sondage.csv",
        "usine.html",
        "logement.pdf",
        "sante.docx",
    }
    assert status["broken.pdf"].status == "failed"
    assert "broken.pdf" in (status["broken.pdf"].error or "")
    assert status["image.png"].status == "failed"
    assert "image.png" in (status["image.png"].error or "")
    assert session.scalar(select(func.count(Document.id))) == 6
    types = {
        doc.source.rsplit("/", 1)[-1]: doc.doc_type for doc in session.scalars(select(Document))
    }
    assert types["programme.md"] == "programme"
    assert types["sondage.csv"] == "poll"
    _all_quotes_verbatim(session)
    for query, expected in [
        ("usine Dupuis salariés", "usine.html"),
        ("logement social", "logement.pdf"),
        ("centres de santé", "sante.docx"),
        ("pouvoir d'achat", "sondage.csv"),
        ("coût cantine", "sante.docx"),
    ]:
        hits = search(session, ctx, query=query, limit=3)
        assert hits, query
        assert hits[0].row.source.endswith(expected), query


def test_dedup_replace_and_metadata(session: Session, ctx: CampaignContext, tmp_path: Path) -> None:
    path = tmp_path / "programme.md"
    path.write_text(PROGRAMME_MD)
    meta = DocumentMeta(
        doc_type="programme",
        territory_codes=["69383"],
        published_on=date(2027, 1, 15),
        title="Le programme",
    )
    first = add_source(session, ctx, source=str(path), meta=meta)[0]
    again = add_source(session, ctx, source=str(path), meta=DocumentMeta())[0]
    copy = tmp_path / "copie.md"
    copy.write_text(PROGRAMME_MD)
    duplicate = add_source(session, ctx, source=str(copy), meta=DocumentMeta())[0]
    assert (first.status, again.status, duplicate.status) == ("added", "unchanged", "duplicate")
    path.write_text(PROGRAMME_MD.replace("24 élèves", "22 élèves") + "\n## Culture\n\nUn musée.\n")
    replaced = add_source(session, ctx, source=str(path), meta=DocumentMeta())[0]
    session.commit()
    assert replaced.status == "replaced"
    assert replaced.document_id == first.document_id
    document = repository.get_document(session, ctx, first.document_id or 0)
    assert document.title == "Le programme"
    assert document.territory_codes == ["69383"]
    texts = [p.text for p in repository.document_passages(session, ctx, document.id)]
    assert any("22 élèves" in text for text in texts)
    assert not any("24 élèves" in text for text in texts)
    assert session.scalar(select(func.count(Passage.id))) == 4
    hits = search(session, ctx, query="élèves par classe", limit=5)
    assert [hit.row.document_id for hit in hits] == [document.id]
    orphan = (
        select(func.count())
        .select_from(Posting)
        .where(Posting.passage_id.not_in(select(Passage.id)))
    )
    assert session.scalar(orphan) == 0


def test_bad_inputs_name_the_document(
    session: Session, ctx: CampaignContext, tmp_path: Path
) -> None:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    locked = tmp_path / "verrouille.pdf"
    locked.write_bytes(buffer.getvalue())
    with pytest.raises(DocumentError, match="chiffré") as raised:
        add_source(session, ctx, source=str(locked), meta=DocumentMeta())
    assert "verrouille.pdf" in str(raised.value)
    with pytest.raises(DocumentError, match="introuvable"):
        add_source(session, ctx, source=str(tmp_path / "absent.md"), meta=DocumentMeta())
    with pytest.raises(DocumentError, match="type de document inconnu"):
        add_source(session, ctx, source=str(locked), meta=DocumentMeta(doc_type="tract"))
    assert session.scalar(select(func.count(Document.id))) == 0


def test_urls_are_fetched_and_unreachable_ones_reported(
    session: Session, ctx: CampaignContext, web_server: LocalServer, settings: Settings
) -> None:
    web_server.routes["/article"] = ("text/html; charset=utf-8", HTML_PAGE.encode())
    allowed = web_server.allowed_by(settings)
    source = f"{web_server.url}/article"
    outcome = add_source(session, ctx, source=source, meta=DocumentMeta(), settings=allowed)[0]
    assert outcome.status == "added"
    assert "Dupuis" in outcome.title
    with pytest.raises(FetchError, match="impossible de récupérer") as raised:
        add_source(
            session, ctx, source=f"{web_server.url}/absent", meta=DocumentMeta(), settings=allowed
        )
    assert f"{web_server.url}/absent" in str(raised.value)
    # Without the allow-list, the loopback server is refused before any request is sent.
    with pytest.raises(FetchError, match="adresse refusée"):
        add_source(session, ctx, source=source, meta=DocumentMeta(), settings=settings)


def test_filters_by_type_territory_and_date(
    session: Session, ctx: CampaignContext, tmp_path: Path
) -> None:
    for name, kind, code, day in [
        ("a.md", "news", "69383", date(2027, 3, 1)),
        ("b.md", "news", "69266", date(2026, 1, 1)),
        ("c.md", "study", "69383", date(2027, 3, 1)),
    ]:
        (tmp_path / name).write_text(f"# {name}\n\nLe tramway arrive dans le quartier {name}.\n")
        add_source(
            session,
            ctx,
            source=str(tmp_path / name),
            meta=DocumentMeta(doc_type=kind, territory_codes=[code], published_on=day),
        )

    def found(filters: Filters) -> set[str]:
        return {
            Path(hit.row.source).name
            for hit in search(session, ctx, query="tramway", filters=filters)
        }

    assert found(Filters()) == {"a.md", "b.md", "c.md"}
    assert found(Filters(doc_types=("news",))) == {"a.md", "b.md"}
    assert found(Filters(territory="69383")) == {"a.md", "c.md"}
    assert found(Filters(since=date(2027, 1, 1), doc_types=("news",))) == {"a.md"}
