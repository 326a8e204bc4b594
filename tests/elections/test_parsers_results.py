"""Results parser: fixture files cut from real Ministry files (and crafted variants of their
documented layouts), malformed files, and real files: the Rhône file shipped with the demo
and the national file of the shared open-data folder (``tests.data_files.shared_file``)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from circo.elections.parsers import (
    ParseError,
    StationResult,
    commune_code,
    constituency_code,
    normalize_department,
    normalize_station_code,
    read_results,
)
from tests.data_files import shared_file
from tests.elections.sample_files import rhone_file

DATA = Path(__file__).parent / "data"
RHONE_T1 = rhone_file(1)
NATIONAL_T1 = "fr-presidentielle-2017-bv/2017-presidentielle-1_par_bureau_large.csv.gz"


def stations(path: Path, **options: object) -> dict[str, StationResult]:
    return {station.station_key: station for station in read_results(path, **options)}  # type: ignore[arg-type]


# -- codes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("department", "commune", "expected"),
    [
        ("1", "4", ("01", "01004")),
        ("2A", "004", ("2A", "2A004")),
        ("971", "01", ("971", "97101")),
        ("ZA", "101", ("971", "97101")),
        ("ZD", "401", ("974", "97401")),
        ("ZM", "501", ("976", "97601")),
        ("ZS", "501", ("975", "97501")),
        ("ZN", "801", ("988", "98801")),
        ("ZP", "011", ("987", "98711")),
        ("ZX", "701", ("977", "97701")),
        ("ZX", "801", ("978", "97801")),
        ("ZZ", "1", ("99", "99001")),
        ("", "75056", ("75", "75056")),
        ("01", "01004", ("01", "01004")),
    ],
)
def test_commune_code_from_ministry_codes(
    department: str, commune: str, expected: tuple[str, str]
) -> None:
    assert commune_code(department, commune) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", "0001"), ("0001", "0001"), ("00012", "0012"), (" 12 ", "0012"), ("a3", "A3"),
     ("01.1", "01.1"), ("12345", "12345")],
)  # fmt: skip
def test_station_code_normalisation(raw: str, expected: str) -> None:
    assert normalize_station_code(raw) == expected


def test_department_and_constituency_codes() -> None:
    assert normalize_department("ZZ") == "99"
    assert normalize_department("2b") == "2B"
    assert constituency_code("91", "91", "4") == "91-04"
    assert constituency_code("01", "01", "0101") == "01-01"
    assert constituency_code("971", "ZA", "02") == "971-02"
    assert constituency_code("75", "75", "") is None


# -- layouts --------------------------------------------------------------------------------


def test_genuine_ministry_layout_latin1_header_names_first_block_only() -> None:
    parser = read_results(DATA / "pr17_t1_ministry_latin1.txt")
    result = stations(DATA / "pr17_t1_ministry_latin1.txt")
    info = parser.info
    assert (info.format, info.layout, info.encoding, info.separator) == (
        "wide", "blocks", "cp1252", ";",
    )  # fmt: skip
    assert (info.block_width, info.header_blocks) == (7, 1)
    assert info.hints == {
        "election_type": "presidentielle", "year": "2017", "round": "1",
        "first_department_code": "69",
    }  # fmt: skip
    lyon = result["69123_0101"]  # line 406 of the bronze file, checked by hand
    assert (lyon.registered, lyon.abstentions, lyon.voters) == (828, 166, 662)
    assert (lyon.blank, lyon.null_votes, lyon.valid_votes) == (10, 2, 650)
    assert lyon.constituency_code == "69-02"
    assert lyon.commune_name == "Lyon"
    assert len(lyon.candidates) == 11
    macron = next(c for c in lyon.candidates if c.last_name == "MACRON")
    assert (macron.name, macron.panel_number, macron.sex, macron.votes) == (
        "Emmanuel MACRON", 3, "M", 199,
    )  # fmt: skip
    assert sum(c.votes for c in lyon.candidates) == lyon.valid_votes
    melenchon = next(c for c in lyon.candidates if c.panel_number == 9)
    assert melenchon.name == "Jean-Luc MÉLENCHON"  # latin-1 accents decoded


def test_bronze_layout_numbered_blocks_and_provenance_columns() -> None:
    parser = read_results(DATA / "pr17_t1_bronze_head.csv")
    result = list(parser)
    assert parser.info.encoding == "utf-8"
    assert parser.info.header_blocks == 11
    assert "extraction_source_url" in parser.info.ignored_columns
    assert [s.station_key for s in result] == ["69001_0001", "69002_0001", "69003_0001"]
    first = result[0]
    assert (first.registered, first.voters, first.valid_votes, first.null_votes) == (
        259, 230, 227, 3,
    )  # fmt: skip
    assert [c.votes for c in first.candidates] == [15, 75, 46, 7, 1, 4, 0, 6, 24, 3, 46]
    assert parser.warnings == []


def test_candidate_columns_layout_derives_nulls_and_abstentions() -> None:
    parser = read_results(DATA / "pr17_t1_aktiur_large.csv")
    result = stations(DATA / "pr17_t1_aktiur_large.csv")
    assert parser.info.layout == "candidate_columns"
    assert parser.info.separator == ","
    assert parser.info.derived_fields == ["abstentions", "null_votes"]
    paris = result["75056_0101"]
    assert (paris.registered, paris.voters, paris.blank, paris.valid_votes) == (1079, 926, 6, 914)
    assert (paris.null_votes, paris.abstentions) == (6, 153)
    votes = {c.name: c.votes for c in paris.candidates}
    assert votes["MACRON"] == 348
    assert votes["FILLON"] == 295
    assert sum(votes.values()) == 914
    assert set(result) >= {"97101_0001", "97801_0001", "99001_0001", "2A004_0001", "14118_01.1"}
    assert result["97801_0001"].department_code == "978"


def test_legislatives_nuance_variable_blocks_bom_trailing_column() -> None:
    parser = read_results(DATA / "leg17_t1_nuance_bom.csv")
    result = {station.station_key: station for station in parser}
    assert parser.info.encoding == "utf-8-sig"
    assert parser.info.block_width == 8
    assert parser.info.has_labels
    assert [len(s.candidates) for s in result.values()] == [3, 3, 2, 1]
    durand = result["91477_0001"].candidates[0]
    assert (durand.name, durand.label, durand.sex, durand.votes) == (
        "Marie DURAND",
        "REM",
        "F",
        300,
    )
    assert result["91477_0001"].constituency_code == "91-04"
    assert result["2A004_A3"].department_code == "2A"
    abroad = result["99001_0001"]
    assert (abroad.department_code, abroad.constituency_code) == ("99", "99-05")
    # Σ voix = 599 ≠ 600 exprimés on line 3 — a warning with its line, not an error.
    assert [(w.line, "599" in w.message) for w in parser.warnings] == [(3, True)]


def test_municipales_2014_lists_blancs_et_nuls_combined() -> None:
    parser = read_results(DATA / "mun14_t1_blancs_nuls_latin1.txt")
    result = list(parser)
    assert parser.info.blank_and_null_combined
    assert parser.info.block_width == 11
    assert parser.info.has_lists
    first = result[0]
    # What the file says: 20 "blancs et nuls", not 0 blank and 20 null.
    assert (first.station_key, first.blank, first.null_votes, first.valid_votes) == (
        "01004_0001", None, None, 580,
    )  # fmt: skip
    assert first.blank_and_null == 20
    assert [(c.name, c.label, c.first_name, c.votes) for c in first.candidates] == [
        ("AMBERIEU AMBITION", "LDVG", "Josiane", 100),
        ("VIVONS NOTRE VILLE", "LDVG", "Catherine", 80),
        ("PAROLE  AUX AMBARROIS", "LDVD", "Daniel", 400),
    ]
    assert parser.warnings == []


def test_europeennes_list_blocks() -> None:
    (paris,) = read_results(DATA / "eur19_lists_cp1252.txt")
    lists = paris.candidates
    assert [c.panel_number for c in lists] == [1, 5, 23]
    assert lists[2].name == "PRENEZ LE POUVOIR"
    assert lists[2].list_name == "PRENEZ LE POUVOIR"
    assert lists[2].list_full_name == "PRENEZ LE POUVOIR, LISTE SOUTENUE PAR MARINE LE PEN"
    assert lists[2].head_of_list == "Jordan BARDELLA"
    assert lists[1].list_full_name == "RENAISSANCE SOUTENUE PAR LA RÉPUBLIQUE EN MARCHE"


def test_legislatives_2024_numbered_blocks_padded_and_insee_communes() -> None:
    parser = read_results(DATA / "leg24_t2_numbered.csv")
    result = stations(DATA / "leg24_t2_numbered.csv")
    assert parser.info.header_blocks == 3
    assert parser.info.block_width == 9
    ain = result["01004_0001"]
    assert ain.constituency_code == "01-01"
    assert [(c.panel_number, c.name, c.sex, c.votes) for c in ain.candidates] == [
        (2, "Christophe MAÎTRE", "M", 400),
        (3, "Xavier BRETON", "M", 280),
    ]
    corsica = result["2A004_0012"]
    assert corsica.constituency_code == "2A-01"
    assert corsica.candidates[0].sex == "F"
    assert parser.warnings == []


def test_long_format_both_rounds_and_round_filter() -> None:
    parser = read_results(DATA / "pr12_long_both_rounds_latin1.txt")
    result = list(parser)
    assert (parser.info.format, parser.info.has_round) == ("long", True)
    assert parser.info.blank_and_null_combined
    assert [(s.station_key, s.round) for s in result] == [
        ("01004_0001", 1), ("01004_0002", 1), ("01004_0001", 2), ("01004_0002", 2),
    ]  # fmt: skip
    first = result[0]
    assert (first.registered, first.voters, first.valid_votes) == (600, 500, 490)
    assert (first.blank, first.null_votes, first.abstentions) == (None, None, 100)
    assert first.blank_and_null == 10  # before 2014 blank ballots were counted with null ones
    assert [(c.name, c.label, c.panel_number, c.votes) for c in first.candidates] == [
        ("François HOLLANDE", "SOC", 1, 250),
        ("Nicolas SARKOZY", "UMP", 2, 240),
    ]
    second = list(read_results(DATA / "pr12_long_both_rounds_latin1.txt", round=2))
    assert [s.valid_votes for s in second] == [500, 600]


def test_format_override_long_on_wide_file_groups_nothing(tmp_path: Path) -> None:
    source = (DATA / "leg17_t1_nuance_bom.csv").read_text(encoding="utf-8-sig")
    header, *rows = source.splitlines()
    long_rows = []
    for row in rows:
        fields = row.rstrip(";").split(";")
        fixed, blocks = fields[:21], fields[21:]
        long_rows += [";".join(fixed + blocks[i : i + 8]) for i in range(0, len(blocks), 8)]
    long_file = tmp_path / "long.csv"
    long_file.write_text(header.rstrip(";") + "\n" + "\n".join(long_rows) + "\n", encoding="utf-8")
    detected = list(read_results(long_file))
    forced = list(read_results(long_file, format="long"))
    assert [len(s.candidates) for s in detected] == [3, 3, 2, 1]
    assert [s.station_key for s in forced] == [s.station_key for s in detected]
    with pytest.raises(ValueError, match="format"):
        read_results(long_file, format="large")  # type: ignore[arg-type]


def test_gzip_and_tab_separator(tmp_path: Path) -> None:
    text = (DATA / "pr17_t1_ministry_latin1.txt").read_text(encoding="latin-1")
    target = tmp_path / "tab.txt.gz"
    with gzip.open(target, "wt", encoding="latin-1", newline="") as handle:
        handle.write(text.replace(";", "\t"))
    parser = read_results(target)
    assert parser.info.separator == "\t"
    assert sum(s.valid_votes for s in parser) == 227 + 170 + 713 + 650


# -- malformed files ------------------------------------------------------------------------


def test_bad_number_reports_file_line_column() -> None:
    with pytest.raises(ParseError) as caught:
        list(read_results(DATA / "bad_number_latin1.txt"))
    error = caught.value
    assert (error.file, error.line, error.column) == ("bad_number_latin1.txt", 4, "Votants")
    assert str(error) == (
        "fichier bad_number_latin1.txt, ligne 4, colonne « Votants » : nombre invalide « 12a » "
        "(attendu un entier, ex. 1234)"
    )
    assert isinstance(error, ValueError)


def test_truncated_last_line_is_refused() -> None:
    with pytest.raises(ParseError, match="tronquée") as caught:
        list(read_results(DATA / "truncated_latin1.txt"))
    assert caught.value.line == 5


def test_short_row_is_refused(tmp_path: Path) -> None:
    lines = (DATA / "pr17_t1_ministry_latin1.txt").read_text(encoding="latin-1").splitlines()
    lines[2] = ";".join(lines[2].split(";")[:24])  # cut inside the first candidate block
    bad = tmp_path / "short.txt"
    bad.write_text("\n".join(lines) + "\n", encoding="latin-1")
    with pytest.raises(ParseError, match="multiple de 7") as caught:
        list(read_results(bad))
    assert caught.value.line == 3


def test_unknown_header_and_wrong_separator() -> None:
    with pytest.raises(ParseError, match="en-tête non reconnu") as caught:
        read_results(DATA / "unknown_header.csv")
    assert caught.value.line == 1
    with pytest.raises(ParseError, match="séparateur"):
        read_results(DATA / "no_separator.txt")
    with pytest.raises(ParseError, match="en-tête non reconnu"):
        read_results(DATA / "pr17_t1_ministry_latin1.txt", separator=",")


def test_invalid_utf8_after_sample_reports_line(tmp_path: Path) -> None:
    good = (DATA / "pr17_t1_bronze_head.csv").read_bytes()
    body = good.split(b"\n")
    filler = body[1]
    bad_row = body[2].replace(b"Rh\xc3\xb4ne", b"Rh\xf4ne")  # one latin-1 byte after 1 MiB
    data = b"\n".join([body[0], *[filler] * 2000, bad_row])
    path = tmp_path / "mixed.csv"
    path.write_bytes(data + b"\n")
    with pytest.raises(ParseError, match="encodage utf-8") as caught:
        list(read_results(path))
    assert caught.value.line == 2002


def test_non_contiguous_long_rows_are_refused(tmp_path: Path) -> None:
    lines = (DATA / "pr12_long_both_rounds_latin1.txt").read_text(encoding="latin-1").splitlines()
    shuffled = [lines[0], lines[1], lines[3], lines[2], lines[4]]
    path = tmp_path / "long.txt"
    path.write_text("\n".join(shuffled) + "\n", encoding="latin-1")
    with pytest.raises(ParseError, match="triez le fichier"):
        list(read_results(path, format="long"))


def test_long_rows_of_one_bureau_written_otherwise_blank_or_new_are_all_read(
    tmp_path: Path,
) -> None:
    """The rows of a bureau after its first take a fast path (same raw place and round, known
    candidate, plain votes); each way out of it keeps the full reading: the same bureau written
    "0001" after "1", a candidate first met mid-bureau, blank votes (a warning), votes written
    "1 234", a round written " 1", and the other round's rows between them."""
    header = (
        "N° tour;Code département;Code commune;Nom commune;N° de circonscription Lg;"
        "N° de bureau de vote;Inscrits;Votants;Exprimés;N° de dépôt du candidat;"
        "Nom du candidat;Prénom du candidat;Code nuance du candidat;Nombre de voix du candidat"
    )
    place = "1;4;Ambérieu-en-Bugey;5"
    lines = [
        header,
        f"1;{place};1;2000;1800;1770;1;HOLLANDE;François;SOC;250",
        f"1;{place};0001;2000;1800;1770;2;SARKOZY;Nicolas;UMP;240",
        f"1;{place};1;2000;1800;1770;3;BAYROU;François;CEN;1 234",
        f"1;{place};1;2000;1800;1770;4;JOLY;Eva;VEC;",
        f" 1;{place};1;2000;1800;1770;5;LE PEN;Marine;FN;46",
        f"2;{place};1;2000;1800;1790;1;HOLLANDE;François;SOC;900",
        f"1;{place};2;700;600;590;1;HOLLANDE;François;SOC;300",
        f"1;{place};2;700;600;590;2;SARKOZY;Nicolas;UMP;290",
    ]
    path = tmp_path / "long.txt"
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    parser = read_results(path, format="long", round=1)
    result = list(parser)
    assert [s.station_key for s in result] == ["01004_0001", "01004_0002"]
    assert [(c.name, c.votes) for c in result[0].candidates] == [
        ("François HOLLANDE", 250),
        ("Nicolas SARKOZY", 240),
        ("François BAYROU", 1234),
        ("Marine LE PEN", 46),
    ]
    assert [(c.name, c.votes) for c in result[1].candidates] == [
        ("François HOLLANDE", 300),
        ("Nicolas SARKOZY", 290),
    ]
    assert [(w.line, "voix vides" in w.message) for w in parser.warnings] == [(5, True)]
    second = list(read_results(path, format="long", round=2))
    assert [(s.station_key, [c.votes for c in s.candidates]) for s in second] == [
        ("01004_0001", [900])
    ]


# -- real files -----------------------------------------------------------------------------


def test_real_rhone_ministry_layout_totals() -> None:
    parser = read_results(RHONE_T1)
    registered = valid = count = 0
    for station in parser:
        count += 1
        registered += station.registered or 0
        valid += station.valid_votes
    # Figures of the PROVENANCE.md of fr-presidentielle-2017-rhone-mi (shared open-data folder)
    assert (count, registered, valid) == (1287, 1_155_604, 888_512)
    assert parser.warnings == []
    assert parser.info.department_codes == {"69"}


def test_real_national_file_totals_and_cross_format_agreement() -> None:
    national = read_results(shared_file(NATIONAL_T1))
    totals = {"registered": 0, "voters": 0, "blank": 0, "valid": 0, "MACRON": 0, "LE PEN": 0}
    rhone: dict[str, tuple[int | None, int | None, int]] = {}
    for station in national:
        totals["registered"] += station.registered or 0
        totals["voters"] += station.voters or 0
        totals["blank"] += station.blank or 0
        totals["valid"] += station.valid_votes
        for candidate in station.candidates:
            if candidate.name in ("MACRON", "LE PEN"):
                totals[candidate.name] += candidate.votes
        if station.department_code == "69":
            rhone[station.station_key] = (station.registered, station.voters, station.valid_votes)
    # Official national results (PROVENANCE.md of fr-presidentielle-2017-bv).
    assert totals == {
        "registered": 47_582_183, "voters": 37_003_728, "blank": 659_997, "valid": 36_054_394,
        "MACRON": 8_656_346, "LE PEN": 7_678_491,
    }  # fmt: skip
    assert national.info.stations == 69_242
    assert national.warnings == []
    ministry = {
        s.station_key: (s.registered, s.voters, s.valid_votes) for s in read_results(RHONE_T1)
    }
    assert ministry == rhone  # same keys and numbers from two layouts of the same election
