"""Column layout of a results file: which column holds what, and where candidate blocks are.

Header names vary across years ("Code de la commune" / "Code commune", "Code du b.vote" /
"Code BV", "N°Panneau" / "Numéro de panneau 1"…); they are matched after `fold` against the
synonym tables below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from circo.elections.parsers.textio import fold, strip_number_suffix

STATION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "department_code": (
        "code du departement",
        "code departement",
        "departement",
        "code dep",
        "code dpt",
        "dep",
        "code du dpt",
        "numero de departement",
        "n departement",
    ),
    "department_name": (
        "libelle du departement",
        "libelle departement",
        "nom du departement",
        "nom departement",
        "departement libelle",
    ),
    "constituency_code": (
        "code de la circonscription",
        "code circonscription",
        "circonscription",
        "code circonscription legislative",
        "n de circonscription",
        "no de circonscription",
        "n de circonscription lg",
        "no de circonscription lg",
        "code circo",
        "circo",
    ),
    "commune_code": (
        "code de la commune",
        "code commune",
        "commune",
        "code insee",
        "code insee commune",
        "code commune insee",
        "codecommune",
        "insee",
        "code de la commune insee",
        "com",
    ),
    "commune_name": (
        "libelle de la commune",
        "libelle commune",
        "nom de la commune",
        "nom commune",
        "commune libelle",
        "libelle de commune",
        "nom de commune",
    ),
    "station_code": (
        "code du b vote",
        "code b vote",
        "code bv",
        "code du bureau de vote",
        "code bureau de vote",
        "bureau",
        "bureau de vote",
        "code bureau",
        "n de bureau de vote",
        "no de bureau de vote",
        "numero de bureau de vote",
        "n bureau",
        "num bureau",
        "numero bureau",
        "bv",
        "n bv",
        "numero bv",
    ),
    "station_id": ("id brut miom", "id bv", "code bureau vote", "codebureauvote", "id bureau"),
    "registered": ("inscrits", "nombre d inscrits", "nb inscrits", "nombre inscrits"),
    "abstentions": ("abstentions", "abstention", "nombre d abstentions", "nb abstentions"),
    "voters": ("votants", "nombre de votants", "nb votants", "nombre votants"),
    "blank": ("blancs", "blanc", "bulletins blancs", "nombre de blancs", "nb blancs"),
    "null_votes": ("nuls", "nul", "bulletins nuls", "nombre de nuls", "nb nuls"),
    "blank_and_null": ("blancs et nuls", "blancs nuls", "blancs ou nuls", "nuls et blancs"),
    "valid_votes": (
        "exprimes",
        "suffrages exprimes",
        "nombre d exprimes",
        "nb exprimes",
        "exprimes total",
    ),
    "round": ("n tour", "no tour", "tour", "numero de tour", "num tour", "numero tour"),
    "election_type": ("type de scrutin", "type scrutin", "scrutin", "id election"),
}

BLOCK_SYNONYMS: dict[str, tuple[str, ...]] = {
    "panel_number": (
        "n panneau",
        "npanneau",
        "n pan",
        "numero de panneau",
        "numero panneau",
        "n panneau liste",
        "numero de panneau liste",
        "n liste",
        "no liste",
        "numero de liste",
        "numero liste",
        "n de depot du candidat",
        "no de depot du candidat",
        "n depot",
        "numero de depot",
        "n de depot",
        "panneau",
        "n panneau candidat",
    ),
    "sex": ("sexe", "sexe candidat", "sexe du candidat", "genre", "civilite"),
    "last_name": ("nom", "nom candidat", "nom du candidat", "nom de famille"),
    "first_name": ("prenom", "prenom candidat", "prenom du candidat", "prenoms"),
    "label": (
        "nuance",
        "code nuance",
        "nuance candidat",
        "nuance liste",
        "code nuance du candidat",
        "nuance du candidat",
        "code nuance liste",
        "nuance binome",
        "code nuance candidat",
        "nuance de la liste",
    ),
    "list_short": (
        "libelle abrege liste",
        "libelle abrege de liste",
        "liste",
        "nom liste",
        "libelle liste abrege",
        "libelle abrege",
    ),
    "list_long": (
        "libelle etendu liste",
        "libelle de liste",
        "libelle liste",
        "libelle etendu de liste",
        "libelle etendu",
        "nom de la liste",
    ),
    "list_head": ("nom tete de liste", "tete de liste", "nom de la tete de liste"),
    "pair_name": ("binome", "nom du binome", "libelle binome"),
    "votes": (
        "voix",
        "nombre de voix du candidat",
        "nombre de voix",
        "voix candidat",
        "voix liste",
        "nb voix",
        "nombre voix",
    ),
}

# Columns that belong to a candidate block but carry nothing we keep.
BLOCK_FILLERS = frozenset(
    {
        "elu",
        "elu e",
        "elue",
        "sieges",
        "sieges elu",
        "sieges secteur",
        "sieges cc",
        "sieges au cm",
        "sieges au cc",
        "sieges au cs",
        "sieges au csp",
        "sieges cm",
        "sieges csp",
        "candidat",
        "nom complet",
    }
)

_STATION_INDEX = {name: key for key, names in STATION_SYNONYMS.items() for name in names}
_BLOCK_INDEX = {name: key for key, names in BLOCK_SYNONYMS.items() for name in names}

REQUIRED_HINT = (
    "attendu un en-tête du Ministère de l'Intérieur, ex. « Code du département;Code de la "
    "commune;Code du b.vote;Inscrits;Votants;…;Exprimés;N°Panneau;Sexe;Nom;Prénom;Voix »"
)


def classify_station(folded: str) -> str | None:
    return _STATION_INDEX.get(folded)


def classify_block(folded: str) -> str | None:
    """Block field of a (possibly numbered, ``"voix 3"``) folded column name."""
    key = _BLOCK_INDEX.get(folded)
    if key is None:
        key = _BLOCK_INDEX.get(strip_number_suffix(folded)[0])
    return key


def is_filler(folded: str) -> bool:
    base = strip_number_suffix(folded)[0]
    return folded.startswith("pct ") or folded == "pct" or base in BLOCK_FILLERS


@dataclass(slots=True)
class BlockLayout:
    """Offsets (inside one block, -1 when absent) of the fields of a candidate block."""

    start: int
    width: int
    offsets: dict[str, int]
    header_blocks: int
    trailer: int = 0

    def offset(self, name: str) -> int:
        return self.offsets.get(name, -1)


@dataclass(slots=True)
class HeaderLayout:
    """What each header column means."""

    header: list[str]
    station: dict[str, int] = field(default_factory=dict)
    block: dict[str, int] = field(default_factory=dict)
    block_columns: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)


def analyse_header(header: list[str]) -> HeaderLayout:
    """Classify every column (first occurrence wins for station fields)."""
    layout = HeaderLayout(header=header)
    for index, name in enumerate(header):
        folded = fold(name)
        if not folded:
            continue
        station_field = classify_station(folded)
        if station_field is not None and station_field not in layout.station:
            layout.station[station_field] = index
            continue
        block_field = classify_block(folded)
        if block_field is not None:
            layout.block_columns.append(index)
            layout.block.setdefault(block_field, index)
        elif not is_filler(folded):
            layout.unknown.append(index)
    return layout


def find_blocks(layout: HeaderLayout) -> BlockLayout | None:
    """Locate the repeated candidate block: its first column, width and field offsets.

    The width is the distance to the next occurrence of the block's first field (numbered
    headers such as ``N°Panneau_1 … N°Panneau_2``), otherwise the run of block/filler columns
    that follows the first block field (Ministry files naming only the first block).
    """
    if not layout.block_columns:
        return None
    header = layout.header
    start = layout.block_columns[0]
    first_kind = classify_block(fold(header[start]))
    repeats = [i for i in layout.block_columns if classify_block(fold(header[i])) == first_kind]
    if len(repeats) > 1:
        width = repeats[1] - repeats[0]
        count = 1
        while count < len(repeats) and repeats[count] == start + count * width:
            count += 1
    else:
        width = 0
        for index in range(start, len(header)):
            folded = fold(header[index])
            if not folded or not (classify_block(folded) or is_filler(folded)):
                break
            width += 1
        count = 1
    offsets: dict[str, int] = {}
    for index in range(start, start + width):
        kind = classify_block(fold(header[index]))
        if kind is not None:
            offsets.setdefault(kind, index - start)
    trailer = len(header) - (start + count * width)
    return BlockLayout(start, width, offsets, count, trailer)
