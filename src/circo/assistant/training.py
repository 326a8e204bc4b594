"""Activist training: a short course with a quiz, on a topic of the knowledge base or on the
rules of the field (door-to-door, the L49 silence, the CNIL).

On a topic, the course is the argument sheet's proposals and facts (each cited) and the quiz
asks for the figures of the cited sentences (the right answer and two others; each question
cites its sentence). On a rule, the course and quiz are circo's own text on the law, each line
citing its article. Upcoming training events of the campaign are listed with the course.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.assistant.compose import Point
from circo.assistant.tasks import argue
from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.db import utcnow

# a figure, not an ordinal ("20e arrondissement", "1er tour")
_FIGURE = re.compile(r"(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+(?:,\d+)?)(?!\d|e\b|er\b|ème\b)")


@dataclass
class Question:
    question: str
    choices: list[str]
    answer: str
    source: str
    quote: str


@dataclass
class Course:
    topic: str
    lines: list[str] = field(default_factory=list)
    citations: list[dict[str, str]] = field(default_factory=list)
    quiz: list[Question] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    def text(self) -> str:
        parts = [f"Formation — {self.topic}", "", *self.lines]
        if self.quiz:
            parts += ["", "Quiz"]
            for number, item in enumerate(self.quiz, start=1):
                choices = " / ".join(item.choices)
                parts.append(f"{number}. {item.question} ({choices}) — réponse : {item.answer}")
        if self.events:
            parts += ["", "Formations prévues", *self.events]
        return "\n".join(parts)

    def detail(self) -> dict[str, Any]:
        return {
            "quiz": [
                {
                    "question": item.question,
                    "choices": item.choices,
                    "answer": item.answer,
                    "source": item.source,
                    "quote": item.quote,
                }
                for item in self.quiz
            ],
            "events": self.events,
        }


# Our own summary of the rules, one line per article (the source cited is the article).
RULES: dict[str, list[tuple[str, str, tuple[str, list[str], str] | None]]] = {
    "porte-à-porte": [
        (
            "On se présente, on dit pour qui l'on vient et l'on respecte un refus : ne pas "
            "insister, ne pas revenir chez qui a dit non.",
            "CNIL, guide de la communication politique (prospection et démarchage)",
            (
                "Une personne refuse la discussion : que faire ?",
                ["insister", "revenir demain", "la remercier et noter le refus"],
                "la remercier et noter le refus",
            ),
        ),
        (
            "On ne note une opinion politique sur une personne qu'avec son consentement "
            "explicite ; sinon la réponse reste au niveau du bureau de vote.",
            "RGPD, article 9",
            ("Peut-on noter l'opinion d'une personne sans son accord ?", ["oui", "non"], "non"),
        ),
    ],
    "silence électoral": [
        (
            "La veille et le jour du scrutin, plus aucun message de propagande : ni tract, ni "
            "message, ni publication, jusqu'à la clôture des bureaux.",
            "Code électoral, article L49",
            (
                "À partir de quand le silence électoral commence-t-il ?",
                ["le jour du scrutin", "la veille du scrutin à 0 h", "une semaine avant"],
                "la veille du scrutin à 0 h",
            ),
        ),
        (
            "Pendant les six mois avant le scrutin, pas de publicité commerciale payante à des "
            "fins de propagande (publications sponsorisées comprises).",
            "Code électoral, article L52-1",
            (
                "Une publication sponsorisée trois mois avant le scrutin est-elle permise ?",
                ["oui", "non"],
                "non",
            ),
        ),
    ],
    "cnil": [
        (
            "Chaque personne peut s'opposer à tout moment à recevoir nos messages ; son "
            "opposition s'applique à tous les canaux qu'elle désigne.",
            "RGPD, article 21",
            (
                "Une personne s'oppose aux e-mails : peut-on encore lui en envoyer ?",
                ["oui", "non"],
                "non",
            ),
        ),
        (
            "Un SMS de campagne demande l'accord préalable de la personne.",
            "Code des postes et des communications électroniques, article L34-5",
            ("Un SMS de campagne sans accord préalable est-il permis ?", ["oui", "non"], "non"),
        ),
    ],
}
RULE_ALIASES = {
    "porte a porte": "porte-à-porte",
    "porte-a-porte": "porte-à-porte",
    "l49": "silence électoral",
    "silence": "silence électoral",
    "silence electoral": "silence électoral",
    "rgpd": "cnil",
}


def _rule_key(topic: str) -> str | None:
    from circo.assistant.analysis import fold

    folded = fold(topic).strip()
    for key in RULES:
        if fold(key) == folded:
            return key
    return RULE_ALIASES.get(folded)


def _figure_question(point: Point) -> Question | None:
    citation = point.citations[0]
    match = _FIGURE.search(point.text)
    if match is None:
        return None
    figure = match.group()
    digits = re.sub(r"[ \u00a0\u202f]", "", figure).replace(",", ".")
    try:
        value = float(digits)
    except ValueError:
        return None
    if value == 0:
        return None

    def shown(number: float) -> str:
        if "," in figure:
            return f"{number:.1f}".replace(".", ",")
        return f"{round(number):,}".replace(",", " ")

    others = [shown(value * 0.5), shown(value * 1.5)]
    choices = sorted(
        {figure, *others}, key=lambda text: float(text.replace(" ", "").replace(",", "."))
    )
    blank = point.text[: match.start()] + "…" + point.text[match.end() :]
    return Question(
        question=f"Complétez : « {blank} »",
        choices=choices,
        answer=figure,
        source=citation.row.source,
        quote=citation.quote,
    )


def training_course(
    session: Session, ctx: CampaignContext, *, topic: str, settings: Settings
) -> Course:
    from circo.crm.models import Event, EventKind

    course = Course(topic=topic)
    rule = _rule_key(topic)
    if rule is not None:
        course.topic = rule
        for line, source, quiz in RULES[rule]:
            course.lines.append(f"– {line}")
            course.citations.append({"source": source, "quote": line})
            if quiz is not None:
                question, choices, answer = quiz
                course.quiz.append(Question(question, choices, answer, source, line))
    else:
        sheet = argue(session, ctx, keyword=topic, settings=settings)
        for heading, points in (
            ("Nos propositions", sheet.proposals),
            ("Les chiffres", sheet.facts),
        ):
            if not points:
                continue
            course.lines.append(heading)
            for point in points:
                course.lines.append(f"– {point.text}")
                for citation in point.citations:
                    course.citations.append(
                        {"source": citation.row.source, "quote": citation.quote}
                    )
                asked = _figure_question(point)
                if asked is not None and len(course.quiz) < 5:
                    course.quiz.append(asked)
    events = session.scalars(
        ctx.scoped(select(Event), Event)
        .where(Event.kind == EventKind.training, Event.starts_at >= utcnow())
        .order_by(Event.starts_at)
        .limit(5)
    )
    from circo.formatting import format_datetime

    course.events = [
        f"– {event.title}, {format_datetime(event.starts_at, tz=ctx.campaign.timezone)}"
        for event in events
    ]
    return course
