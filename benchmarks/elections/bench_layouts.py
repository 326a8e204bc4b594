"""Benchmark: national results import in every real layout, SQLite vs PostgreSQL vs DuckDB.

    .venv/bin/python benchmarks/elections/bench_layouts.py [--repeat 3]
        [--workdir /tmp/circo-bench-layouts] [--circo .venv/bin/circo]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432]
        [--layouts columns,blocks,rows] [--backends sqlite,postgresql] [--floor]

Layouts, each at national size:

- ``columns``: one column per candidate (the "large" file, 69 242 bureaux × 11, 4.9 MB), the real
  présidentielle 2017 T1 file of the shared data (``../shared/data/fr-presidentielle-2017-bv``);
- ``blocks``: the Ministry's layout with repeated candidate blocks (latin-1, 69 700 bureaux × 12,
  37 MB), written by ``gen_national.py`` (synthetic numbers, genuine layout);
- ``rows``: one row per candidate and bureau (the Ministry's older layout, latin-1, ``;``),
  written here from the real ``columns`` file (69 242 × 11 = 761 662 rows).

For each layout and backend: the whole ``circo import results`` command (process start included)
on a fresh database, then again on the same database (replacing the round); wall time, CPU of
the command's process (user + sys, ``os.wait4``; PostgreSQL's own CPU is not in it) and, on
PostgreSQL, the dead rows left in the results tables after the re-import (``pgstattuple``, exact;
and ``pg_stat_user_tables.n_dead_tup``). DuckDB (a benchmark-only dependency of the ``test``
extra): ``CREATE TABLE … AS SELECT * FROM read_csv(…)`` into a database file, in-process time and
the whole ``python -c`` process. Each measurement runs ``--repeat`` times; the median is printed
with the load average (other engineers share this machine's 2 cores: wall times move with them).
``--floor`` adds, per layout, the least any import of the file costs (`floor_run`).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
NATIONAL_COLUMNS = (
    SHARED / "fr-presidentielle-2017-bv" / "2017-presidentielle-1_par_bureau_large.csv.gz"
)
RESULT_TABLES = ("el_elections", "el_candidates", "el_station_results", "el_candidate_votes")

DUCKDB_CODE = """
import sys, time
start = time.perf_counter()
import duckdb
path, target, delim, encoding = sys.argv[1:5]
con = duckdb.connect(target)
con.execute("SET enable_progress_bar = false")
load = time.perf_counter()
con.execute("CREATE TABLE results AS SELECT * FROM read_csv(?, delim=?, header=false, skip=1, "
            "null_padding=true, encoding=?)", [path, delim, encoding])
rows = con.execute("SELECT count(*) FROM results").fetchone()[0]
con.close()
end = time.perf_counter()
print(f"{end - load:.4f} {rows} {duckdb.__version__}")
"""


def write_layouts(workdir: Path) -> dict[str, tuple[Path, str, str, str]]:
    """``{layout: (file, delimiter, encoding, election)}``, writing the missing files."""
    workdir.mkdir(parents=True, exist_ok=True)
    columns = workdir / "national_columns_pr17_t1.csv"
    if not columns.exists():
        columns.write_bytes(gzip.decompress(NATIONAL_COLUMNS.read_bytes()))
    blocks = workdir / "national_blocks_pr22_t1.txt"
    if not blocks.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks/elections/gen_national.py"), "--out",
             str(blocks)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    rows = workdir / "national_rows_pr17_t1.txt"
    if not rows.exists():
        write_rows_layout(columns, rows)
    return {
        "columns": (columns, ",", "utf-8", "pres-2017"),
        "blocks": (blocks, ";", "latin-1", "pres-2022"),
        "rows": (rows, ";", "latin-1", "pres-2017"),
    }


def write_rows_layout(source: Path, target: Path) -> None:
    """One row per candidate and bureau, the Ministry's older layout, from the columns file."""
    header = ("N° tour;Code département;Code commune;Nom commune;N° de circonscription Lg;"
              "N° de bureau de vote;Inscrits;Votants;Exprimés;N° de dépôt du candidat;"
              "Nom du candidat;Prénom du candidat;Code nuance du candidat;"
              "Nombre de voix du candidat")  # fmt: skip
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        names = next(reader)[9:]
        lines = [header]
        for row in reader:
            dep, commune, bureau, circ, name, registered, voters, _blank, valid = row[:9]
            fixed = f"1;{dep};{commune};{name};{circ};{bureau};{registered};{voters};{valid}"
            for number, (candidate, votes) in enumerate(zip(names, row[9:], strict=True), 1):
                lines.append(f"{fixed};{number};{candidate};;DIV;{votes}")
    target.write_text("\r\n".join(lines) + "\r\n", encoding="latin-1")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Runs ``command``; (wall s, CPU s of that process)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(
            f"{command} failed: {child.stderr.read().decode() if child.stderr else ''}"
        )
    return wall, usage.ru_utime + usage.ru_stime


def command_env(data_dir: Path) -> dict[str, str]:
    """The environment of a timed ``circo`` command: this one without circo's settings, the
    data dir given. An installed circo has its bytecode written (pip compiles it; an editable
    install writes it at the first run): a shell exporting PYTHONDONTWRITEBYTECODE would instead
    recompile circo's ≈ 100 modules at every command (≈ 0.15 s), which no user pays."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIRCO_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["CIRCO_DATA_DIR"] = str(data_dir)
    return env


def admin(pg_url: str, statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{pg_url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def dead_rows(url: str) -> tuple[int, int]:
    """(exact dead tuples by pgstattuple, n_dead_tup of the statistics) over the results tables."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pgstattuple"))
        exact = sum(
            int(connection.execute(
                text("SELECT dead_tuple_count FROM pgstattuple(CAST(:t AS regclass))"), {"t": t}
            ).scalar() or 0)
            for t in RESULT_TABLES
        )  # fmt: skip
        stats = connection.execute(
            text("SELECT COALESCE(SUM(n_dead_tup), 0) FROM pg_stat_user_tables "
                 "WHERE relname IN ('el_elections', 'el_candidates', 'el_station_results', "
                 "'el_candidate_votes')")
        ).scalar()  # fmt: skip
    engine.dispose()
    return exact, int(stats or 0)


def circo_run(
    circo: str, file: Path, election: str, backend: str, workdir: Path, pg_url: str
) -> dict[str, float]:
    """Fresh database, ``db upgrade``, then the import twice (first, replace)."""
    data_dir = workdir / f"data-{backend}"
    shutil.rmtree(data_dir, ignore_errors=True)
    env = command_env(data_dir)
    url = ""
    if backend == "postgresql":
        admin(pg_url, "DROP DATABASE IF EXISTS circo_bench_layouts WITH (FORCE)")
        admin(pg_url, "CREATE DATABASE circo_bench_layouts")
        url = f"{pg_url}/circo_bench_layouts"
        env["CIRCO_DATABASE_URL"] = url
    timed([circo, "db", "upgrade"], env)
    command = [circo, "import", "results", str(file), "--election", election, "--round", "1"]
    first_wall, first_cpu = timed(command, env)
    again_wall, again_cpu = timed(command, env)
    found = {"first_wall": first_wall, "first_cpu": first_cpu, "again_wall": again_wall,
             "again_cpu": again_cpu}  # fmt: skip
    if backend == "postgresql":
        found["dead_exact"], found["dead_stats"] = dead_rows(url)
    return found


FLOOR_TABLES = ("el_station_results", "el_candidate_votes", "el_territories")


def floor_run(
    circo: str, file: Path, delim: str, encoding: str, election: str, workdir: Path
) -> dict[str, float]:
    """What any import of ``file`` by a Python process with circo's schema costs at least, in
    three measured parts (after a SQLite ``circo_run``, whose database it reads):

    - ``fixed``: the whole ``circo import results`` command on the file's header and first 33
      lines (start-up, job, checks, commit: the cost that does not grow with the file);
    - ``read``: the standard library's ``csv.reader`` over the whole file, nothing else;
    - ``writes``: circo's multi-row SQLite writer (``_sqlite_insert``, the statements its import
      runs) on exactly the rows the import wrote (bureaux, votes, territories, fetched and
      flattened beforehand) into empty tables with the same DDL but no secondary
      index (circo rebuilds its indexes after a large import; that is left out), WAL and
      ``synchronous=NORMAL`` as circo, foreign keys off, one transaction.
    """
    import sqlite3

    from circo.elections.bulk import _sqlite_insert

    small = workdir / f"floor-head{file.suffix}"
    with file.open("rb") as source:
        small.write_bytes(b"".join(source.readline() for _ in range(34)))
    data_dir = workdir / "data-floor"
    shutil.rmtree(data_dir, ignore_errors=True)
    env = command_env(data_dir)
    timed([circo, "db", "upgrade"], env)
    fixed = min(
        timed([circo, "import", "results", str(small), "--election", election, "--round", "1",
               "--force"], env)[0]
        for _ in range(3)
    )  # fmt: skip
    start = time.perf_counter()
    with file.open(encoding=encoding, newline="") as handle:
        for _ in csv.reader(handle, delimiter=delim):
            pass
    read = time.perf_counter() - start
    source = sqlite3.connect(workdir / "data-sqlite" / "circo.db")
    target_path = workdir / "floor.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target_path}{suffix}").unlink(missing_ok=True)
    target = sqlite3.connect(target_path, isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=NORMAL")
    rows: dict[str, list[tuple[object, ...]]] = {}
    names: dict[str, list[str]] = {}
    for table in FLOOR_TABLES:
        (ddl,) = source.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        target.execute(ddl)  # the table and its primary key, no secondary index
        cursor = source.execute(f"SELECT * FROM {table}")
        rows[table] = cursor.fetchall()
        names[table] = [column[0] for column in cursor.description]
    source.close()
    flat = {table: [value for row in values for value in row] for table, values in rows.items()}
    start = time.perf_counter()
    target.execute("BEGIN")
    for table in rows:
        _sqlite_insert(target, table, names[table], flat[table], skip_existing=False)
    target.execute("COMMIT")
    writes = time.perf_counter() - start
    target.close()
    return {"fixed": fixed, "read": read, "writes": writes,
            "votes_rows": float(len(rows["el_candidate_votes"]))}  # fmt: skip


def duckdb_run(file: Path, delim: str, encoding: str, workdir: Path) -> dict[str, float]:
    target = workdir / "duck.db"
    target.unlink(missing_ok=True)
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", DUCKDB_CODE, str(file), str(target), delim, encoding],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    process = time.perf_counter() - start
    load, rows, version = out.stdout.split()
    return {"load": float(load), "process": process, "rows": float(rows), "version": version}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/circo-bench-layouts"))
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--circo", default=str(ROOT / ".venv" / "bin" / "circo"))
    parser.add_argument("--layouts", default="columns,blocks,rows")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--floor", action="store_true",
        help="after the SQLite runs, measure the least any import of the file costs",
    )  # fmt: skip
    args = parser.parse_args()
    files = write_layouts(args.workdir)
    summary = []
    for layout in args.layouts.split(","):
        file, delim, encoding, election = files[layout]
        size = file.stat().st_size / 1e6
        duck = [duckdb_run(file, delim, encoding, args.workdir) for _ in range(args.repeat)]
        duck_load = statistics.median(d["load"] for d in duck)
        duck_process = statistics.median(d["process"] for d in duck)
        print(f"[{layout}] {file.name} {size:.1f} MB | duckdb {duck[0]['version']} into a file: "
              f"{duck_load:.2f} s load, {duck_process:.2f} s whole process "
              f"({int(duck[0]['rows'])} rows) | load average {os.getloadavg()[0]:.1f}",
              flush=True)  # fmt: skip
        for backend in args.backends.split(","):
            runs = []
            for _ in range(args.repeat):
                runs.append(
                    circo_run(args.circo, file, election, backend, args.workdir, args.pg_url)
                )
                print(f"  {backend}: {json.dumps({k: round(v, 2) for k, v in runs[-1].items()})}"
                      f" load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
            median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            line = {
                "layout": layout,
                "backend": backend,
                **{key: round(value, 2) for key, value in median.items()},
                "duckdb_load": round(duck_load, 3),
                "duckdb_process": round(duck_process, 3),
                "ratio_first_vs_duckdb_process": round(median["first_wall"] / duck_process, 1),
                "ratio_first_vs_duckdb_load": round(median["first_wall"] / duck_load, 1),
            }
            summary.append(line)
            print("  median " + json.dumps(line), flush=True)
            if args.floor and backend == "sqlite":
                floor = floor_run(args.circo, file, delim, encoding, election, args.workdir)
                least = floor["fixed"] + floor["read"] + floor["writes"]
                print(f"  floor: fixed {floor['fixed']:.2f} s + csv read {floor['read']:.2f} s + "
                      f"writes {floor['writes']:.2f} s ({int(floor['votes_rows'])} vote rows) = "
                      f"{least:.2f} s = {least / duck_process:.1f}x DuckDB's whole process; "
                      f"circo's import beyond it: {median['first_wall'] - least:.2f} s",
                      flush=True)  # fmt: skip
    by_key = {(line["layout"], line["backend"]): line for line in summary}
    for layout in args.layouts.split(","):
        sqlite, pg = by_key.get((layout, "sqlite")), by_key.get((layout, "postgresql"))
        if sqlite and pg:
            first = float(pg["first_wall"]) / float(sqlite["first_wall"])
            again = float(pg["again_wall"]) / float(sqlite["again_wall"])
            print(f"[{layout}] PostgreSQL / SQLite (wall, medians): first import {first:.2f}x, "
                  f"re-import {again:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
