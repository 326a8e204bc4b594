"""Write a synthetic national results file shaped like présidentielle 2022, round 1.

≈ 69 700 bureaux × 12 candidates, in the Ministry's genuine wide layout: latin-1, ``;``
separated, CRLF line ends, decimal comma in the % columns, a header naming only the first
candidate block (``N°Panneau;Sexe;Nom;Prénom;Voix;% Voix/Ins;% Voix/Exp``) while every row
carries 12 blocks. Numbers are seeded and internally consistent (votants = exprimés + blancs +
nuls, Σ voix = exprimés, inscrits − votants = abstentions).

    python benchmarks/elections/gen_national.py --out /tmp/national-pr22-t1.txt [--seed 2022]

Two measuring modes print wall seconds, CPU seconds and peak RSS on the same file:

    .venv/bin/python benchmarks/elections/gen_national.py --parse /tmp/national-pr22-t1.txt
    /work/bench-duckdb/bin/python benchmarks/elections/gen_national.py --duckdb FILE

``--parse`` streams the file with circo's `read_results` (project venv; add ``--compact`` for
the import's stream, without one object per candidate); ``--duckdb`` times
DuckDB's ``read_csv`` materialising every column in memory (a separate venv with duckdb; DuckDB
is not a circo dependency). numpy and circo are imported lazily so each mode needs only its own.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

STATIONS = 69_700
HEADER = (
    "Code du département;Libellé du département;Code de la circonscription;"
    "Libellé de la circonscription;Code de la commune;Libellé de la commune;Code du b.vote;"
    "Inscrits;Abstentions;% Abs/Ins;Votants;% Vot/Ins;Blancs;% Blancs/Ins;% Blancs/Vot;Nuls;"
    "% Nuls/Ins;% Nuls/Vot;Exprimés;% Exp/Ins;% Exp/Vot;"
    "N°Panneau;Sexe;Nom;Prénom;Voix;% Voix/Ins;% Voix/Exp"
)
CANDIDATES = [
    ("F", "ARTHAUD", "Nathalie", 0.6),
    ("M", "ROUSSEL", "Fabien", 2.3),
    ("M", "MACRON", "Emmanuel", 27.8),
    ("M", "LASSALLE", "Jean", 3.1),
    ("F", "LE PEN", "Marine", 23.2),
    ("M", "ZEMMOUR", "Éric", 7.1),
    ("M", "MÉLENCHON", "Jean-Luc", 22.0),
    ("F", "HIDALGO", "Anne", 1.8),
    ("M", "JADOT", "Yannick", 4.6),
    ("F", "PÉCRESSE", "Valérie", 4.8),
    ("M", "POUTOU", "Philippe", 0.8),
    ("M", "DUPONT-AIGNAN", "Nicolas", 2.1),
]
# Ministry codes outside metropolitan France → first digit of their 3-digit commune codes.
OVERSEAS = {"ZA": 1, "ZB": 2, "ZC": 3, "ZD": 4, "ZM": 5, "ZN": 8, "ZP": 0, "ZS": 5, "ZW": 0,
            "ZX": 7, "ZZ": 0}  # fmt: skip


def departments() -> list[str]:
    codes = [f"{n:02d}" for n in range(1, 96) if n != 20]
    return [*codes[:19], "2A", "2B", *codes[19:], *OVERSEAS]


def pct(part: np.ndarray, whole: np.ndarray) -> list[str]:
    """Percentages with 2 decimals and a decimal comma, as in the Ministry files."""
    import numpy as np

    safe = np.where(whole > 0, whole, 1)
    return [f"{value:.2f}".replace(".", ",") for value in 100.0 * part / safe]


def station_places(rng: np.random.Generator) -> list[tuple[str, str, str, str]]:
    """(département, circonscription, commune code, bureau code) for every bureau."""
    import numpy as np

    deps = departments()
    weights = np.array([0.2 if dep in OVERSEAS else 1.0 for dep in deps])
    per_dep = rng.multinomial(STATIONS - len(deps), weights / weights.sum()) + 1
    places = []
    for dep, count in zip(deps, per_dep, strict=True):
        overseas = dep in OVERSEAS
        commune, bureau = 1, 0
        for _ in range(int(count)):
            bureau += 1
            if rng.random() < (0.02 if overseas else 0.45):  # next commune
                commune, bureau = commune + 1 + int(rng.integers(0, 3)), 1
            circ = 1 + commune % 6
            code = f"{OVERSEAS[dep]}{commune:02d}" if overseas else f"{commune:03d}"
            places.append((dep, f"{circ:02d}", code, f"{bureau:04d}"))
    return places


def generate(out: Path, seed: int) -> int:
    import numpy as np

    rng = np.random.default_rng(seed)
    places = station_places(rng)
    n = len(places)
    registered = np.maximum(rng.lognormal(6.45, 0.45, n).astype(np.int64), 30)
    voters = rng.binomial(registered, np.clip(rng.normal(0.74, 0.08, n), 0.2, 0.98))
    blank = rng.binomial(voters, 0.015)
    null_votes = rng.binomial(voters - blank, 0.006)
    valid = voters - blank - null_votes
    shares = np.array([c[3] for c in CANDIDATES]) / 100.0
    alpha = shares / shares.sum() * 60.0
    votes = np.stack([rng.multinomial(v, rng.dirichlet(alpha)) for v in valid])
    abstentions = registered - voters
    columns = {
        "abs": pct(abstentions, registered),
        "vot": pct(voters, registered),
        "bl_ins": pct(blank, registered),
        "bl_vot": pct(blank, voters),
        "nul_ins": pct(null_votes, registered),
        "nul_vot": pct(null_votes, voters),
        "exp_ins": pct(valid, registered),
        "exp_vot": pct(valid, voters),
    }
    vote_ins = [pct(votes[:, k], registered) for k in range(len(CANDIDATES))]
    vote_exp = [pct(votes[:, k], valid) for k in range(len(CANDIDATES))]
    with out.open("w", encoding="latin-1", newline="") as handle:
        handle.write(HEADER + "\r\n")
        for i, (dep, circ, commune, bureau) in enumerate(places):
            fixed = [
                dep, f"Département {dep}", circ, f"{int(circ)}ème circonscription", commune,
                f"Commune {dep}-{commune}", bureau, str(registered[i]), str(abstentions[i]),
                columns["abs"][i], str(voters[i]), columns["vot"][i], str(blank[i]),
                columns["bl_ins"][i], columns["bl_vot"][i], str(null_votes[i]),
                columns["nul_ins"][i], columns["nul_vot"][i], str(valid[i]),
                columns["exp_ins"][i], columns["exp_vot"][i],
            ]  # fmt: skip
            for k, (sex, last, first, _share) in enumerate(CANDIDATES):
                fixed += [str(k + 1), sex, last, first, str(votes[i, k]),
                          vote_ins[k][i], vote_exp[k][i]]  # fmt: skip
            handle.write(";".join(fixed) + "\r\n")
    return n


def report(label: str, wall_started: float, cpu_started: float, detail: str) -> None:
    wall = time.perf_counter() - wall_started
    cpu = time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU, peak RSS {peak_mb:.0f} MB — {detail}")


def measure_parser(path: Path, *, compact: bool = False) -> None:
    """Stream the file: one `StationResult` with its `CandidateVotes` per bureau, or with
    ``compact`` the import's stream (a ballot index and a list of votes per bureau)."""
    from circo.elections.parsers import read_results

    wall, cpu = time.perf_counter(), time.process_time()
    parser = read_results(path)
    stations = candidates = 0
    if compact:
        for record in parser.compact():
            stations += 1
            candidates += len(record.votes)
    else:
        for station in parser:
            stations += 1
            candidates += len(station.candidates)
    detail = (f"{stations} bureaux, {candidates} candidate results, {parser.warning_count} "
              f"warnings ({parser.info.layout}, {parser.info.encoding})")  # fmt: skip
    report(f"circo read_results{'.compact()' if compact else ''}", wall, cpu, detail)


def measure_duckdb(path: Path) -> None:
    import duckdb

    wall, cpu = time.perf_counter(), time.process_time()
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE results AS SELECT * FROM read_csv(?, delim=';', header=false, skip=1, "
        "encoding='latin-1', null_padding=true)",
        [str(path)],
    )
    rows, columns = connection.execute(
        "SELECT count(*), (SELECT count(*) FROM duckdb_columns() WHERE table_name = 'results') "
        "FROM results"
    ).fetchone() or (0, 0)
    report(f"duckdb {duckdb.__version__} read_csv", wall, cpu, f"{rows} rows × {columns} columns")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", type=Path, help="write the synthetic file here")
    mode.add_argument("--parse", type=Path, help="time circo's parser on this file")
    mode.add_argument("--duckdb", type=Path, help="time DuckDB's read_csv on this file")
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--compact", action="store_true", help="--parse: the import's stream")
    args = parser.parse_args()
    if args.parse:
        measure_parser(args.parse, compact=args.compact)
        return
    if args.duckdb:
        measure_duckdb(args.duckdb)
        return
    started = time.perf_counter()
    rows = generate(args.out, args.seed)
    size = args.out.stat().st_size / 1e6
    elapsed = time.perf_counter() - started
    print(f"wrote {rows} bureaux × {len(CANDIDATES)} candidates to {args.out} "
          f"({size:.1f} MB) in {elapsed:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
