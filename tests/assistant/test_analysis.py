"""French analysis, segmentation and citation checks (pure functions, no database)."""

from __future__ import annotations

import pytest
from tests.assistant.conftest import PROGRAMME_MD, STUDY_TXT

from circo.assistant.analysis import analyse, plain_tokens
from circo.assistant.compose import best_span, locate_quote
from circo.assistant.extract import extract
from circo.assistant.segment import segment, sentence_spans


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("retraites", "la retraite à 62 ans"),
        ("l'école", "chaque école"),
        ("ecole", "École maternelle"),
        ("hôpitaux", "un hôpital public"),
        ("emplois", "l'emploi industriel"),
        ("d’emploi", "emplois"),
    ],
)
def test_french_analysis_matches_variants(query: str, text: str) -> None:
    assert set(analyse(query)) & set(analyse(text))


def test_stop_words_and_elisions_are_dropped() -> None:
    assert analyse("l'école et les écoles qu'on aime") == ["ecol", "ecol", "aim"]
    assert "le" not in analyse("le la les de des du")
    assert plain_tokens("L'École") == ["l", "école"]


def test_sentences_respect_french_abbreviations() -> None:
    text = "M. Dupont est maire. Il a dit 3,5 % ! Puis : « Oui. » Fin"
    sentences = [text[start:end] for start, end in sentence_spans(text)]
    assert sentences == ["M. Dupont est maire.", "Il a dit 3,5 % !", "Puis : « Oui. »", "Fin"]


def test_markdown_passages_keep_heading_paths_and_offsets() -> None:
    extracted = extract(PROGRAMME_MD.encode(), name="programme.md")
    segments = segment(extracted)
    assert [s.heading_path for s in segments] == [
        "Programme de Claire Martin > Retraites",
        "Programme de Claire Martin > École",
        "Programme de Claire Martin > Transports",
    ]
    for piece in segments:
        assert extracted.text[piece.start : piece.end] in PROGRAMME_MD
    assert extracted.text == PROGRAMME_MD


def test_plain_text_detects_headings() -> None:
    extracted = extract(STUDY_TXT.encode(), name="etude.txt")
    assert extracted.title == "ÉTUDE SUR L'EMPLOI À LYON"
    assert segment(extracted)[0].heading_path == "ÉTUDE SUR L'EMPLOI À LYON"


def test_long_paragraph_is_cut_at_sentences() -> None:
    paragraph = " ".join(f"Phrase numéro {index} sur le logement social." for index in range(80))
    extracted = extract(paragraph.encode(), name="long.txt")
    pieces = segment(extracted)
    assert len(pieces) > 2
    for piece in pieces:
        chunk = extracted.text[piece.start : piece.end]
        assert chunk.startswith("Phrase")
        assert chunk.endswith(".")


def test_best_span_and_quote_location() -> None:
    text = "Intro sans rapport. La retraite à 62 ans sera rétablie. Autre chose encore."
    start, end = best_span(text, set(analyse("retraites")))
    assert text[start:end].startswith("La retraite à 62 ans sera rétablie.")
    assert locate_quote(text, "la  retraite à 62 ans sera rétablie") == (20, 54)
    assert locate_quote(text, "la retraite à 64 ans sera rétablie") is None
