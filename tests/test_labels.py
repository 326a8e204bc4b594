"""Internal keys become a person's words: labels, segment sentences, election titles, places."""

from __future__ import annotations

from circo.core.models import Role
from circo.labels import election_title, label, person_message, round_label, segment_sentence
from circo.privacy.models import ConsentChannel


def test_labels_of_closed_sets_in_french_and_english() -> None:
    assert label(Role.volunteer, "role") == "Bénévole"
    assert label(ConsentChannel.automated_call, "channel") == "appel automatisé"
    assert label("study", "doc_type") == "étude"
    assert label("unknown-value", "doc_type") == "unknown-value"  # shown, and caught by the crawl
    assert label(None, "role") == "—"
    assert label("volunteer", "role", "en") == "Volunteer"


def test_every_role_has_a_label() -> None:
    assert all(label(role, "role") != role.value for role in Role)


def test_segment_filters_as_a_sentence() -> None:
    sentence = segment_sentence({"tags": ["parents"], "consent_channel": "email", "text": None})
    assert sentence == "étiquettes : parents ; joignables par e-mail"
    assert segment_sentence({}) == "tous les contacts"
    assert "{" not in segment_sentence({"answers": {"soutien": ["oui", "peut-être"]}})


def test_elections_and_rounds_by_name() -> None:
    assert election_title("Présidentielle 2022", 1) == "Présidentielle 2022 — 1er tour"
    assert round_label(2) == "second tour"


def test_error_places_speak_to_the_person() -> None:
    assert person_message("aucun bureau", "--territory") == "territoire : aucun bureau"
    assert person_message("manquant", "body.starts_at") == "début : manquant"
    assert (
        person_message("trop long", "contacts.csv, ligne 3") == "contacts.csv, ligne 3 : trop long"
    )
    assert person_message("x", "--doors-per-turf") == "portes par secteur : x"
    assert person_message("sans lieu", None) == "sans lieu"
