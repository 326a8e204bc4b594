"""Stance of a sentence towards a claim, offline and explainable (used by `rebuttal`).

A claim and a sentence are each *read* into: their content terms (the claim without its actor
— "Claire Martin veut …" — and without position, action, trend and number words), a polarity
(negation "ne … pas", a stated position "refuse", "est contre"), an action (end: supprimer,
fermer; keep: maintenir, restera; start: créer, ouvrir), a trend (hausse / baisse) and the
numbers with their unit ("62 ans" → ``{"an": {"62"}}``).

The sentence is compared with the claim only when it is *about* it (enough of the claim's
content terms). Then:

* against — aligned numbers that differ (same unit, no common value), opposite trends,
  opposite actions (supprimer vs maintenir/créer), or the same action with opposite polarity;
* for — the same (aligned numbers in common, same trend, same action) with the same polarity,
  or a sentence that states nearly all of the claim with the same polarity and no conflict;
* context — anything else. A sentence that is not about the claim is never "against".

A campaign rebuttal document answers the myth quoted in its heading: when the claim *is* that
myth, the passage is "against" it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from circo.assistant.analysis import STOP_WORDS, analyse, fold, stem, words

# the subject of a position claim ("Claire Martin veut …", "Le programme prévoit …")
_POSITION_VERB = re.compile(
    r"\b(veut|voudrait|veulent|propose|proposent|promet|promettent|prevoit|prevoient|souhaite|"
    r"s'engage|refuse|refusent|s'oppose|s'opposent|defend|soutient|annonce|"
    r"est (?:contre|pour|opposee?|favorable|hostile)|"
    r"(?:ne|n') (?:veut|propose|prevoit|promet|souhaite|defend|soutient))\b"
)
_AGAINST_POSITION = re.compile(
    r"\b(refuse|refusent|s'oppose|s'opposent|est contre|sont contre|est opposee?|"
    r"est hostile|rejette|combat)\b"
)
# "ne … pas" (and kin) inside one sentence; "sans" and "non plus seulement" are not a negation
_NEGATION = re.compile(
    r"\b(?:ne|n')\s*(?:\w+\s+){0,3}?(?:pas|plus|jamais|rien|aucune?|nullement|guere)\b"
    r"|\b(?:jamais|nullement)\b|\bpas (?:de|d')"
)


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(word) for word in text.split())


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + pattern + r")\b")


# what is done, matched on folded words (every tense: "maintiendrons", "prolongerons")
_END = _words(
    r"supprim\w*|ferm(?:er|era\w*|eron\w*|eture\w*|e|ent|ee|ees)|aboli\w*|abandon\w*|"
    r"arret(?:er|era\w*|eron\w*)|retir\w*|demantel\w*|liquid\w*|privatis\w*|detrui\w*"
)
_GO = _words(
    r"mainti\w*|conserv\w*|gard(?:er|era\w*|eron\w*)|rest(?:er|era|eront|e|ent)|preserv\w*|"
    r"defend\w*|sauvegard\w*|proteg\w*|perenn\w*|cre(?:er|era\w*|eron\w*|ation\w*|e|ee|ees)|"
    r"ouvr(?:ir|ira\w*|iron\w*|e|ent)|ouverture\w*|ouvert\w*|rouv\w*|constru\w*|recre\w*|retabl\w*|"
    r"instaur\w*|lanc(?:er|era\w*|eron\w*|ement)|introdui\w*|plant(?:er|era\w*|eron\w*)|"
    r"prolong\w*|recrut\w*|embauch\w*|develop\w*|renforc\w*|etend\w*|extension\w*"
)
_UP = _words(
    r"augment\w*|hausse\w*|progress\w*|croissan\w*|croit|monte\w*|grimp\w*|accroi\w*|"
    r"doubl\w*|tripl\w*|record\w*|explos\w*|flamb\w*|envol\w*|bondi\w*"
)
_DOWN = _words(r"baiss\w*|diminu\w*|recul\w*|chut\w*|redui\w*|reduction\w*|effondr\w*|moitie")
_CUES = (_END, _GO, _UP, _DOWN)
_WEAK_TERMS = _stems("an annee mois jour semaine heure fois")
_OPPOSITES = (
    (_stems("gratuit gratuite gratuits gratuites gratuite"), _stems("payant payante payants")),
    (_stems("public publique publics publiques"), _stems("prive privee prives privees")),
)
_OPPOSITE_WORDS = frozenset().union(*(first | second for first, second in _OPPOSITES))
_POSITION_WORDS = _stems(
    "veut voudrait veulent vouloir propose proposent proposer proposition promet promettent "
    "promesse prevoit prevoient souhaite compte engage refuse refusent oppose opposee defend "
    "soutient annonce contre favorable hostile candidat candidate programme rejette combat "
    "faux vrai affirme affirmation idee recue mesure"
)
_NUMBER_WORDS = {
    "deux": "2",
    "trois": "3",
    "quatre": "4",
    "cinq": "5",
    "six": "6",
    "sept": "7",
    "huit": "8",
    "neuf": "9",
    "dix": "10",
    "douze": "12",
    "quinze": "15",
    "vingt": "20",
    "trente": "30",
    "quarante": "40",
    "cinquante": "50",
    "soixante": "60",
    "cent": "100",
    "mille": "1000",
}
_NUMBER_STEMS = frozenset(stem(word) for word in _NUMBER_WORDS)
_NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?")
_SCALE = {"million": "000000", "milliard": "000000000"}
MIN_ABOUT = 0.6  # share of the claim's content terms a sentence must state to be about it
NEAR_ALL = 0.8  # share needed to support a claim without an explicit matching cue
NEGATED_ABOUT = 0.66  # share needed for "ne veut pas X" to be denied by a commitment to X


_NAME_SUBJECT = re.compile(r"^\s*((?:[A-ZÉÈ][\w-]+\s+){1,3}[A-ZÉÈ][\w-]+)\s+(\w+)")
_CLAUSE = re.compile(r"[,;:()]|\s(?:et|mais|qui|car|alors que|tandis que|puis)\s")
_FROM_TO = re.compile(r"\bde\s+(\d+(?:[.,]\d+)?)\s*(%|\w+)?\s+a\s+(\d+(?:[.,]\d+)?)\s*(%|\w+)?")
# a commitment in the future tense ("nous limiterons", "la cantine sera gratuite")
_COMMITMENT = re.compile(r"\b(?:\w+(?:rons|ront|ra)|sera|seront)\b")
# the campaign's own documents: the only ones that state its positions
POSITION_SOURCES = ("programme", "rebuttal")


@dataclass(frozen=True)
class Reading:
    """What a claim or a sentence says, in the terms the comparison uses."""

    terms: frozenset[str]
    negated: bool
    action: str | None  # "end" (supprimer, fermer) or "go" (maintenir, créer), None if mixed
    trend: int
    quantities: dict[str, frozenset[str]] = field(default_factory=dict)
    opposites: tuple[int, ...] = ()
    position: bool = False  # a claim about someone's stated position ("X veut …")
    text: str = ""


def split_actor(claim: str) -> tuple[str, str]:
    """("Claire Martin veut", "supprimer la police") — the subject and verb of a position claim.

    A position verb (veut, propose, refuse, est contre…) ends the actor; otherwise a leading
    person's name and its verb ("Nadia Benali va augmenter …").
    """
    folded = fold(claim).replace("’", "'")
    match = _POSITION_VERB.search(folded)
    if match is not None:
        return claim[: match.end()], claim[match.end() :]
    named = _NAME_SUBJECT.match(claim)
    if named is not None and not set(analyse(named.group(1))) & _POSITION_WORDS:
        return claim[: named.end(1)], claim[named.end(1) :]
    return "", claim


def read(text: str, *, actor: str = "") -> Reading:
    """The reading of a whole text (a claim, or a sentence before it is focused on a claim)."""
    folded = fold(text).replace("’", "'")
    negated = _negated(fold(actor + " " + text).replace("’", "'"))
    if actor and _AGAINST_POSITION.search(fold(actor).replace("’", "'")):
        negated = not _NEGATION.search(folded)
    cue_words = {stem(word) for pattern in _CUES for word in pattern.findall(folded)}
    stems = set(analyse(text))
    terms = frozenset(
        term
        for term in stems
        if term not in cue_words
        and term not in _POSITION_WORDS
        and term not in _OPPOSITE_WORDS
        and term not in _WEAK_TERMS
        and term not in _NUMBER_STEMS
        and not term.replace(",", "").isdigit()
    )
    return Reading(
        terms=terms,
        negated=negated,
        action=_action(folded),
        trend=_trend(folded),
        quantities=quantities(text),
        opposites=_opposites(stems),
        position=bool(actor),
        text=text,
    )


def focus(sentence: Reading, claim: Reading) -> Reading:
    """The sentence's polarity, action and trend taken from its clause closest to the claim.

    "Nous encadrerons les loyers et doublerons les sanctions contre les propriétaires qui ne
    respectent pas l'encadrement": the negation belongs to the last clause, not to "encadrer".
    """
    folded = fold(sentence.text).replace("’", "'")
    pieces = [piece for piece in _CLAUSE.split(folded) if piece and piece.strip()]
    if len(pieces) <= 1:
        return sentence
    best = max(pieces, key=lambda piece: len(set(analyse(piece)) & claim.terms))
    opposites = _opposites(set(analyse(best)))
    return Reading(
        terms=sentence.terms,
        negated=_negated(best),
        action=_action(best) or sentence.action,
        trend=_trend(best) or sentence.trend,
        quantities=sentence.quantities,
        opposites=tuple(
            mine if mine >= 0 else whole
            for mine, whole in zip(opposites, sentence.opposites, strict=True)
        ),
        text=sentence.text,
    )


def _negated(folded: str) -> bool:
    return bool(_NEGATION.search(folded) or _AGAINST_POSITION.search(folded)) or bool(
        re.search(r"\b(?:refusons|refuserons|nous opposons|nous opposerons)\b", folded)
    )


def _action(folded: str) -> str | None:
    ends = bool(_END.search(folded))
    goes = bool(_GO.search(folded))
    if ends and not goes:
        return "end"
    if goes and not ends:
        return "go"
    return None


def _trend(folded: str) -> int:
    up, down = len(_UP.findall(folded)), len(_DOWN.findall(folded))
    if up != down:
        return (up > down) - (down > up)
    match = _FROM_TO.search(folded)
    if match is not None and (match.group(2) or "") == (match.group(4) or ""):
        before = float(match.group(1).replace(",", "."))
        after = float(match.group(3).replace(",", "."))
        return (after > before) - (after < before)
    return 0


def _opposites(stems: set[str]) -> tuple[int, ...]:
    return tuple(
        0 if stems & first else 1 if stems & second else -1 for first, second in _OPPOSITES
    )


def quantities(text: str) -> dict[str, frozenset[str]]:
    """Numbers by unit: ``"de 7,9 % à 7,1 %, 62 ans"`` → ``{"%": {"7.9", "7.1"}, "an": {"62"}}``.

    The unit is "%" or the first word after the number that is not a stop word (a scale word —
    millions, milliards — multiplies the number and the next word is the unit). Years
    (1900–2100 written without a space) are dates, not quantities.
    """
    found: dict[str, set[str]] = {}
    cleaned = text.replace("’", "'")
    tokens: list[tuple[int, int, str]] = []
    for match in _NUMBER.finditer(cleaned):
        raw = match.group()
        compact = re.sub(r"[ \u00a0\u202f]", "", raw).replace(",", ".")
        if re.fullmatch(r"(19|20)\d\d", raw):
            continue
        tokens.append((match.start(), match.end(), compact))
    for word_match in re.finditer(r"\w+", cleaned):
        value = _NUMBER_WORDS.get(fold(word_match.group()))
        if value is not None:
            tokens.append((word_match.start(), word_match.end(), value))
    for _start, end, value in tokens:
        rest = cleaned[end : end + 60]
        if rest.lstrip().startswith("%"):
            found.setdefault("%", set()).add(value)
            continue
        unit = ""
        for word in words(rest)[:4]:
            if word in STOP_WORDS or word.isdigit():
                continue
            base = stem(word)
            if base in _SCALE:
                value = _scaled(value, base)
                continue
            unit = base
            break
        if unit:
            found.setdefault(unit, set()).add(value)
    return {unit: frozenset(values) for unit, values in found.items()}


def _scaled(value: str, scale: str) -> str:
    try:
        return str(round(float(value) * 10 ** len(_SCALE[scale])))
    except ValueError:
        return value


def _covered(term: str, terms: frozenset[str]) -> bool:
    return term in terms or (len(term) >= 4 and any(other.startswith(term) for other in terms))


def coverage(claim: Reading, sentence: Reading) -> float:
    """Share of the claim's content terms the sentence states ("pari" covers "parisien")."""
    if not claim.terms:
        return 0.0
    return sum(_covered(term, sentence.terms) for term in claim.terms) / len(claim.terms)


def about(claim: Reading, sentence: Reading) -> bool:
    """The sentence speaks of what the claim speaks of (enough of its content terms)."""
    shared = sum(_covered(term, sentence.terms) for term in claim.terms)
    needed = 1 if len(claim.terms) <= 2 else 2
    return shared >= needed and coverage(claim, sentence) >= MIN_ABOUT


def signals(claim: Reading, sentence: Reading) -> tuple[int, int]:
    """(conflicts, agreements) between two readings, whatever they are about."""
    conflicts = 0
    agreements = 0
    # a figure differs only in a sentence that states nearly all the rest of the claim
    # ("11 % des emplois salariés" is not contradicted by "18 % des demandeurs d'emploi")
    figures_comparable = coverage(claim, sentence) >= NEAR_ALL
    for unit, values in claim.quantities.items():
        other = sentence.quantities.get(unit)
        if other is None:
            continue
        if values & other:
            agreements += 1
        elif figures_comparable:
            conflicts += 1
    same_polarity = claim.negated == sentence.negated
    # what is done (trend, action, gratuit/payant…): the same thing denied is a conflict
    done_same = 0
    done_opposed = 0
    if claim.trend and sentence.trend:
        done_same += claim.trend == sentence.trend
        done_opposed += claim.trend != sentence.trend
    for mine, theirs in zip(claim.opposites, sentence.opposites, strict=True):
        if mine >= 0 and theirs >= 0:
            done_same += mine == theirs
            done_opposed += mine != theirs
    if claim.action and sentence.action:
        done_same += claim.action == sentence.action
        done_opposed += claim.action != sentence.action
    if same_polarity:
        conflicts += done_opposed
        agreements += done_same
    else:
        conflicts += done_same
        agreements += done_opposed
    if not same_polarity and not done_same and not done_opposed:
        # "ne veut pas limiter les classes" against "nous limiterons les classes à 24 élèves";
        # a negated sentence alone ("aucune pension ne sera inférieure à …") denies nothing
        if (
            claim.negated
            and not sentence.negated
            and _COMMITMENT.search(fold(sentence.text))
            and coverage(claim, sentence) >= NEGATED_ABOUT
        ):
            conflicts += 1
    elif same_polarity and not _asserts_more(claim) and coverage(claim, sentence) >= NEAR_ALL:
        agreements += 1
    return conflicts, agreements


def _asserts_more(claim: Reading) -> bool:
    """The claim states a number, a trend, an action or a quality a sentence must match."""
    return bool(
        claim.quantities or claim.trend or claim.action or any(o >= 0 for o in claim.opposites)
    )


def compare(claim: Reading, sentence: Reading, *, doc_type: str = "") -> str:
    """against / for / context of a sentence with respect to a claim.

    A claim about someone's position is judged only by the campaign's own documents.
    """
    if not about(claim, sentence):
        return "context"
    if claim.position and doc_type and doc_type not in POSITION_SOURCES:
        return "context"
    conflicts, agreements = signals(claim, focus(sentence, claim))
    if conflicts:
        return "against"
    if agreements:
        return "for"
    return "context"


def myth_of(heading_path: str) -> str:
    """The claim a rebuttal section answers: its heading's last part, without « »."""
    last = heading_path.split(" > ")[-1] if heading_path else ""
    return last.strip().strip('«»"“” ').strip()


def is_the_myth(claim: str, heading_path: str) -> bool:
    """The claim repeats the myth a rebuttal section answers (same content, same polarity)."""
    myth = myth_of(heading_path)
    if not myth:
        return False
    actor, rest = split_actor(claim)
    claim_reading = read(rest, actor=actor)
    myth_actor, myth_rest = split_actor(myth)
    myth_reading = read(myth_rest, actor=myth_actor)
    if not claim_reading.terms or not myth_reading.terms:
        return False
    shared = claim_reading.terms & myth_reading.terms
    share = len(shared) / len(claim_reading.terms | myth_reading.terms)
    conflicts, _agreements = signals(claim_reading, myth_reading)
    return share >= 0.5 and claim_reading.negated == myth_reading.negated and not conflicts
