"""Door questionnaires: the outcome of a knock, the questions, and the validation of answers.

A question is a dict ``{"key", "label", "kind", "choices"?, "min"?, "max"?}`` where ``kind`` is
``single`` / ``multiple`` (choices: list of ``{"value", "label"}``), ``scale`` (whole numbers from
``min`` to ``max``) or ``text``. The question ``support`` (if present) feeds `observed_support`.
"""

from __future__ import annotations

import re
from typing import Any

from circo.field.errors import FieldError, VisitRejected

OUTCOMES: dict[str, str] = {
    "not_home": "Absent",
    "refused": "Refus",
    "talked": "Échange",
    "moved": "A déménagé",
    "no_access": "Accès impossible",
}
CONTACT_OUTCOMES = ("talked",)  # doors where someone talked with the volunteer
QUESTION_KINDS = ("single", "multiple", "scale", "text")
SUPPORT_QUESTION = "support"
SUPPORT_VALUES = ("soutien", "plutot_soutien")
AGAINST_VALUES = ("contre", "plutot_contre")
TEXT_MAX = 1000
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

DEFAULT_NAME = "Questionnaire de porte-à-porte"
DEFAULT_RECONTACT_WORDING = (
    "J'accepte que la campagne me recontacte par e-mail ou téléphone au sujet de ses "
    "propositions. Je peux retirer mon accord à tout moment (lien de désinscription ou simple "
    "demande)."
)
DEFAULT_OPINION_WORDING = (
    "J'accepte explicitement que mes réponses (opinions politiques) soient conservées avec mes "
    "coordonnées par la campagne, jusqu'à la fin du scrutin (art. 9 RGPD)."
)


def _choices(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"value": value, "label": label} for value, label in pairs]


DEFAULT_QUESTIONS: list[dict[str, Any]] = [
    {
        "key": SUPPORT_QUESTION,
        "label": "Intention de vote pour notre candidat·e",
        "kind": "single",
        "choices": _choices(
            ("soutien", "Soutien"),
            ("plutot_soutien", "Plutôt favorable"),
            ("indecis", "Indécis"),
            ("plutot_contre", "Plutôt défavorable"),
            ("contre", "Opposé"),
        ),
    },
    {
        "key": "priorities",
        "label": "Sujets prioritaires",
        "kind": "multiple",
        "choices": _choices(
            ("pouvoir_achat", "Pouvoir d'achat"),
            ("logement", "Logement"),
            ("sante", "Santé"),
            ("ecole", "École"),
            ("securite", "Sécurité"),
            ("transports", "Transports"),
            ("environnement", "Environnement"),
        ),
    },
    {
        "key": "quartier",
        "label": "Satisfaction de la vie dans le quartier",
        "kind": "scale",
        "min": 1,
        "max": 5,
    },
    {"key": "remarque", "label": "Remarque (sans nom ni détail identifiant)", "kind": "text"},
]


def validate_questions(questions: Any) -> list[dict[str, Any]]:
    """Check a questionnaire definition; raise FieldError naming the bad question."""
    if not isinstance(questions, list) or not questions:
        raise FieldError(
            "un questionnaire est une liste de questions non vide, ex. "
            '[{"key": "support", "label": "…", "kind": "single", "choices": […]}]',
            loc="questions",
        )
    seen: set[str] = set()
    clean: list[dict[str, Any]] = []
    for number, question in enumerate(questions, start=1):
        loc = f"questions[{number}]"
        if not isinstance(question, dict):
            raise FieldError("chaque question est un objet {key, label, kind}", loc=loc)
        key = str(question.get("key", ""))
        if not _KEY.match(key) or key in seen:
            raise FieldError(
                f"clé de question invalide ou en double « {key} » (minuscules, chiffres, _ ; "
                "ex. priorites)",
                loc=f"{loc}.key",
            )
        seen.add(key)
        kind = question.get("kind")
        if kind not in QUESTION_KINDS:
            raise FieldError(
                f"type « {kind} » inconnu (attendu : {', '.join(QUESTION_KINDS)})",
                loc=f"{loc}.kind",
            )
        item: dict[str, Any] = {"key": key, "label": str(question.get("label") or key)}
        item["kind"] = kind
        if kind in ("single", "multiple"):
            choices = question.get("choices") or []
            if not choices or not all(isinstance(c, dict) and c.get("value") for c in choices):
                raise FieldError(
                    'une question à choix a des choix [{"value": "oui", "label": "Oui"}, …]',
                    loc=f"{loc}.choices",
                )
            item["choices"] = [
                {"value": str(c["value"]), "label": str(c.get("label") or c["value"])}
                for c in choices
            ]
        if kind == "scale":
            low, high = int(question.get("min", 1)), int(question.get("max", 5))
            if low >= high:
                raise FieldError(f"échelle vide ({low} à {high}), ex. 1 à 5", loc=f"{loc}.max")
            item["min"], item["max"] = low, high
        clean.append(item)
    return clean


def validate_outcome(outcome: str) -> str:
    if outcome not in OUTCOMES:
        raise VisitRejected(
            f"résultat de porte inconnu « {outcome} » (attendu : {', '.join(OUTCOMES)})",
            loc="outcome",
        )
    return outcome


def validate_answers(
    questions: list[dict[str, Any]], answers: dict[str, Any], *, outcome: str
) -> dict[str, Any]:
    """Answers checked against the questions: {key: str | list[str] | int}; empty ones dropped."""
    if answers and outcome not in CONTACT_OUTCOMES:
        raise VisitRejected(
            f"des réponses sans échange à la porte (résultat « {outcome} ») : attendu « talked »",
            loc="answers",
        )
    by_key = {question["key"]: question for question in questions}
    clean: dict[str, Any] = {}
    for key, value in answers.items():
        question = by_key.get(key)
        if question is None:
            raise VisitRejected(f"question inconnue « {key} »", loc=f"answers.{key}")
        if value in (None, "", []):
            continue
        clean[key] = _answer_value(question, value)
    return clean


def _answer_value(question: dict[str, Any], value: Any) -> str | list[str] | int:
    loc = f"answers.{question['key']}"
    kind = question["kind"]
    allowed = [choice["value"] for choice in question.get("choices", [])]
    if kind == "single":
        if value not in allowed:
            raise VisitRejected(f"choix « {value} » inconnu (attendu : {allowed})", loc=loc)
        return str(value)
    if kind == "multiple":
        values = value if isinstance(value, list) else [value]
        unknown = [item for item in values if item not in allowed]
        if unknown:
            raise VisitRejected(f"choix {unknown} inconnus (attendu : {allowed})", loc=loc)
        return sorted({str(item) for item in values})
    if kind == "scale":
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = question["min"] - 1
        if not question["min"] <= number <= question["max"]:
            raise VisitRejected(
                f"note « {value} » hors de l'échelle {question['min']} à {question['max']}",
                loc=loc,
            )
        return number
    text = str(value).strip()
    if len(text) > TEXT_MAX:
        raise VisitRejected(f"texte de {len(text)} caractères (maximum {TEXT_MAX})", loc=loc)
    return text


def tally_values(question: dict[str, Any], value: Any) -> list[str]:
    """The counter values an answer increments (free text is not counted)."""
    if question["kind"] == "multiple":
        return [str(item) for item in value]
    if question["kind"] in ("single", "scale"):
        return [str(value)]
    return []
