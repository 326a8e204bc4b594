"""The rules of procurations as data, with their articles (Code électoral, version of the 2022
reform: décret n° 2021-1740 and loi n° 2019-1461)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProxyLimit:
    name: str
    value: int
    article: str
    text: str


# L73: « Chaque mandataire ne peut disposer de plus de deux procurations, dont une seule
# établie en France. »
MAX_PROXIES = ProxyLimit(
    "max_proxies", 2, "L73", "un mandataire dispose d'au plus deux procurations"
)
MAX_ESTABLISHED_IN_FRANCE = ProxyLimit(
    "max_established_in_france", 1, "L73",
    "dont une seule établie en France",
)  # fmt: skip
# L72 (since 1 January 2022): the mandataire may be registered in any commune, but votes in the
# mandant's bureau — so the distance that matters is to the mandant's bureau.
VOTES_IN_MANDANT_BUREAU = "L72"
LIMITS = (MAX_PROXIES, MAX_ESTABLISHED_IN_FRANCE)

STEPS = (
    "Le mandant fait sa demande en ligne sur maprocuration.gouv.fr puis la fait valider dans un "
    "commissariat, une gendarmerie ou un consulat (pièce d'identité), ou remplit le formulaire "
    "papier sur place (Code électoral R72 et suivants).",
    "Il lui faut le numéro national d'électeur du mandataire (sur sa carte électorale ou sur "
    "service-public.fr).",
    "Le mandataire vote dans le bureau du mandant, avec sa propre pièce d'identité (L72).",
)
