"""French text analysis for retrieval: elision, accent folding, stop words, Snowball stemming.

``analyse("L'école et les retraites")`` → ``["ecol", "retrait"]``. Accents are folded before
stemming so a query typed without accents matches the accented text. `plain_tokens` is the
baseline without any French analysis (lowercase words), used by the benchmark.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

import Stemmer

WORD = re.compile(r"\w+", re.UNICODE)
ELISION = re.compile(
    r"\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[cdjlmnst])['’](?=\w)", re.IGNORECASE | re.UNICODE
)
APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'"})

_STOP_WORDS_ACCENTED = """
a à ai aie aient aies ait alors as au aucun aucune aupres auquel aura aurai auraient aurais
aurait auras aurez auriez aurions aurons auront aussi autre autres aux auxquelles auxquels avaient
avais avait avant avec avez aviez avions avoir avons ayant ayez ayons c ça car ce ceci cela celle
celles celui cependant certain certaine certains ces cet cette ceux chaque chez ci comme comment d
dans de des desquelles desquels deux dont du duquel elle elles en encore entre es est et étaient
étais était étant été êtes étiez étions être eu eue eues eûmes eurent eus eusse eussent eusses
eussiez eussions eut eût eûtes eux fait faites fûmes furent fus fusse fussent fusses fussiez
fussions fut fût fûtes ici il ils j je jusqu l la laquelle le lequel les lesquelles lesquels leur
leurs lors lui m ma mais me même mêmes mes moi mon n ne ni nos notre nous on ont ou où par parce
pas peu peut plupart pour pourquoi qu quand que quel quelle quelles quels qui quoi s sa sans se
sera serai seraient serais serait seras serez seriez serions serons seront ses si sien soi soient
sois soit sommes son sont soyez soyons suis sur t ta te tes toi ton tous tout toute toutes très
tu un une unes uns vers voici voilà vos votre vous y
"""


def fold(text: str) -> str:
    """Lowercase and strip accents (``"Élève"`` → ``"eleve"``); œ/æ become oe/ae."""
    lowered = text.lower().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


STOP_WORDS = frozenset(fold(word) for word in _STOP_WORDS_ACCENTED.split())
_STEMMER = Stemmer.Stemmer("french")
MAX_TERM_LENGTH = 60


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball French stem of a folded word; plural -s/-x dropped first (emplois → emploi)."""
    if len(word) > 4 and word.endswith("aux"):
        word = word[:-3] + "al"
    elif len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        word = word[:-1]
    return str(_STEMMER.stemWord(word))[:MAX_TERM_LENGTH]


def words(text: str) -> list[str]:
    """Folded words without elided articles (``"l'école"`` → ``["ecole"]``)."""
    cleaned = ELISION.sub(" ", text.translate(APOSTROPHES))
    return WORD.findall(fold(cleaned).replace("_", " "))


def analyse(text: str) -> list[str]:
    """Search terms of ``text``: folded, elisions removed, stop words dropped, stemmed."""
    return [stem(word) for word in words(text) if word not in STOP_WORDS]


def plain_tokens(text: str) -> list[str]:
    """Baseline tokens: lowercase words, no folding, elision, stop words or stemming."""
    return [word[:MAX_TERM_LENGTH] for word in WORD.findall(text.lower())]


def term_counts(text: str) -> Counter[str]:
    return Counter(analyse(text))
