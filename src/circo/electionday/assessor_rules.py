"""The rules of the candidate's assesseurs and délégués as data, with their articles (Code
électoral, partie réglementaire). Checked against published texts: R44 (« chaque candidat …
a le droit de désigner un assesseur et un seul pris parmi les électeurs du département »), R45
(a suppléant for each assesseur), R42 (a titulaire of one bureau is no member of another), R46
(names, birth date and place, address and bureau notified to the maire « au plus tard à
dix-huit heures le troisième jour précédant le scrutin »). R47 (délégués, who may control
several bureaux) was not found verbatim in the sources consulted: the délégué's being an
elector of the département follows the ministry's circular (« en vertu des articles R. 44 à
R. 46, les assesseurs, les délégués et leurs suppléants doivent être choisis parmi les électeurs
du département »); the law sets no number of bureaux per délégué — the cap of 3 bureaux of one
commune is the campaign's own rule, said so where it is shown."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PostRule:
    name: str
    value: int | None
    article: str
    text: str


ELECTOR_OF_DEPARTMENT = PostRule(
    "elector_of_department", None, "R44",
    "un assesseur (et son suppléant) est électeur du département du bureau",
)  # fmt: skip
DELEGATE_ELECTOR_OF_DEPARTMENT = PostRule(
    "delegate_elector_of_department", None, "R44 à R47",
    "un délégué (et son suppléant) est électeur du département du bureau",
)  # fmt: skip
ONE_PER_ROLE_PER_BUREAU = PostRule(
    "one_per_role_per_bureau", 1, "R44",
    "un seul titulaire et un seul suppléant par rôle et par bureau pour un même candidat",
)  # fmt: skip
ASSESSOR_SINGLE_BUREAU = PostRule(
    "assessor_single_bureau", 1, "R42",
    "un assesseur titulaire ne siège dans aucun autre bureau",
)  # fmt: skip
DELEGATE_MAX_BUREAUX = PostRule(
    "delegate_max_bureaux", 3, "R47",
    "un délégué peut contrôler plusieurs bureaux (R47) ; règle de la campagne : au plus 3, "
    "dans la même commune",
)  # fmt: skip
NOTIFICATION_DEADLINE = PostRule(
    "notification_deadline", 3, "R46",
    "désignations notifiées au maire au plus tard à 18 h le troisième jour précédant le scrutin",
)  # fmt: skip
DEADLINE_HOUR = 18

RULES = (
    ELECTOR_OF_DEPARTMENT,
    DELEGATE_ELECTOR_OF_DEPARTMENT,
    ONE_PER_ROLE_PER_BUREAU,
    ASSESSOR_SINGLE_BUREAU,
    DELEGATE_MAX_BUREAUX,
    NOTIFICATION_DEADLINE,
)

CHECKLIST = (
    "Veille : récupérer le récépissé de la mairie (R46), qui sert de titre à chaque assesseur.",
    "7 h 30 : présence au bureau avec pièce d'identité et récépissé ; se présenter au président.",
    "8 h : vérifier l'urne vide et scellée, les listes d'émargement, les bulletins de chaque "
    "candidat.",
    "Pendant le vote : contrôle d'identité, émargement, estampille de la carte (R61) ; noter "
    "toute irrégularité au procès-verbal.",
    "Relève : le suppléant remplace le titulaire à l'heure du créneau, sans laisser le bureau "
    "sans représentant.",
    "Clôture : assister au dépouillement et au décompte des voix ; faire inscrire toute "
    "observation au procès-verbal.",
    "Après le décompte : saisir le procès-verbal dans l'appli (Saisir un procès-verbal) et "
    "photographier le PV affiché.",
)
